"""The peers of peers.py on their own, asked by their usual clients (swaks,
psql, openssl s_client, curl, Python's smtplib/imaplib/ftplib) without
tlsgate in between, so that a broken fixture shows up here and not as a
mysterious failure of a tlsgate test."""

import ftplib
import imaplib
import os
import shutil
import smtplib
import socket
import struct
import tempfile
import unittest

import harness
import peers
from harness import HttpBackend, IO_TIMEOUT, Pki, free_port


class PeerSelfTest(unittest.TestCase):

    maxDiff = None

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tlsgate-peers-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.pki = Pki(self.dir).generate()

    def file(self, name):
        return os.path.join(self.dir, name)

    # ------------------------------------------------------------------ Exim

    def swaks(self, port, *extra, subject="selftest"):
        return harness.run([harness.tool("swaks"), "--server", f"127.0.0.1:{port}", "--from", "alice@example.test",
                            "--to", "bob@example.test", "--header", f"Subject: {subject}",
                            "--timeout", "20", *extra], check=False, timeout=60)

    def test_exim_starttls_delivers_over_tls(self):
        with peers.Exim(self.pki) as exim:
            proc = self.swaks(exim.port, "--tls", "--tls-verify", "--tls-ca-path", self.pki.ca,
                              subject="exim selftest tls")
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertIn("STARTTLS", proc.stdout)
            message = exim.wait_for_message("exim selftest tls")
            self.assertRegex(message, r"with esmtps\s+\(TLS1\.[23]\)")
            self.assertRegex(exim.received_line("bob@example.test"), r"\bX=TLS1\.[23]:")

    def test_exim_plaintext_only(self):
        with peers.Exim() as exim:
            refused = self.swaks(exim.port, "--tls", subject="should not go")
            self.assertNotEqual(refused.returncode, 0, refused.stdout)
            self.assertNotIn("250-STARTTLS", refused.stdout)
            proc = self.swaks(exim.port, subject="exim selftest plain")
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            message = exim.wait_for_message("exim selftest plain")
            self.assertRegex(message, r"with esmtp\s")
            self.assertNotRegex(exim.received_line("bob@example.test"), r"\bX=TLS")

    # ------------------------------------------------------------------ PostgreSQL

    def test_postgres_admits_only_tls(self):
        with peers.Postgres(self.pki) as pg:
            proc = pg.psql(sslmode="require", sql="select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertRegex(proc.stdout.strip(), r"^t\|TLSv1\.[23]$")
            plain = pg.psql(sslmode="disable")
            self.assertNotEqual(plain.returncode, 0, plain.stdout)
            self.assertIn("no pg_hba.conf entry", plain.stderr)

    def test_postgres_plaintext_only(self):
        with peers.Postgres() as pg:
            proc = pg.psql(sslmode="disable", sql="select 40 + 2")
            self.assertEqual((proc.returncode, proc.stdout.strip()), (0, "42"), proc.stderr)
            refused = pg.psql(sslmode="require")
            self.assertNotEqual(refused.returncode, 0, refused.stdout)

    # ------------------------------------------------------------------ Dovecot

    def test_dovecot_imap_starttls_and_login(self):
        openssl = harness.tool("openssl")
        with peers.Dovecot(self.pki) as dovecot:
            dovecot.deliver("bob", "dovecot selftest")
            args = [openssl, "s_client", "-connect", f"{dovecot.host}:{dovecot.imap_port}", "-starttls", "imap",
                    "-CAfile", self.pki.ca, "-verify_return_error", "-crlf", "-quiet"]
            with harness.process(args) as client:
                client.stdin.write(b"a LOGIN bob secret\n")
                client.stdin.flush()
                client.wait_line(r"^a OK")
                client.stdin.write(b'b SELECT INBOX\n')
                client.stdin.flush()
                client.wait_line(r"^\* 1 EXISTS")
                client.stdin.write(b"c LOGOUT\n")
                client.stdin.flush()
                client.wait_line(r"^c OK")
            harness.wait_until(lambda: dovecot.login_lines("bob"), IO_TIMEOUT, what="dovecot's login line")
            self.assertRegex(dovecot.login_lines("bob")[0], r", TLS,")
            if dovecot.refuses_plaintext_login:
                imap = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=IO_TIMEOUT)
                self.assertIn("LOGINDISABLED", imap.capabilities)
                typ, data = imap._simple_command("LOGIN", "bob", "secret")
                self.assertEqual(typ, "NO", data)
                imap.shutdown()

    def test_dovecot_pop3_stls(self):
        openssl = harness.tool("openssl")
        with peers.Dovecot(self.pki) as dovecot:
            dovecot.deliver("bob", "pop3 selftest")
            args = [openssl, "s_client", "-connect", f"{dovecot.host}:{dovecot.pop3_port}", "-starttls", "pop3",
                    "-CAfile", self.pki.ca, "-verify_return_error", "-crlf", "-quiet"]
            with harness.process(args) as client:
                for command, reply in [(b"USER bob\n", r"^\+OK"), (b"PASS secret\n", r"^\+OK Logged in"),
                                       (b"STAT\n", r"^\+OK 1 \d+"), (b"QUIT\n", r"^\+OK Logging out")]:
                    client.stdin.write(command)
                    client.stdin.flush()
                    client.wait_line(reply)

    def test_dovecot_plaintext_imap_and_pop3(self):
        with peers.Dovecot() as dovecot:
            dovecot.deliver("bob", "plain selftest")
            imap = imaplib.IMAP4("127.0.0.1", dovecot.imap_port, timeout=IO_TIMEOUT)
            self.assertNotIn("STARTTLS", imap.capabilities)
            imap.login("bob", "secret")
            typ, data = imap.select("INBOX")
            self.assertEqual((typ, data), ("OK", [b"1"]))
            imap.logout()
            with peers.LineClient(dovecot.pop3_port) as pop:
                pop.read_reply(rb"^\+OK")
                pop.command("USER bob", rb"^\+OK")
                pop.command("PASS secret", rb"^\+OK")
                self.assertRegex(pop.command("STAT", rb"^[+-]"), rb"^\+OK 1 ")
                pop.command("QUIT", rb"^\+OK")

    # ------------------------------------------------------------------ haproxy

    def test_haproxy_receiver_reads_v1_and_v2(self):
        with harness.EchoServer() as echo, peers.HaproxyProxyReceiver(echo_port=echo.port) as hp:
            v1 = b"PROXY TCP4 192.0.2.7 127.0.0.1 4567 80\r\n"
            v2 = (peers.PP2_SIGNATURE + b"\x21\x11" + struct.pack("!H", 12) + socket.inet_aton("198.51.100.9")
                  + socket.inet_aton("127.0.0.1") + struct.pack("!HH", 7654, 443))
            for header, expected in [(v1, b"client=192.0.2.7:4567 dst=127.0.0.1:80"),
                                     (v2, b"client=198.51.100.9:7654 dst=127.0.0.1:443")]:
                with socket.create_connection(("127.0.0.1", hp.http_port), timeout=IO_TIMEOUT) as s:
                    s.sendall(header + b"GET / HTTP/1.0\r\n\r\n")
                    data, _ = harness.recv_until_eof(s)
                self.assertIn(expected, data)
            hp.wait_for_output(r"seen client=198\.51\.100\.9:7654")
            with socket.create_connection(("127.0.0.1", hp.tcp_port), timeout=IO_TIMEOUT) as s:
                s.sendall(v1 + b"echo me\n")
                self.assertEqual(harness.recv_line(s), b"echo me\n")
            hp.wait_for_output(r"tcp client=192\.0\.2\.7:4567 dst=127\.0\.0\.1:80")

    def test_haproxy_balancer_sends_v2_and_v1(self):
        for version in (2, 1):
            with peers.ProxyHeaderRecorder() as backend, peers.HaproxyBalancer(backend.port, version) as hp:
                with socket.create_connection(("127.0.0.1", hp.port), timeout=IO_TIMEOUT,
                                              source_address=("127.0.0.1", 0)) as s:
                    s.sendall(b"after the header\n")
                    self.assertEqual(harness.recv_line(s), b"after the header\n")
                    local = s.getsockname()[1]
                header = backend.header()
                if version == 2:
                    self.assertEqual((header["version"], header["command"], header["family"]), (2, 1, 0x11))
                    self.assertEqual(header["src"], ("127.0.0.1", local))
                    self.assertEqual(header["dst"], ("127.0.0.1", hp.port))
                else:
                    self.assertEqual(header["line"], f"PROXY TCP4 127.0.0.1 127.0.0.1 {local} {hp.port}\r\n")
                hp.wait_for_output(rf"lb client=127\.0\.0\.1:{local} via=")

    # ------------------------------------------------------------------ tinyproxy, microsocks

    def curl(self, *args):
        return harness.run([harness.tool("curl"), "-sS", "--max-time", "20", *args], check=False, timeout=60)

    def test_tinyproxy_connect_with_and_without_auth(self):
        with HttpBackend(b"through tinyproxy\n") as backend:
            with peers.Tinyproxy([backend.port]) as tp:
                proc = self.curl("-p", "-x", f"http://127.0.0.1:{tp.port}", f"http://127.0.0.1:{backend.port}/open")
                self.assertEqual(proc.stdout, "through tinyproxy\n", proc.stderr)
                self.assertEqual(tp.connect_requests(), [f"127.0.0.1:{backend.port}"])
            with peers.Tinyproxy([backend.port], auth=("user", "pass")) as tp:
                url = f"http://127.0.0.1:{backend.port}/auth"
                proc = self.curl("-p", "-x", f"http://127.0.0.1:{tp.port}", "--proxy-user", "user:pass", url)
                self.assertEqual(proc.stdout, "through tinyproxy\n", proc.stderr)
                denied = self.curl("-p", "-x", f"http://127.0.0.1:{tp.port}", "-w", "%{http_connect}", "-o",
                                   os.devnull, url)
                self.assertEqual(denied.stdout, "407", denied.stderr)
            with peers.Tinyproxy([free_port()]) as tp:
                refused = self.curl("-p", "-x", f"http://127.0.0.1:{tp.port}", "-w", "%{http_connect}", "-o",
                                    os.devnull, f"http://127.0.0.1:{backend.port}/")
                self.assertEqual(refused.stdout, "403", refused.stderr)

    def test_microsocks_with_and_without_auth(self):
        with HttpBackend(b"through microsocks\n") as backend:
            url = f"http://127.0.0.1:{backend.port}/"
            with peers.Microsocks() as ms:
                proc = self.curl("--socks5", f"127.0.0.1:{ms.port}", url)
                self.assertEqual(proc.stdout, "through microsocks\n", proc.stderr)
                harness.wait_until(ms.tunnels, IO_TIMEOUT, what="microsocks to log the tunnel")
                self.assertEqual(ms.tunnels(), [f"127.0.0.1:{backend.port}"])
            with peers.Microsocks(auth=("sockuser", "sockpass")) as ms:
                proc = self.curl("-x", f"socks5://sockuser:sockpass@127.0.0.1:{ms.port}", url)
                self.assertEqual(proc.stdout, "through microsocks\n", proc.stderr)
                denied = self.curl("-x", f"socks5://sockuser:wrong@127.0.0.1:{ms.port}", url)
                self.assertNotEqual(denied.returncode, 0)

    # ------------------------------------------------------------------ scripted servers

    def test_scripted_smtp_offers_starttls(self):
        with peers.ScriptedServer(peers.smtp_script("offer"), self.pki.server_context()) as server:
            with smtplib.SMTP("127.0.0.1", server.port, timeout=IO_TIMEOUT) as smtp:
                smtp.ehlo("client.test")
                self.assertTrue(smtp.has_extn("starttls"))
                smtp.starttls(context=self.pki.client_context(server_hostname_check=False))
                code, reply = smtp.docmd("NOOP")
                self.assertEqual((code, reply), (250, b"over tls: NOOP"))
            exchange = server.exchange()
            self.assertTrue(exchange.over_tls)
            commands = [(tls, line.strip().split(b" ")[0].upper()) for tls, line in exchange.received]
            self.assertEqual(commands, [(False, b"EHLO"), (False, b"STARTTLS"), (True, b"NOOP"), (True, b"QUIT")])

    def test_scripted_smtp_injects_after_220(self):
        with peers.ScriptedServer(peers.smtp_script("inject"), self.pki.server_context()) as server, \
                peers.LineClient(server.port) as client:
            client.read_reply(rb"^220 ")
            client.command("EHLO client.test", rb"^250 ")
            client.send("STARTTLS\r\n")
            self.assertEqual(client.readline(), peers.SMTP_STARTTLS_OK)
            self.assertEqual(client.readline(), peers.SMTP_INJECTED)

    def test_scripted_ftp_auth_tls(self):
        with peers.ScriptedServer(peers.ftp_script(), self.pki.server_context()) as server:
            ftp = ftplib.FTP_TLS(context=self.pki.client_context(server_hostname_check=False), timeout=IO_TIMEOUT)
            welcome = ftp.connect("127.0.0.1", server.port)
            self.assertTrue(welcome.startswith("220"))
            ftp.auth()
            self.assertEqual(ftp.sendcmd("USER anonymous"), "331 over tls: USER anonymous")
            ftp.close()

    def test_scripted_imap_starttls(self):
        with peers.ScriptedServer(peers.imap_script(), self.pki.server_context()) as server:
            imap = imaplib.IMAP4("127.0.0.1", server.port, timeout=IO_TIMEOUT)
            imap.starttls(ssl_context=self.pki.client_context(server_hostname_check=False))
            typ, data = imap._simple_command("NOOP")
            self.assertEqual(typ, "OK", data)
            imap.shutdown()
            self.assertTrue(server.exchange().over_tls)


if __name__ == "__main__":
    unittest.main()
