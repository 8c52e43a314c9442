"""routes and backend lists: the connect side picked by SNI (exact and
wildcard) and ALPN on a TLS accept side, by SNI without terminating on a
plain (passthrough) listener, round robin over several backends, and
failover to the next backend within the same client connection."""

import collections
import hashlib
import socket
import ssl
import time
import unittest

import harness
from harness import IntegrationTest, TlsClient, TlsServer, free_port, listener, logfmt
from peers import NamedEchoServer


class RoutingTest(IntegrationTest):

    def named(self, *names):
        return [NamedEchoServer(name).start() for name in names]

    def stop_all(self, servers):
        for s in servers:
            s.stop()

    def tls_pick(self, sni, alpn=None):
        """A TLS connection with this SNI (and ALPN offer); returns (the
        backend's name, negotiated ALPN, client port)."""
        ctx = self.pki.client_context(server_hostname_check=False)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        with TlsClient(self.port, ctx, server_hostname=sni) as client:
            client.handshake()
            name = client.recv_line().strip().decode()
            client.sendall(b"routed\n")
            self.assertEqual(client.recv_exactly(7), b"routed\n")
            client.close_notify()
            client.recv_until_eof()
            return name, client.obj.selected_alpn_protocol(), client.local_port

    def plain_pick(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
            name = harness.recv_line(s).strip().decode()
            s.sendall(b"echo\n")
            self.assertEqual(harness.recv_line(s), b"echo\n")
            return name, s.getsockname()[1]

    # ------------------------------------------------------------------ SNI and ALPN

    def test_sni_and_alpn_routes_on_a_tls_accept_side(self):
        servers = self.named("default", "api-h2", "api", "apps-wildcard", "any-h2", "listed")
        default, api_h2, api, apps, any_h2, listed = servers
        self.addCleanup(self.stop_all, servers)
        self.port = free_port()
        routes = [
            {"match": {"sni": "api.example.com", "alpn": "h2"}, "connect": {"address": f"127.0.0.1:{api_h2.port}"}},
            {"match": {"sni": "api.example.com"}, "connect": {"address": f"127.0.0.1:{api.port}"}},
            {"match": {"sni": "*.apps.example.com"}, "connect": {"address": f"127.0.0.1:{apps.port}"}},
            {"match": {"sni": ["one.example.net", "two.example.net"]},
             "connect": {"address": f"127.0.0.1:{listed.port}"}},
            {"match": {"alpn": "h2"}, "connect": {"address": f"127.0.0.1:{any_h2.port}"}},
        ]
        cfg = harness.config([listener("routed", self.port, default.port,
                                       accept_tls=harness.server_tls(self.pki, alpn=["h2", "http/1.1"]),
                                       routes=routes)])
        cases = [
            ("api.example.com", ["h2", "http/1.1"], "api-h2", "h2"),
            ("api.example.com", ["http/1.1"], "api", "http/1.1"),
            ("api.example.com", None, "api", None),
            ("x.apps.example.com", None, "apps-wildcard", None),
            ("x.apps.example.com", ["h2"], "apps-wildcard", "h2"),   # the first match wins
            ("a.b.apps.example.com", None, "default", None),         # a wildcard covers one label
            ("apps.example.com", None, "default", None),
            ("two.example.net", None, "listed", None),
            ("other.example.org", ["h2"], "any-h2", "h2"),
            ("other.example.org", ["http/1.1"], "default", "http/1.1"),
            ("localhost", None, "default", None),
        ]
        with self.daemon(cfg) as gate:
            for sni, alpn, expected, negotiated in cases:
                with self.subTest(sni=sni, alpn=alpn):
                    name, selected, local = self.tls_pick(sni, alpn)
                    self.assertEqual((name, selected), (expected, negotiated))
                    fields = logfmt(gate.connection_line(local))
                    backend = next(s for s in servers if s.name == expected)
                    self.assertEqual(fields.get("backend"), f"127.0.0.1:{backend.port}")
                    self.assertEqual(fields.get("accept.sni"), sni)
                    self.assertEqual(fields.get("outcome"), "ok")

    def test_sni_routes_on_a_passthrough_listener(self):
        # The listener has no tls block: tlsgate reads the SNI from the
        # ClientHello and relays the bytes; the client's TLS session is with
        # the backend, under the backend's certificate.
        api_cert, api_key = self.pki.extra_server_cert("api", "api.example.com")
        api_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        api_ctx.load_cert_chain(api_cert, api_key)
        self.port = free_port()
        with TlsServer(api_ctx, mode="echo") as api, TlsServer(self.pki.server_context(), mode="echo") as other:
            routes = [{"match": {"sni": "api.example.com"}, "connect": {"address": f"127.0.0.1:{api.port}"}}]
            cfg = harness.config([listener("sni-pass", self.port, other.port, routes=routes)])
            with self.daemon(cfg) as gate:
                for sni, server, cert in [("api.example.com", api, api_cert),
                                          ("localhost", other, self.pki.server_cert)]:
                    with self.subTest(sni=sni):
                        with TlsClient(self.port, self.pki.client_context(), server_hostname=sni) as client:
                            client.handshake()
                            seen = hashlib.sha256(client.obj.getpeercert(binary_form=True)).hexdigest()
                            self.assertEqual(seen, harness.cert_sha256(cert))
                            client.sendall(b"passthrough\n")
                            self.assertEqual(client.recv_exactly(12), b"passthrough\n")
                            client.close_notify()
                            client.recv_until_eof()
                        fields = logfmt(gate.connection_line(client.local_port))
                        self.assertEqual(fields.get("backend"), f"127.0.0.1:{server.port}")
                        self.assertEqual(fields.get("outcome"), "ok")
                        self.assertIn(sni, server.server_names)
                self.assertEqual(api.server_names, ["api.example.com"])
                self.assertEqual(other.server_names, ["localhost"])

    # ------------------------------------------------------------------ backend lists

    def test_round_robin_spreads_nine_connections_three_each(self):
        servers = self.named("a", "b", "c")
        self.addCleanup(self.stop_all, servers)
        self.port = free_port()
        cfg = harness.config([listener("rr", self.port, [f"127.0.0.1:{s.port}" for s in servers],
                                       connect={"balance": "round_robin"})], workers=1)
        with self.daemon(cfg):
            picks = [self.plain_pick()[0] for _ in range(9)]
        self.assertEqual(collections.Counter(picks), {"a": 3, "b": 3, "c": 3}, picks)
        for i in range(0, 9, 3):
            self.assertEqual(sorted(picks[i:i + 3]), ["a", "b", "c"], picks)

    def test_round_robin_skips_a_backend_that_is_down(self):
        a, c = self.named("a", "c")
        self.addCleanup(self.stop_all, [a, c])
        down = free_port()
        self.port = free_port()
        cfg = harness.config([listener("rr", self.port, [f"127.0.0.1:{a.port}", f"127.0.0.1:{down}",
                                                         f"127.0.0.1:{c.port}"],
                                       connect={"balance": "round_robin", "fail_timeout": "30s"})], workers=1)
        with self.daemon(cfg) as gate:
            picks = []
            for _ in range(6):
                name, local = self.plain_pick()
                picks.append(name)
                self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")
        self.assertEqual(set(picks), {"a", "c"}, picks)

    def test_failover_within_the_same_connection_and_back_after_fail_timeout(self):
        (second,) = self.named("second")
        self.addCleanup(second.stop)
        first_port = free_port()
        self.port = free_port()
        cfg = harness.config([listener("fo", self.port, [f"127.0.0.1:{first_port}", f"127.0.0.1:{second.port}"],
                                       connect={"balance": "failover", "fail_timeout": "3s"})], workers=1)
        with self.daemon(cfg) as gate:
            failed_at = time.monotonic()
            name, local = self.plain_pick()
            # The first backend refused; the client noticed nothing.
            self.assertEqual(name, "second")
            fields = logfmt(gate.connection_line(local))
            self.assertEqual(fields.get("outcome"), "ok")
            self.assertEqual(fields.get("backend"), f"127.0.0.1:{second.port}")
            first = NamedEchoServer("first", port=first_port).start()
            self.addCleanup(first.stop)
            # Within fail_timeout the first backend is still skipped...
            name, _ = self.plain_pick()
            if time.monotonic() - failed_at < 2.5:
                self.assertEqual(name, "second")
            # ...and afterwards it serves again.
            harness.wait_until(lambda: self.plain_pick()[0] == "first", 3 + harness.IO_TIMEOUT, interval=0.1,
                               what="the first backend to be used again")
            self.assertGreaterEqual(time.monotonic() - failed_at, 2.5)
            self.assertEqual(self.plain_pick()[0], "first")


if __name__ == "__main__":
    unittest.main()
