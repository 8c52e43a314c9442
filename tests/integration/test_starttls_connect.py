"""connect.starttls: a plaintext client reaches a server that wants the
protocol's own upgrade (SMTP STARTTLS, IMAP STARTTLS, POP3 STLS, FTP AUTH
TLS, PostgreSQL SSLRequest) through tlsgate, which runs the preamble and the
TLS handshake itself. Real servers (Exim, Dovecot, PostgreSQL) show that the
upgrade really happened; scripted servers produce the failures no real
server produces on demand."""

import unittest

import harness
import peers
from harness import IntegrationTest, all_of, free_port, listener, logfmt, no_log_within
from peers import LineClient, ScriptedServer


class StarttlsConnectTest(IntegrationTest):

    def upgrade_config(self, backend, protocol, host="127.0.0.1", **global_overrides):
        self.port = free_port()
        return harness.config([listener("up", self.port, f"{host}:{backend}", connect={"starttls": protocol},
                                        connect_tls=harness.client_tls(self.pki))], **global_overrides)

    def line_for_listener(self, gate, start=0):
        return gate.wait_for_log(all_of(r"\blistener=up\b", r"\boutcome="), start=start).string

    def assert_upgraded(self, line):
        fields = logfmt(line)
        self.assertEqual(fields.get("outcome"), "ok", line)
        self.assertEqual(fields.get("connect.protocol"), "TLSv1.3", line)
        self.assertEqual(fields.get("connect.sni"), "localhost", line)

    def assert_failed_once(self, gate, client_port):
        """The client's connection failed, and that is logged exactly once."""
        line = gate.connection_line(client_port)
        fields = logfmt(line)
        self.assertEqual(fields.get("outcome"), "failed", line)
        self.assertTrue(fields.get("phase"), line)
        no_log_within(gate, rf"\bclient=\S*:{client_port}(?!\d)", 0.5, start=gate.lines.index(line) + 1)
        return line, fields.get("reason", "")

    # ------------------------------------------------------------------ SMTP

    def swaks(self, port, subject, *extra):
        return harness.run([harness.tool("swaks"), "--server", f"127.0.0.1:{port}", "--from", "alice@example.test",
                            "--to", "bob@example.test", "--header", f"Subject: {subject}", "--timeout", "20",
                            *extra], check=False, timeout=60)

    def test_smtp_swaks_mail_reaches_exim_over_tls(self):
        with peers.Exim(self.pki) as exim, self.daemon(self.upgrade_config(exim.port, "smtp")) as gate:
            proc = self.swaks(self.port, "plaintext client, TLS to exim")
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            # swaks itself never asked for TLS.
            self.assertNotRegex(proc.stdout, r"(?m)^ -> STARTTLS")
            message = exim.wait_for_message("plaintext client, TLS to exim")
            self.assertRegex(message, r"with esmtps\s+\(TLS1\.3\)")
            self.assertRegex(exim.received_line("bob@example.test"), r"\bP=esmtps X=TLS1\.3:")
            self.assert_upgraded(self.line_for_listener(gate))

    def test_smtp_exim_without_starttls_is_refused_with_its_ehlo_reply(self):
        with peers.Exim() as exim, self.daemon(self.upgrade_config(exim.port, "smtp")) as gate:
            with LineClient(self.port) as client:
                client.send("EHLO client.test\r\n")
                data, how = client.read_until_eof()
            self.assertIn(how, ("eof", "reset"))
            # Nothing of Exim's plaintext conversation reached the client.
            self.assertNotIn(b"Hello client.test", data)
            _, reason = self.assert_failed_once(gate, client.local_port)
            self.assertRegex(reason, r"(?i)starttls")
            # Exim's EHLO reply, as the server sent it.
            self.assertIn("mx.example.test", reason)
            self.assertEqual(exim.messages(), [])

    def test_smtp_multiline_replies_then_the_client_talks_over_tls(self):
        with ScriptedServer(peers.smtp_script("offer"), self.pki.server_context()) as server, \
                self.daemon(self.upgrade_config(server.port, "smtp")) as gate:
            with LineClient(self.port) as client:
                greeting = client.read_reply(rb"^220 ")
                self.assertRegex(greeting, rb"^220")
                reply = client.command("EHLO client.test", rb"^\d{3} ")
                self.assertEqual(reply, b"250 over tls: EHLO client.test\r\n")
                self.assertEqual(client.command("QUIT", rb"^\d{3} "), b"221 over tls: bye\r\n")
                client.read_until_eof()
            exchange = server.exchange()
            commands = [(tls, line.strip().split(b" ")[0].upper()) for tls, line in exchange.received]
            # tlsgate's own EHLO and STARTTLS in plaintext, then only the client's commands, over TLS.
            self.assertEqual(commands, [(False, b"EHLO"), (False, b"STARTTLS"), (True, b"EHLO"), (True, b"QUIT")])
            self.assertEqual(exchange.early_bytes, b"")
            self.assert_upgraded(gate.connection_line(client.local_port))

    def run_failing_smtp(self, mode, greeting=peers.SMTP_GREETING, **global_overrides):
        with ScriptedServer(peers.smtp_script(mode, greeting), self.pki.server_context()) as server, \
                self.daemon(self.upgrade_config(server.port, "smtp", **global_overrides)) as gate:
            with LineClient(self.port) as client:
                try:
                    client.send("EHLO client.test\r\n")
                except OSError:
                    pass
                data, how = client.read_until_eof()
            self.assertIn(how, ("eof", "reset"))
            line, reason = self.assert_failed_once(gate, client.local_port)
            return data, line, reason, server.exchange()

    def test_smtp_server_that_never_offers_starttls(self):
        data, line, reason, exchange = self.run_failing_smtp("absent")
        self.assertRegex(reason, r"(?i)starttls")
        # The reason quotes the server's EHLO reply.
        self.assertTrue(any(part in reason for part in ("mx.scripted.test greets you", "SIZE 10240000", "250 HELP")),
                        line)
        self.assertNotIn(b"over tls", data)
        self.assertFalse(exchange.over_tls)

    def test_smtp_starttls_refused_with_454(self):
        data, line, reason, exchange = self.run_failing_smtp("refuse")
        self.assertIn("454", reason)
        self.assertIn((False, b"STARTTLS\r\n"), exchange.received)
        self.assertFalse(exchange.over_tls)

    def test_smtp_bytes_after_the_220_are_refused_as_injection(self):
        data, line, reason, exchange = self.run_failing_smtp("inject")
        self.assertRegex(reason, r"(?i)inject")
        # No handshake was attempted on the poisoned connection, and the
        # injected reply never reached the client.
        self.assertFalse(exchange.over_tls)
        self.assertNotIn(b"injected", data)

    def test_smtp_garbage_greeting(self):
        garbage = b"HTTP/1.1 400 Bad Request\r\nServer: not-an-smtp-server\r\n\r\n"
        data, line, reason, exchange = self.run_failing_smtp("offer", greeting=garbage)
        self.assertRegex(reason, r"(?i)greeting|HTTP/1\.1 400")
        self.assertNotIn((False, b"STARTTLS\r\n"), exchange.received)
        self.assertFalse(exchange.over_tls)

    def test_silent_server_cut_off_by_handshake_timeout(self):
        data, line, reason, exchange = self.run_failing_smtp("silent", timeouts={"handshake": "1s"})
        self.assertRegex(reason, r"(?i)timed out|timeout")
        self.assertLess(float(logfmt(line)["duration"].rstrip("s")), 5.0, line)

    # ------------------------------------------------------------------ PostgreSQL

    def test_postgres_psql_without_tls_reaches_a_tls_only_server(self):
        with peers.Postgres(self.pki) as pg, self.daemon(self.upgrade_config(pg.port, "postgres")) as gate:
            # The server refuses plaintext by itself...
            direct = pg.psql(sslmode="disable")
            self.assertNotEqual(direct.returncode, 0, direct.stdout)
            self.assertIn("no pg_hba.conf entry", direct.stderr)
            # ...so a plaintext psql gets in only because tlsgate upgraded.
            proc = pg.psql(port=self.port, sslmode="disable",
                           sql="select ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(proc.stdout.strip(), "t|TLSv1.3")
            self.assert_upgraded(self.line_for_listener(gate))

    def test_postgres_sslrequest_from_the_client_is_answered_n(self):
        with peers.Postgres(self.pki) as pg, self.daemon(self.upgrade_config(pg.port, "postgres")):
            # psql's default, prefer: it asks for TLS, tlsgate says 'N', psql
            # carries on in plaintext while tlsgate's side is TLS.
            proc = pg.psql(port=self.port, sslmode="prefer",
                           sql="select ssl from pg_stat_ssl where pid = pg_backend_pid()", extra=["-c", r"\conninfo"])
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertRegex(proc.stdout, r"^t\n")
            self.assertIn("You are connected to database", proc.stdout)
            self.assertNotIn("SSL connection", proc.stdout)
            # A client that insists on TLS to tlsgate itself is told no.
            strict = pg.psql(port=self.port, sslmode="require")
            self.assertNotEqual(strict.returncode, 0, strict.stdout)
            self.assertRegex(strict.stderr, r"server does not support SSL")

    def test_postgres_server_that_answers_n(self):
        with ScriptedServer(peers.postgres_refusing_script) as server, \
                self.daemon(self.upgrade_config(server.port, "postgres")) as gate:
            with LineClient(self.port) as client:
                # A StartupMessage for protocol 3.0, user postgres.
                body = b"\x00\x03\x00\x00user\x00postgres\x00\x00"
                client.send(len(body + b"1234").to_bytes(4, "big") + body)
                data, how = client.read_until_eof()
            self.assertIn(how, ("eof", "reset"))
            _, reason = self.assert_failed_once(gate, client.local_port)
            self.assertRegex(reason, r"(?i)refus|declin|not support|does not|'N'|\bN\b")
            exchange = server.exchange()
            self.assertEqual(exchange.received[0], (False, peers.POSTGRES_SSLREQUEST))

    # ------------------------------------------------------------------ IMAP and POP3

    def test_imap_login_and_list_through_dovecot(self):
        with peers.Dovecot(self.pki) as dovecot, \
                self.daemon(self.upgrade_config(dovecot.imap_port, "imap", host=dovecot.host)) as gate:
            dovecot.deliver("bob", "imap through tlsgate")
            with LineClient(self.port) as client:
                self.assertRegex(client.read_reply(rb"^\* "), rb"^\* OK")
                self.assertRegex(client.command("a LOGIN bob secret", rb"^a "), rb"(?m)^a OK")
                listing = client.command('b LIST "" "*"', rb"^b ")
                self.assertRegex(listing, rb'(?m)^\* LIST \(.*\) "." INBOX\r$')
                self.assertRegex(client.command("c SELECT INBOX", rb"^c "), rb"(?m)^\* 1 EXISTS\r$")
                fetched = client.command("d FETCH 1 BODY[HEADER.FIELDS (SUBJECT)]", rb"^d ")
                self.assertIn(b"Subject: imap through tlsgate", fetched)
                client.command("e LOGOUT", rb"^e ")
            logins = harness.wait_until(lambda: dovecot.login_lines("bob"), harness.IO_TIMEOUT,
                                        what="dovecot's login line")
            self.assertRegex(logins[0], r", TLS,")
            self.assert_upgraded(gate.connection_line(client.local_port))
            if dovecot.refuses_plaintext_login:
                with LineClient(dovecot.imap_port, host=dovecot.host) as direct:
                    direct.read_reply(rb"^\* ")
                    self.assertRegex(direct.command("a LOGIN bob secret", rb"^a "), rb"(?m)^a NO")

    def test_pop3_login_and_stat_through_dovecot(self):
        with peers.Dovecot(self.pki) as dovecot, \
                self.daemon(self.upgrade_config(dovecot.pop3_port, "pop3", host=dovecot.host)) as gate:
            dovecot.deliver("bob", "pop3 through tlsgate")
            with LineClient(self.port) as client:
                self.assertRegex(client.read_reply(rb"^[+-]"), rb"^\+OK")
                self.assertRegex(client.command("USER bob", rb"^[+-]"), rb"^\+OK")
                self.assertRegex(client.command("PASS secret", rb"^[+-]"), rb"^\+OK")
                self.assertRegex(client.command("STAT", rb"^[+-]"), rb"^\+OK 1 \d+\r\n$")
                message = client.command("RETR 1", rb"^\.\r\n$")
                self.assertIn(b"Subject: pop3 through tlsgate", message)
                client.command("QUIT", rb"^[+-]")
            logins = harness.wait_until(lambda: dovecot.login_lines("bob"), harness.IO_TIMEOUT,
                                        what="dovecot's login line")
            self.assertRegex(logins[0], r"^.*pop3-login: .*, TLS,")
            self.assert_upgraded(gate.connection_line(client.local_port))
            if dovecot.refuses_plaintext_login:
                with LineClient(dovecot.pop3_port, host=dovecot.host) as direct:
                    direct.read_reply(rb"^[+-]")
                    self.assertRegex(direct.command("USER bob", rb"^[+-]"), rb"^-ERR")

    def test_imap_starttls_refused_with_no(self):
        with ScriptedServer(peers.imap_script(refuse=True), self.pki.server_context()) as server, \
                self.daemon(self.upgrade_config(server.port, "imap")) as gate:
            with LineClient(self.port) as client:
                data, how = client.read_until_eof()
            self.assertIn(how, ("eof", "reset"))
            _, reason = self.assert_failed_once(gate, client.local_port)
            self.assertRegex(reason, r"\bNO\b")
            self.assertFalse(server.exchange().over_tls)

    # ------------------------------------------------------------------ FTP

    def test_ftp_auth_tls_then_commands_over_tls(self):
        with ScriptedServer(peers.ftp_script(), self.pki.server_context()) as server, \
                self.daemon(self.upgrade_config(server.port, "ftp")) as gate:
            with LineClient(self.port) as client:
                self.assertRegex(client.read_reply(rb"^220 "), rb"^220")
                self.assertEqual(client.command("USER anonymous", rb"^\d{3} "),
                                 b"331 over tls: USER anonymous\r\n")
                self.assertEqual(client.command("QUIT", rb"^\d{3} "), b"221 over tls: bye\r\n")
                client.read_until_eof()
            exchange = server.exchange()
            self.assertTrue(exchange.over_tls)
            plaintext = [line.strip().upper() for tls, line in exchange.received if not tls]
            self.assertIn(b"AUTH TLS", plaintext)
            self.assertNotIn(b"USER ANONYMOUS", plaintext)
            self.assertIn((True, b"USER anonymous\r\n"), exchange.received)
            self.assert_upgraded(gate.connection_line(client.local_port))

    def test_ftp_auth_tls_refused(self):
        with ScriptedServer(peers.ftp_script(refuse=True), self.pki.server_context()) as server, \
                self.daemon(self.upgrade_config(server.port, "ftp")) as gate:
            with LineClient(self.port) as client:
                data, how = client.read_until_eof()
            self.assertIn(how, ("eof", "reset"))
            _, reason = self.assert_failed_once(gate, client.local_port)
            self.assertIn("534", reason)
            self.assertFalse(server.exchange().over_tls)


if __name__ == "__main__":
    unittest.main()
