"""accept.starttls: tlsgate answers the plaintext preamble of SMTP, IMAP or
POP3 itself, offers the upgrade with the certificate of accept.tls, and
relays the upgraded connection to a plaintext server. The clients are real
(openssl s_client -starttls, curl --ssl-reqd, swaks) and so are the servers
behind (Exim and Dovecot with TLS off)."""

import unittest

import harness
import peers
from harness import IntegrationTest, all_of, free_port, listener, logfmt
from peers import LineClient


class RecordingServer(harness._ThreadedServer):
    """Records every byte each connection sends, as it arrives; sends nothing."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.received = []

    def handle(self, conn, peer):
        chunks = []
        with self.lock:
            self.received.append(chunks)
        while True:
            data = conn.recv(65536)
            if not data:
                return
            chunks.append(data)

    def everything(self):
        with self.lock:
            return b"".join(b"".join(c) for c in self.received)


class StarttlsAcceptTest(IntegrationTest):

    def offer_config(self, backend, starttls):
        self.port = free_port()
        return harness.config([listener("offer", self.port, backend, accept={"starttls": starttls},
                                        accept_tls=harness.server_tls(self.pki))])

    def line_for_listener(self, gate):
        return gate.wait_for_log(all_of(r"\blistener=offer\b", r"\boutcome=")).string

    def assert_terminated(self, line):
        fields = logfmt(line)
        self.assertEqual(fields.get("outcome"), "ok", line)
        self.assertEqual(fields.get("accept.protocol"), "TLSv1.3", line)

    def s_client(self, protocol):
        return [harness.tool("openssl"), "s_client", "-connect", f"127.0.0.1:{self.port}", "-starttls", protocol,
                "-servername", "localhost", "-CAfile", self.pki.ca, "-verify_return_error",
                "-verify_hostname", "localhost", "-brief", "-crlf", "-nocommands"]

    def say(self, client, line, reply):
        client.stdin.write(line.encode() + b"\n")
        client.stdin.flush()
        return client.wait_line(reply)

    def assert_s_client_upgraded(self, client):
        client.wait_line(r"^Protocol version: TLSv1\.3$")
        # -brief prints the verification result a few lines later.
        client.wait_line(r"^Verification: OK")
        out = "\n".join(client.lines)
        self.assertIn("CONNECTION ESTABLISHED", out)
        # s_client found the offer in the capabilities (it says so when not).
        self.assertNotRegex(out, r"(?i)didn't find starttls")

    def curl(self, *args):
        return harness.run([harness.tool("curl"), *peers.curl_tls_args(self.pki), "--ssl-reqd", *args],
                           check=False, timeout=60)

    # ------------------------------------------------------------------ openssl s_client

    def test_s_client_starttls_smtp_to_exim(self):
        with peers.Exim() as exim, self.daemon(self.offer_config(exim.port, "smtp")) as gate:
            with harness.process(self.s_client("smtp")) as client:
                self.assert_s_client_upgraded(client)
                # Past the upgrade, the conversation is Exim's.
                self.say(client, "EHLO client.test", r"^250-mx\.example\.test Hello client\.test")
                client.wait_line(r"^250 HELP")
                self.say(client, "QUIT", r"^221 ")
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
            self.assert_terminated(self.line_for_listener(gate))

    def test_s_client_starttls_imap_to_dovecot(self):
        with peers.Dovecot() as dovecot, self.daemon(self.offer_config(dovecot.imap_port, "imap")) as gate:
            with harness.process(self.s_client("imap")) as client:
                self.assert_s_client_upgraded(client)
                self.say(client, "a LOGIN bob secret", r"^a OK")
                self.say(client, "b LOGOUT", r"^b OK")
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
            self.assert_terminated(self.line_for_listener(gate))
            logins = harness.wait_until(lambda: dovecot.login_lines("bob"), harness.IO_TIMEOUT,
                                        what="dovecot's login line")
            self.assertNotRegex(logins[0], r", TLS,")

    def test_s_client_starttls_pop3_to_dovecot(self):
        with peers.Dovecot() as dovecot, self.daemon(self.offer_config(dovecot.pop3_port, "pop3")) as gate:
            dovecot.deliver("bob", "pop3 after stls")
            with harness.process(self.s_client("pop3")) as client:
                self.assert_s_client_upgraded(client)
                self.say(client, "USER bob", r"^\+OK")
                self.say(client, "PASS secret", r"^\+OK")
                self.say(client, "STAT", r"^\+OK 1 \d+")
                self.say(client, "QUIT", r"^\+OK")
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
            self.assert_terminated(self.line_for_listener(gate))

    # ------------------------------------------------------------------ curl

    def test_curl_smtp_ssl_reqd_delivers_to_plaintext_exim(self):
        mail = self.file("mail.txt")
        with open(mail, "w") as f:
            f.write("From: alice@example.test\r\nTo: bob@example.test\r\nSubject: curl starttls through tlsgate\r\n"
                    "\r\nsent with curl --ssl-reqd\r\n")
        with peers.Exim() as exim, self.daemon(self.offer_config(exim.port, "smtp")) as gate:
            proc = self.curl(f"smtp://127.0.0.1:{self.port}", "--mail-from", "alice@example.test",
                             "--mail-rcpt", "bob@example.test", "-T", mail)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertRegex(proc.stderr, r"(?m)^> STARTTLS")
            self.assertRegex(proc.stderr, r"SSL connection using TLSv1\.3")
            message = exim.wait_for_message("curl starttls through tlsgate")
            self.assertIn("sent with curl --ssl-reqd", message)
            # Exim itself received it in plaintext, from tlsgate.
            self.assertRegex(message, r"with esmtp\s")
            self.assert_terminated(self.line_for_listener(gate))

    def test_curl_imap_ssl_reqd_lists_and_fetches(self):
        with peers.Dovecot() as dovecot, self.daemon(self.offer_config(dovecot.imap_port, "imap")):
            dovecot.deliver("bob", "curl imap through tlsgate")
            listing = self.curl(f"imap://127.0.0.1:{self.port}/", "--user", "bob:secret")
            self.assertEqual(listing.returncode, 0, listing.stderr)
            self.assertRegex(listing.stdout, r'\* LIST \(.*\) "\." INBOX')
            self.assertRegex(listing.stderr, r"SSL connection using TLSv1\.3")
            fetched = self.curl(f"imap://127.0.0.1:{self.port}/INBOX;UID=1", "--user", "bob:secret")
            self.assertEqual(fetched.returncode, 0, fetched.stderr)
            self.assertIn("Subject: curl imap through tlsgate", fetched.stdout)

    def test_curl_pop3_ssl_reqd_retrieves(self):
        with peers.Dovecot() as dovecot, self.daemon(self.offer_config(dovecot.pop3_port, "pop3")):
            dovecot.deliver("bob", "curl pop3 through tlsgate")
            proc = self.curl(f"pop3://127.0.0.1:{self.port}/1", "--user", "bob:secret")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("Subject: curl pop3 through tlsgate", proc.stdout)
            self.assertRegex(proc.stderr, r"(?m)^> STLS")

    # ------------------------------------------------------------------ clients that never upgrade

    def test_smtp_client_that_never_upgrades_gets_530(self):
        with RecordingServer() as backend, self.daemon(self.offer_config(backend.port, "smtp")) as gate:
            with LineClient(self.port) as client:
                self.assertRegex(client.read_reply(rb"^220 "), rb"^220[ -]")
                ehlo = client.command("EHLO client.test", rb"^250 ")
                self.assertRegex(ehlo, rb"(?m)^250[ -]STARTTLS\r$")
                refused = client.command("MAIL FROM:<alice@example.test>", rb"^\d{3} ")
                self.assertRegex(refused, rb"^530 ")
                client.send("QUIT\r\n")
                client.read_until_eof()
            gate.connection_line(client.local_port)
            self.assertNotIn(b"MAIL FROM", backend.everything())

    def test_imap_client_that_never_upgrades_gets_no(self):
        with RecordingServer() as backend, self.daemon(self.offer_config(backend.port, "imap")) as gate:
            with LineClient(self.port) as client:
                self.assertRegex(client.read_reply(rb"^\* "), rb"^\* OK")
                caps = client.command("a CAPABILITY", rb"^a ")
                self.assertRegex(caps, rb"(?m)^\* CAPABILITY .*\bSTARTTLS\b")
                self.assertRegex(client.command("b LOGIN bob secret", rb"^b "), rb"(?m)^b NO\b")
                client.send("c LOGOUT\r\n")
                client.read_until_eof()
            gate.connection_line(client.local_port)
            self.assertNotIn(b"LOGIN", backend.everything())

    def test_pop3_client_that_never_upgrades_gets_err(self):
        with RecordingServer() as backend, self.daemon(self.offer_config(backend.port, "pop3")) as gate:
            with LineClient(self.port) as client:
                self.assertRegex(client.read_reply(rb"^[+-]"), rb"^\+OK")
                self.assertRegex(client.command("CAPA", rb"^\.\r\n$"), rb"(?m)^STLS\r$")
                self.assertRegex(client.command("USER bob", rb"^[+-]"), rb"^-ERR")
                client.send("QUIT\r\n")
                client.read_until_eof()
            gate.connection_line(client.local_port)
            self.assertNotIn(b"USER", backend.everything())

    def test_smtp_require_false_lets_plaintext_through(self):
        with peers.Exim() as exim, \
                self.daemon(self.offer_config(exim.port, {"protocol": "smtp", "require": False})) as gate:
            swaks = [harness.tool("swaks"), "--server", f"127.0.0.1:{self.port}", "--from", "alice@example.test",
                     "--to", "bob@example.test", "--timeout", "20"]
            plain = harness.run(swaks + ["--header", "Subject: plaintext allowed"], check=False, timeout=60)
            self.assertEqual(plain.returncode, 0, plain.stdout + plain.stderr)
            self.assertRegex(plain.stdout, r"(?m)^<-  250[ -]STARTTLS")  # still offered
            exim.wait_for_message("plaintext allowed")
            line = self.line_for_listener(gate)
            self.assertEqual(logfmt(line).get("outcome"), "ok", line)
            self.assertEqual(logfmt(line).get("accept.protocol", "-"), "-", line)
            # And a client that does upgrade still can.
            upgraded = harness.run(swaks + ["--header", "Subject: upgraded anyway", "--tls", "--tls-verify",
                                            "--tls-ca-path", self.pki.ca, "--tls-sni", "localhost"],
                                   check=False, timeout=60)
            self.assertEqual(upgraded.returncode, 0, upgraded.stdout + upgraded.stderr)
            exim.wait_for_message("upgraded anyway")


if __name__ == "__main__":
    unittest.main()
