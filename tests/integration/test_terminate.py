"""Terminate mode: TLS clients (openssl s_client, curl, Python ssl) in front
of plaintext backends."""

import os
import ssl
import unittest

import harness
from harness import EchoServer, HttpBackend, IntegrationTest, TlsClient, all_of, free_port, listener, logfmt


class TerminateTest(IntegrationTest):

    def terminate_config(self, backend_port, **tls_extra):
        self.port = free_port()
        return harness.config([listener("web", self.port, backend_port, accept_tls=harness.server_tls(self.pki, **tls_extra))])

    def test_openssl_s_client_echo(self):
        openssl = harness.tool("openssl")
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            args = [openssl, "s_client", "-connect", f"127.0.0.1:{self.port}", "-servername", "localhost",
                    "-CAfile", self.pki.ca, "-verify_return_error", "-verify_hostname", "localhost"]
            with harness.process(args) as client:
                client.stdin.write(b"hello through s_client\n")
                client.stdin.flush()
                client.wait_line(r"^hello through s_client$")
                client.stdin.close()  # s_client sends close_notify and exits
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
            out = "\n".join(client.lines)
            self.assertRegex(out, r"Protocol\s*:\s*TLSv1\.3")
            self.assertRegex(out, r"Verify return code: 0 \(ok\)")
            self.assertRegex(out, r"Cipher\s*(is|:)\s*TLS_AES_")
            line = gate.wait_for_log(all_of(r"\bconn=", r"\boutcome=ok\b")).string
            fields = logfmt(line)
            self.assertEqual(fields.get("listener"), "web", line)
            self.assertEqual(fields.get("accept.protocol"), "TLSv1.3", line)
            self.assertEqual(fields.get("accept.sni"), "localhost", line)
            self.assertEqual(fields.get("backend"), f"127.0.0.1:{backend.port}", line)
            self.assertEqual(backend.errors, [])

    def test_key_updates_from_s_client_both_kinds(self):
        # s_client's "k" line sends a KeyUpdate, "K" one that asks tlsgate to
        # update its own keys too. Each echo after them must decrypt, so both
        # directions have moved to the new keys.
        openssl = harness.tool("openssl")
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            args = [openssl, "s_client", "-connect", f"127.0.0.1:{self.port}", "-servername", "localhost",
                    "-CAfile", self.pki.ca, "-verify_return_error", "-tls1_3"]
            with harness.process(args) as client:
                for i, command in enumerate([None, b"k\n", b"K\n", b"K\n", b"k\n"]):
                    if command:
                        # s_client takes a whole stdin read as one command:
                        # the next line goes only once this one is done.
                        client.stdin.write(command)
                        client.stdin.flush()
                        harness.wait_until(lambda: sum(line.startswith("KEYUPDATE") for line in client.lines) >= i,
                                           harness.IO_TIMEOUT, what=f"key update {i} from s_client")
                    message = f"message {i} after a key update\n".encode()
                    client.stdin.write(message)
                    client.stdin.flush()
                    client.wait_line("^" + message.decode().strip() + "$")
                client.stdin.close()
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
            self.assertEqual(sum(line.startswith("KEYUPDATE") for line in client.lines), 4, "\n".join(client.lines))
            line = gate.wait_for_log(all_of(r"\bconn=", r"\boutcome=ok\b")).string
            self.assertEqual(logfmt(line).get("accept.protocol"), "TLSv1.3", line)
            self.assertEqual(backend.errors, [])

    def test_python_ssl_client_and_connection_log_line(self):
        message = b"hello from python ssl\n" * 10
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                client.handshake()
                self.assertEqual(client.version, "TLSv1.3")
                cipher = client.cipher[0]
                client.sendall(message)
                self.assertEqual(client.recv_exactly(len(message)), message)
                client.close_notify()
                # The backend's FIN after our close_notify comes back as close_notify.
                self.assertEqual(client.recv_until_eof(), b"")
                self.assertEqual(client.tls_eof, "close_notify")
                client_port = client.local_port
            line = gate.connection_line(client_port)
            fields = logfmt(line)
            expected = {
                "listener": "web",
                "client": f"127.0.0.1:{client_port}",
                "backend": f"127.0.0.1:{backend.port}",
                "accept.protocol": "TLSv1.3",
                "accept.cipher": cipher,
                "accept.alpn": "-",
                "accept.sni": "localhost",
                "accept.resumed": "no",
                "accept.peer": "-",
                "outcome": "ok",
            }
            self.assertEqual({k: fields.get(k) for k in expected}, expected, line)
            self.assertRegex(fields.get("conn", ""), r"^\d+$", line)
            self.assertRegex(fields.get("duration", ""), r"^\d+(\.\d+)?m?s$", line)
            # Application bytes, each way.
            self.assertEqual(int(fields.get("bytes_up", -1)), len(message), line)
            self.assertEqual(int(fields.get("bytes_down", -1)), len(message), line)

    def test_curl_https_to_http_backend(self):
        curl = harness.tool("curl")
        with HttpBackend(b"body from the plaintext backend\n") as backend, \
                self.daemon(self.terminate_config(backend.port)) as gate:
            proc = harness.run([curl, "-sS", "-v", "--max-time", "15", "--cacert", self.pki.ca,
                                "--resolve", f"localhost:{self.port}:127.0.0.1",
                                "-o", "-", "-w", "\nstatus=%{http_code}\n",
                                f"https://localhost:{self.port}/some/path?x=1"], check=False)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertIn("body from the plaintext backend\n", proc.stdout)
            self.assertIn("status=200", proc.stdout)
            self.assertRegex(proc.stderr, r"SSL connection using TLSv1\.3")
            self.assertEqual(backend.requests, ["/some/path?x=1"])
            line = gate.wait_for_log(all_of(r"\blistener=web\b", r"\boutcome=ok\b")).string
            self.assertEqual(logfmt(line).get("accept.sni"), "localhost", line)

    def test_tls12_client(self):
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            ctx = self.pki.client_context()
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with TlsClient(self.port, ctx) as client:
                client.handshake()
                self.assertEqual(client.version, "TLSv1.2")
                client.sendall(b"tls 1.2\n")
                self.assertEqual(client.recv_exactly(8), b"tls 1.2\n")
                client.close_notify()
                client.recv_until_eof()
                port = client.local_port
            fields = logfmt(gate.connection_line(port))
            self.assertEqual(fields.get("accept.protocol"), "TLSv1.2")
            self.assertEqual(fields.get("outcome"), "ok")

    def test_alpn_selected_in_server_order(self):
        cfg = self.terminate_config(0, alpn=["h2", "http/1.1"])
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                ctx = self.pki.client_context()
                ctx.set_alpn_protocols(["http/1.1", "h2"])
                with TlsClient(self.port, ctx) as client:
                    client.handshake()
                    self.assertEqual(client.obj.selected_alpn_protocol(), "h2")
                    client.sendall(b"x")
                    self.assertEqual(client.recv_exactly(1), b"x")
                    client.close_notify()
                    client.recv_until_eof()
                    port = client.local_port
                self.assertEqual(logfmt(gate.connection_line(port)).get("accept.alpn"), "h2")

    def test_client_certificate_required(self):
        cfg = self.terminate_config(0, client_certs={"mode": "require", "cafile": "ca.pem"})
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                with TlsClient(self.port, self.pki.client_context(cert=True)) as client:
                    client.handshake()
                    client.sendall(b"with cert\n")
                    self.assertEqual(client.recv_exactly(10), b"with cert\n")
                    client.close_notify()
                    client.recv_until_eof()
                    port = client.local_port
                line = gate.connection_line(port)
                self.assertIn("tlsgate test client", logfmt(line).get("accept.peer", ""), line)
                self.assertEqual(logfmt(line).get("outcome"), "ok", line)

                # Without a certificate: TLS 1.3 finishes the client's side of
                # the handshake, then the server's alert ends the connection.
                with TlsClient(self.port, self.pki.client_context()) as client:
                    got = b""
                    try:
                        client.handshake()
                        client.sendall(b"no cert\n")
                        got = client.recv_until_eof()
                    except (ssl.SSLError, ConnectionError):
                        pass
                    self.assertEqual(got, b"")
                    port = client.local_port
                line = gate.connection_line(port)
                self.assertEqual(logfmt(line).get("outcome"), "failed", line)
                self.assertEqual(logfmt(line).get("phase"), "handshake", line)
            self.assertEqual(backend.accepted, 1, "a client without a certificate must not reach the backend")

    def test_wrong_ca_on_client_side_is_reported(self):
        # The client does not trust the daemon's certificate and aborts with
        # an alert; the daemon logs a failed handshake, not a crash.
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            ctx = ssl.create_default_context(cafile=self.pki.untrusted_cert)
            with TlsClient(self.port, ctx) as client:
                with self.assertRaises(ssl.SSLCertVerificationError):
                    client.handshake()
                port = client.local_port
            line = gate.connection_line(port)
            self.assertEqual(logfmt(line).get("outcome"), "failed", line)
            self.assertEqual(backend.accepted, 0)

    def test_certificate_chosen_by_sni(self):
        other_cert, other_key = self.pki.extra_server_cert("other", "other.example")
        certs = [{"cert": "server.pem", "key": "server.key"},
                 {"cert": os.path.basename(other_cert), "key": os.path.basename(other_key)}]
        with EchoServer() as backend, \
                self.daemon(self.terminate_config(backend.port, certificates=certs)) as gate:
            for sni, expect_cn in (("other.example", "other.example"), ("localhost", "localhost")):
                # check_hostname proves the certificate matches the name asked for.
                with TlsClient(self.port, self.pki.client_context(), server_hostname=sni) as client:
                    client.handshake()
                    self.assertEqual(dict(x[0] for x in client.obj.getpeercert()["subject"])["commonName"],
                                     expect_cn)
                    client.sendall(b"sni\n")
                    self.assertEqual(client.recv_exactly(4), b"sni\n")
                    client.close_notify()
                    client.recv_until_eof()
                    port = client.local_port
                self.assertEqual(logfmt(gate.connection_line(port)).get("accept.sni"), sni)
            # An unknown name gets the first (default) certificate.
            ctx = self.pki.client_context()
            ctx.check_hostname = False
            with TlsClient(self.port, ctx, server_hostname="unknown.example") as client:
                client.handshake()
                self.assertEqual(dict(x[0] for x in client.obj.getpeercert()["subject"])["commonName"], "localhost")
                client.close_notify()
                client.recv_until_eof()

    def test_session_resumption(self):
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            ctx = self.pki.client_context()
            with TlsClient(self.port, ctx) as client:
                client.handshake()
                client.sendall(b"first\n")
                # TLS 1.3 tickets arrive after the handshake, with the data.
                self.assertEqual(client.recv_exactly(6), b"first\n")
                session = client.obj.session
                client.close_notify()
                client.recv_until_eof()
                first = client.local_port
            self.assertIsNotNone(session)
            self.assertTrue(session.has_ticket, "no session ticket was issued")
            with TlsClient(self.port, ctx, session=session) as client:
                client.handshake()
                client.sendall(b"second\n")
                self.assertEqual(client.recv_exactly(7), b"second\n")
                resumed = client.obj.session_reused
                client.close_notify()
                client.recv_until_eof()
                second = client.local_port
            self.assertTrue(resumed, "the daemon did not resume the session")
            self.assertEqual(logfmt(gate.connection_line(first)).get("accept.resumed"), "no")
            self.assertEqual(logfmt(gate.connection_line(second)).get("accept.resumed"), "yes")


if __name__ == "__main__":
    unittest.main()
