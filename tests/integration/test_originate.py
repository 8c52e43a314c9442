"""Originate mode: plaintext clients reach TLS servers (openssl s_server,
Python ssl) through tlsgate, which verifies the server."""

import hashlib
import socket
import ssl
import unittest

import harness
from harness import IntegrationTest, TlsServer, all_of, free_port, listener, logfmt, recv_line, recv_until_eof

VERIFY_FAILED = r"certificate verify failed"


class OriginateTest(IntegrationTest):

    def originate_config(self, server_port, **tls_extra):
        self.port = free_port()
        return harness.config([listener("out", self.port, server_port,
                                        connect_tls=harness.client_tls(self.pki, **tls_extra))])

    def s_server(self, cert=None, key=None):
        """openssl s_server -rev (replies to each line with the line reversed)."""
        port = free_port()
        args = [harness.tool("openssl"), "s_server", "-accept", f"127.0.0.1:{port}",
                "-cert", cert or self.pki.server_cert, "-key", key or self.pki.server_key, "-rev"]
        proc = harness.process(args, ready=r"^ACCEPT")
        return proc, port

    def plain_roundtrip(self, line):
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
            sock.sendall(line)
            reply = recv_line(sock)
            local = sock.getsockname()[1]
        return reply, local

    def assert_rejected(self, gate):
        """A plain client is cut off without data, and the log explains why."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
            local = sock.getsockname()[1]
            try:
                sock.sendall(b"should never arrive\n")
            except OSError:
                pass
            data, how = recv_until_eof(sock)
        self.assertEqual(data, b"")
        self.assertIn(how, ("eof", "reset"))
        line = gate.connection_line(local)
        fields = logfmt(line)
        self.assertEqual(fields.get("outcome"), "failed", line)
        self.assertRegex(line, VERIFY_FAILED)
        return line

    def test_openssl_s_server_verified_by_ca_and_name(self):
        server, server_port = self.s_server()
        with server, self.daemon(self.originate_config(server_port)) as gate:
            reply, local = self.plain_roundtrip(b"hello originate\n")
            self.assertEqual(reply, b"etanigiro olleh\n")
            reply, local = self.plain_roundtrip(b"second connection\n")
            self.assertEqual(reply, b"noitcennoc dnoces\n")
            line = gate.connection_line(local)
            fields = logfmt(line)
            self.assertEqual(fields.get("listener"), "out", line)
            self.assertEqual(fields.get("client"), f"127.0.0.1:{local}", line)
            self.assertEqual(fields.get("backend"), f"127.0.0.1:{server_port}", line)
            self.assertIn("TLSv1.3", [v for k, v in fields.items() if k.endswith(".protocol")], line)

    def test_python_ssl_server_receives_sni_and_data(self):
        with TlsServer(self.pki.server_context(), mode="echo") as server, \
                self.daemon(self.originate_config(server.port)) as gate:
            reply, local = self.plain_roundtrip(b"via python ssl\n")
            self.assertEqual(reply, b"via python ssl\n")
            harness.wait_until(lambda: server.events, 10, what="server to see the connection end")
            self.assertEqual(server.server_names, ["localhost"])
            self.assertEqual(server.errors, [])
            # The plain client closed (FIN); the server must have seen close_notify.
            self.assertEqual(server.events[0][0], "close_notify")
            self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_wrong_servername_rejected(self):
        server, server_port = self.s_server()
        with server, self.daemon(self.originate_config(server_port, servername="wrong.example")) as gate:
            self.assert_rejected(gate)

    def test_wrong_peer_name_rejected(self):
        server, server_port = self.s_server()
        with server, self.daemon(self.originate_config(server_port, peer_name="other.example")) as gate:
            self.assert_rejected(gate)

    def test_peer_name_matching_certificate_accepted(self):
        # SNI says one thing, the name verified is another that the
        # certificate does carry.
        with TlsServer(self.pki.server_context(), mode="echo") as server, \
                self.daemon(self.originate_config(server.port, servername="sni.example",
                                                  peer_name="localhost")):
            reply, _ = self.plain_roundtrip(b"peer name\n")
            self.assertEqual(reply, b"peer name\n")
            self.assertEqual(server.server_names, ["sni.example"])

    def test_untrusted_server_rejected_by_default(self):
        server, server_port = self.s_server(self.pki.untrusted_cert, self.pki.untrusted_key)
        with server, self.daemon(self.originate_config(server_port)) as gate:
            self.assert_rejected(gate)

    def test_verify_false_connects_to_untrusted_server(self):
        server, server_port = self.s_server(self.pki.untrusted_cert, self.pki.untrusted_key)
        cfg = self.originate_config(server_port, verify=False)
        del cfg["listeners"][0]["connect"]["tls"]["cafile"]
        with server, self.daemon(cfg) as gate:
            # Turning verification off is announced at startup.
            gate.wait_for_log(all_of(r"(?i:warn)", r"(?i:verif)"), timeout=1)
            reply, _ = self.plain_roundtrip(b"unverified\n")
            self.assertEqual(reply, b"deifirevnu\n")

    def test_client_certificate_presented_upstream(self):
        ctx = self.pki.server_context()
        ctx.load_verify_locations(self.pki.ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
        with TlsServer(ctx, mode="echo") as server, \
                self.daemon(self.originate_config(server.port, cert="client.pem", key="client.key")) as gate:
            reply, local = self.plain_roundtrip(b"mutual\n")
            self.assertEqual(reply, b"mutual\n")
            self.assertEqual(server.errors, [])
            subject = dict(x[0] for x in server.peer_certs[0]["subject"])
            self.assertEqual(subject["commonName"], "tlsgate test client")
            line = gate.connection_line(local)
            self.assertRegex(logfmt(line).get("connect.peer", ""), r"CN\s*=\s*localhost", line)

    def test_reencrypt_both_sides(self):
        port = free_port()
        with TlsServer(self.pki.server_context(), mode="echo") as server:
            cfg = harness.config([listener("bridge", port, server.port, accept_tls=harness.server_tls(self.pki),
                                           connect_tls=harness.client_tls(self.pki))])
            with self.daemon(cfg) as gate:
                with harness.TlsClient(port, self.pki.client_context()) as client:
                    client.handshake()
                    client.sendall(b"bridged\n")
                    self.assertEqual(client.recv_exactly(8), b"bridged\n")
                    client.close_notify()
                    self.assertEqual(client.recv_until_eof(), b"")
                    self.assertEqual(client.tls_eof, "close_notify")
                    local = client.local_port
                line = gate.connection_line(local)
                fields = logfmt(line)
                self.assertEqual(fields.get("outcome"), "ok", line)
                self.assertEqual(fields.get("accept.protocol"), "TLSv1.3", line)
                self.assertEqual(fields.get("connect.protocol"), "TLSv1.3", line)
                self.assertEqual(server.events, [("close_notify", 8, hashlib.sha256(b"bridged\n").hexdigest())])


if __name__ == "__main__":
    unittest.main()
