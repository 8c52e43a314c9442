"""Log output: SIGUSR1 reopens log.file after a logrotate-style rename, JSON
lines carry what the client negotiated, and clients that only handshake
are logged as ordinary info lines."""

import json
import os
import re
import signal
import socket
import ssl
import unittest

import harness
from harness import EchoServer, IntegrationTest, TlsClient, free_port, listener, logfmt

HANDSHAKE_ONLY = "client left after the handshake without sending data"


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


class LoggingTest(IntegrationTest):

    def terminate(self, backend_port, tls_extra=None, **global_overrides):
        self.port = free_port()
        tls = harness.server_tls(self.pki, **(tls_extra or {}))
        return harness.config([listener("web", self.port, backend_port, accept_tls=tls)], **global_overrides)

    # ------------------------------------------------------------------ SIGUSR1

    def test_sigusr1_reopens_the_log_file_after_rename(self):
        log = self.file("tlsgate.log")
        rotated = self.file("tlsgate.log.1")
        with EchoServer() as backend:
            cfg = self.terminate(backend.port, log={"level": "info", "file": "tlsgate.log"})
            path = self.write_config(cfg)
            with harness.LaunchedTlsgate(path, ready_file=log) as gate:
                got, first = harness.echo_round_trip(self.port, self.pki.client_context(), b"first\n")
                harness.wait_until(lambda: f":{first} " in read(log), 10, what="the first connection's line")
                os.rename(log, rotated)
                # Until SIGUSR1 the daemon still writes to the renamed file.
                got, second = harness.echo_round_trip(self.port, self.pki.client_context(), b"second\n")
                harness.wait_until(lambda: f":{second} " in read(rotated), 10,
                                   what="the second connection's line in the renamed file")
                self.assertFalse(os.path.exists(log))
                gate.proc.send_signal(signal.SIGUSR1)
                harness.wait_until(lambda: os.path.exists(log) and "SIGUSR1: log file reopened" in read(log), 10,
                                   what="SIGUSR1: log file reopened in a new file at the old path")
                got, third = harness.echo_round_trip(self.port, self.pki.client_context(), b"third\n")
                self.assertEqual(got, b"third\n")
                harness.wait_until(lambda: f":{third} " in read(log), 10, what="the third connection's line")
            new, old = read(log), read(rotated)
            self.assertRegex(old, r"\bready\b")
            for port in (first, second):
                self.assertIn(f":{port} ", old)
                self.assertNotIn(f":{port} ", new)
            self.assertNotIn(f":{third} ", old)
            self.assertNotIn("SIGUSR1", old)
            self.assertIn("stopped: every connection finished", new)
            self.assertEqual(gate.stop(), 0)

    # ------------------------------------------------------------------ JSON

    def json_lines(self, gate):
        lines = [l for l in gate.text().splitlines() if l.strip()]
        parsed = []
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError as e:
                self.fail(f"not a JSON line ({e}): {line}")
            self.assertIsInstance(obj, dict, line)
            self.assertTrue({"time", "level", "msg"} <= obj.keys(), line)
            parsed.append(obj)
        return parsed

    def test_json_connection_lines_carry_what_was_negotiated(self):
        with EchoServer() as backend:
            cfg = self.terminate(backend.port, tls_extra={"alpn": ["http/1.1"]}, log={"format": "json"})
            with self.daemon(cfg) as gate:
                ctx = self.pki.client_context()
                ctx.set_alpn_protocols(["h2", "http/1.1"])
                with TlsClient(self.port, ctx) as client:
                    client.handshake()
                    version, cipher = client.version, client.cipher[0]
                    alpn = client.obj.selected_alpn_protocol()
                    client.sendall(b"twelve bytes")
                    self.assertEqual(client.recv_exactly(12), b"twelve bytes")
                    client.close_notify()
                    client.recv_until_eof()
                    local = client.local_port
                # One that fails: plaintext to the TLS port.
                with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as plain:
                    plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    harness.recv_until_eof(plain)
                    plain_port = plain.getsockname()[1]
                gate.wait_for_log(rf'"client":"127\.0\.0\.1:{plain_port}"')
                gate.wait_for_log(rf'"client":"127\.0\.0\.1:{local}"')
            lines = self.json_lines(gate)
            self.assertTrue(any(l["msg"].startswith("ready") for l in lines))
            ok = [l for l in lines if l.get("client") == f"127.0.0.1:{local}"]
            self.assertEqual(len(ok), 1, ok)
            line = ok[0]
            self.assertEqual(line["msg"], "connection closed")
            self.assertEqual(line["level"], "info")
            self.assertEqual(line["listener"], "web")
            self.assertEqual(line["generation"], 1)
            self.assertIsInstance(line["conn"], int)
            self.assertEqual(line["backend"], f"127.0.0.1:{backend.port}")
            self.assertEqual((line["bytes_up"], line["bytes_down"]), (12, 12))
            self.assertIsInstance(line["duration"], (int, float))
            self.assertEqual(line["outcome"], "ok")
            self.assertNotIn("reason", line)
            accept = line["accept"]
            self.assertEqual(accept["protocol"], version)
            self.assertEqual(accept["cipher"], cipher)
            self.assertEqual(accept["alpn"], alpn)
            self.assertEqual(alpn, "http/1.1")
            self.assertEqual(accept["sni"], "localhost")
            self.assertIs(accept["resumed"], False)
            self.assertIn("peer", accept)
            failed = [l for l in lines if l.get("client") == f"127.0.0.1:{plain_port}"]
            self.assertEqual(len(failed), 1, failed)
            self.assertEqual(failed[0]["outcome"], "failed")
            self.assertEqual(failed[0]["phase"], "handshake")
            self.assertTrue(failed[0]["reason"], failed[0])
            self.assertIn(failed[0]["level"], ("warn", "warning"))

    # ------------------------------------------------------------------ handshake only

    def assert_no_warnings(self, gate):
        # Leave out the start-up warnings (the open-file limit, ...).
        after = gate.text().split("ready:", 1)[1]
        self.assertEqual([l for l in after.splitlines() if re.search(r"\b(warn|warning|error)\b", l)], [])

    def test_client_that_only_handshakes_is_logged_at_info(self):
        # With TLS 1.3 the session tickets arrive after the handshake, so the
        # close often resets the connection; with TLS 1.2 they come before the
        # client's Finished and the close is a plain FIN. Either way it is the
        # same client behaviour.
        for version in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
            with self.subTest(version=version.name), EchoServer() as backend, \
                    self.daemon(self.terminate(backend.port)) as gate:
                ctx = self.pki.client_context()
                ctx.minimum_version = ctx.maximum_version = version
                ports = []
                for _ in range(5):
                    raw = socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT)
                    tls = ctx.wrap_socket(raw, server_hostname="localhost")
                    ports.append(tls.getsockname()[1])
                    tls.close()
                for port in ports:
                    line = gate.connection_line(port)
                    fields = logfmt(line)
                    self.assertEqual(fields.get("accept.protocol"), version.name.replace("_", "."), line)
                    self.assertEqual(fields.get("outcome"), "ok", line)
                    self.assertEqual(fields.get("note"), HANDSHAKE_ONLY, line)
                    self.assertRegex(line, r"^\S+ info conn=")
                self.assert_no_warnings(gate)

    def test_openssl_s_time_is_logged_at_info(self):
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)) as gate:
            proc = harness.run([harness.tool("openssl"), "s_time", "-connect", f"127.0.0.1:{self.port}",
                                "-CAfile", self.pki.ca, "-new", "-time", "2"], timeout=30)
            m = re.search(r"(\d+) connections in", proc.stdout)
            self.assertIsNotNone(m, proc.stdout)
            connections = int(m.group(1))
            self.assertGreater(connections, 0)

            def lines():
                return [l for l in gate.text().splitlines() if "listener=web" in l and "outcome=" in l]
            harness.wait_until(lambda: len(lines()) >= connections, 15, what=f"{connections} connection lines")
            odd = [l for l in lines() if logfmt(l).get("outcome") != "ok" or logfmt(l).get("note") != HANDSHAKE_ONLY]
            self.assertEqual(odd, [])
            self.assert_no_warnings(gate)


if __name__ == "__main__":
    unittest.main()
