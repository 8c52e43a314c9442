"""connect.via: tlsgate reaches its backend through an upstream proxy,
tinyproxy for HTTP CONNECT (with and without Basic authentication) and
microsocks for SOCKS5 (with and without user/password), to plaintext echo
servers and, with connect.tls, to a TLS server through the tunnel. The
proxies' own logs show that the tunnel really went through them."""

import os
import socket
import unittest

import harness
import peers
from harness import EchoServer, IntegrationTest, TlsServer, free_port, listener, logfmt


class ViaTest(IntegrationTest):

    def via_config(self, backend_port, via, connect_tls=None):
        self.port = free_port()
        return harness.config([listener("via", self.port, backend_port, connect={"via": via},
                                        connect_tls=connect_tls)])

    def auth_file(self, credentials, name="proxy-auth"):
        path = self.file(name)
        with open(path, "w") as f:
            f.write(credentials + "\n")
        os.chmod(path, 0o600)
        return name

    def echo(self, message=b"through the upstream proxy\n"):
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
            s.sendall(message)
            got = harness.recv_line(s)
            return got, s.getsockname()[1]

    def assert_echoes(self, gate):
        got, local = self.echo()
        self.assertEqual(got, b"through the upstream proxy\n")
        line = gate.connection_line(local)
        self.assertEqual(logfmt(line).get("outcome"), "ok", line)
        return line

    def assert_refused(self, gate):
        """The client is closed without data; returns the failure's reason."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
            local = s.getsockname()[1]
            try:
                s.sendall(b"should never arrive\n")
            except OSError:
                pass
            data, how = harness.recv_until_eof(s)
        self.assertEqual(data, b"")
        self.assertIn(how, ("eof", "reset"))
        line = gate.connection_line(local)
        fields = logfmt(line)
        self.assertEqual(fields.get("outcome"), "failed", line)
        return fields.get("reason", "")

    # ------------------------------------------------------------------ HTTP CONNECT

    def test_http_connect_without_authentication(self):
        with EchoServer() as backend, peers.Tinyproxy([backend.port]) as proxy, \
                self.daemon(self.via_config(backend.port, {"http_connect": f"127.0.0.1:{proxy.port}"})) as gate:
            self.assert_echoes(gate)
            self.assertEqual(proxy.connect_requests(), [f"127.0.0.1:{backend.port}"])
            self.assertEqual(backend.accepted, 1)

    def test_http_connect_with_basic_authentication(self):
        with EchoServer() as backend, peers.Tinyproxy([backend.port], auth=("user", "pass")) as proxy:
            via = {"http_connect": f"127.0.0.1:{proxy.port}", "auth_file": self.auth_file("user:pass")}
            with self.daemon(self.via_config(backend.port, via)) as gate:
                self.assert_echoes(gate)
                self.assertEqual(proxy.connect_requests(), [f"127.0.0.1:{backend.port}"])

    def test_http_connect_without_credentials_quotes_407(self):
        with EchoServer() as backend, peers.Tinyproxy([backend.port], auth=("user", "pass")) as proxy, \
                self.daemon(self.via_config(backend.port, {"http_connect": f"127.0.0.1:{proxy.port}"})) as gate:
            reason = self.assert_refused(gate)
            self.assertIn("407", reason)
            self.assertEqual(backend.accepted, 0)

    def test_http_connect_wrong_password_quotes_the_status(self):
        # tinyproxy answers a wrong password with "401 Unauthorized" (and a
        # missing one with 407); the reason quotes whichever it sent.
        with EchoServer() as backend, peers.Tinyproxy([backend.port], auth=("user", "pass")) as proxy:
            via = {"http_connect": f"127.0.0.1:{proxy.port}", "auth_file": self.auth_file("user:wrong")}
            with self.daemon(self.via_config(backend.port, via)) as gate:
                reason = self.assert_refused(gate)
                self.assertRegex(reason, r"\b40[17]\b")
                self.assertEqual(backend.accepted, 0)

    def test_http_connect_refused_by_the_proxy_quotes_403(self):
        with EchoServer() as backend, peers.Tinyproxy([free_port()]) as proxy, \
                self.daemon(self.via_config(backend.port, {"http_connect": f"127.0.0.1:{proxy.port}"})) as gate:
            reason = self.assert_refused(gate)
            self.assertIn("403", reason)
            self.assertIn("Access violation", reason)
            self.assertEqual(backend.accepted, 0)
            proxy.wait_for_log(rf"Refused CONNECT method on port {backend.port}")

    def test_http_connect_carries_tls_to_the_backend(self):
        with TlsServer(self.pki.server_context(), mode="echo") as server, \
                peers.Tinyproxy([server.port]) as proxy:
            cfg = self.via_config(server.port, {"http_connect": f"127.0.0.1:{proxy.port}"},
                                  connect_tls=harness.client_tls(self.pki))
            with self.daemon(cfg) as gate:
                line = self.assert_echoes(gate)
                self.assertEqual(logfmt(line).get("connect.protocol"), "TLSv1.3", line)
                self.assertEqual(server.server_names, ["localhost"])
                self.assertEqual(proxy.connect_requests(), [f"127.0.0.1:{server.port}"])

    # ------------------------------------------------------------------ SOCKS5

    def test_socks5_without_authentication(self):
        with EchoServer() as backend, peers.Microsocks() as proxy, \
                self.daemon(self.via_config(backend.port, {"socks5": f"127.0.0.1:{proxy.port}"})) as gate:
            self.assert_echoes(gate)
            harness.wait_until(proxy.tunnels, harness.IO_TIMEOUT, what="microsocks to log the tunnel")
            self.assertEqual(proxy.tunnels(), [f"127.0.0.1:{backend.port}"])

    def test_socks5_with_user_and_password(self):
        with EchoServer() as backend, peers.Microsocks(auth=("sockuser", "sockpass")) as proxy:
            via = {"socks5": f"127.0.0.1:{proxy.port}", "auth_file": self.auth_file("sockuser:sockpass")}
            with self.daemon(self.via_config(backend.port, via)) as gate:
                self.assert_echoes(gate)
                harness.wait_until(proxy.tunnels, harness.IO_TIMEOUT, what="microsocks to log the tunnel")
                self.assertEqual(proxy.tunnels(), [f"127.0.0.1:{backend.port}"])

    def test_socks5_wrong_password(self):
        with EchoServer() as backend, peers.Microsocks(auth=("sockuser", "sockpass")) as proxy:
            via = {"socks5": f"127.0.0.1:{proxy.port}", "auth_file": self.auth_file("sockuser:wrong")}
            with self.daemon(self.via_config(backend.port, via)) as gate:
                reason = self.assert_refused(gate)
                self.assertRegex(reason, r"(?i)auth|password|credential")
                self.assertEqual(backend.accepted, 0)
                self.assertEqual(proxy.tunnels(), [])

    def test_socks5_carries_tls_to_the_backend(self):
        with TlsServer(self.pki.server_context(), mode="echo") as server, peers.Microsocks() as proxy:
            cfg = self.via_config(server.port, {"socks5": f"127.0.0.1:{proxy.port}"},
                                  connect_tls=harness.client_tls(self.pki))
            with self.daemon(cfg) as gate:
                line = self.assert_echoes(gate)
                self.assertEqual(logfmt(line).get("connect.protocol"), "TLSv1.3", line)
                self.assertEqual(server.server_names, ["localhost"])
                harness.wait_until(proxy.tunnels, harness.IO_TIMEOUT, what="microsocks to log the tunnel")
                self.assertEqual(proxy.tunnels(), [f"127.0.0.1:{server.port}"])


if __name__ == "__main__":
    unittest.main()
