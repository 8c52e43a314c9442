"""The PROXY protocol both ways. connect.proxy_protocol: tlsgate tells its
backend who the client is, read by haproxy (`accept-proxy`) for v1 and v2
and checked byte by byte by a recorder, TLVs included. accept.proxy_protocol:
haproxy in front of tlsgate (`send-proxy`, `send-proxy-v2`) and tlsgate logs
and lists the original client, not haproxy."""

import json
import socket
import ssl
import struct
import unittest
import urllib.request

import harness
import peers
from harness import EchoServer, IntegrationTest, TlsClient, TlsConn, free_port, listener, logfmt, no_log_within
from peers import PP2_SIGNATURE, ProxyHeaderRecorder

# PROXY v2 TLV types and SSL sub-types (haproxy's proxy-protocol.txt, 2.2).
PP2_TYPE_ALPN = 0x01
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_CRC32C = 0x03
PP2_TYPE_NOOP = 0x04
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CN = 0x22
PP2_SUBTYPE_SSL_CIPHER = 0x23
PP2_CLIENT_SSL = 0x01
PP2_CLIENT_CERT_CONN = 0x02


def tlv_map(tlvs):
    """{type: value}, failing on a type that appears twice."""
    out = {}
    for kind, value in tlvs:
        if kind in out and kind != PP2_TYPE_NOOP:
            raise AssertionError(f"TLV type 0x{kind:02x} appears twice: {tlvs!r}")
        out[kind] = value
    return out


def client_source():
    """A loopback address for test clients other than haproxy's 127.0.0.1,
    so the address itself tells them apart (the port always does)."""
    return "127.0.0.5" if peers.can_bind("127.0.0.5") else "127.0.0.1"


class ProxyProtocolOutTest(IntegrationTest):
    """connect.proxy_protocol."""

    def send_config(self, backend_port, proxy_protocol, accept_tls=None, listen=None):
        self.port = free_port()
        return harness.config([listener("pp", listen or self.port, backend_port, accept_tls=accept_tls,
                                        connect={"proxy_protocol": proxy_protocol})])

    def http_over_tls(self, context=None):
        """GET / through tlsgate (TLS); returns (response bytes, client port)."""
        with TlsClient(self.port, context or self.pki.client_context()) as client:
            client.handshake()
            client.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            return client.recv_until_eof(), client.local_port

    # ------------------------------------------------------------------ haproxy reads it

    def test_haproxy_sees_the_client_with_v1_and_v2(self):
        for version in ("v1", "v2"):
            with self.subTest(version=version), peers.HaproxyProxyReceiver() as hp, \
                    self.daemon(self.send_config(hp.http_port, version, harness.server_tls(self.pki))) as gate:
                response, local = self.http_over_tls()
                self.assertIn(b"200 OK", response)
                self.assertIn(f"client=127.0.0.1:{local} dst=127.0.0.1:{self.port}\n".encode(), response)
                hp.wait_for_output(rf"seen client=127\.0\.0\.1:{local} dst=127\.0\.0\.1:{self.port}$")
                self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_haproxy_tcp_frontend_logs_the_client_v2(self):
        with EchoServer() as echo, peers.HaproxyProxyReceiver(echo_port=echo.port) as hp, \
                self.daemon(self.send_config(hp.tcp_port, "v2")):
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
                s.sendall(b"plain relay with a v2 header\n")
                self.assertEqual(harness.recv_line(s), b"plain relay with a v2 header\n")
                local = s.getsockname()[1]
            hp.wait_for_output(rf"tcp client=127\.0\.0\.1:{local} dst=127\.0\.0\.1:{self.port}$")

    # ------------------------------------------------------------------ byte by byte

    def test_v1_header_bytes(self):
        with ProxyHeaderRecorder() as backend, self.daemon(self.send_config(backend.port, "v1")):
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
                s.sendall(b"after the v1 line\n")
                self.assertEqual(harness.recv_line(s), b"after the v1 line\n")
                local = s.getsockname()[1]
            self.assertEqual(backend.header()["raw"], f"PROXY TCP4 127.0.0.1 127.0.0.1 {local} {self.port}\r\n".encode())

    def check_v2_frame(self, header, src, dst, family=0x11):
        """Signature, version 2 / PROXY command, TCP over IPv4, the length,
        then the addresses and ports, byte by byte; returns the TLVs."""
        raw = header["raw"]
        packed = socket.AF_INET if family == 0x11 else socket.AF_INET6
        addresses = (socket.inet_pton(packed, src[0]) + socket.inet_pton(packed, dst[0])
                     + struct.pack("!HH", src[1], dst[1]))
        expected = PP2_SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(raw) - 16) + addresses
        self.assertEqual(raw[:len(expected)], expected)
        tlvs = peers.parse_tlvs(raw[len(expected):])
        found = dict(tlvs)
        if PP2_TYPE_CRC32C in found:
            at = raw.index(bytes([PP2_TYPE_CRC32C, 0, 4]) + found[PP2_TYPE_CRC32C]) + 3
            zeroed = raw[:at] + b"\0\0\0\0" + raw[at + 4:]
            self.assertEqual(struct.unpack("!I", found[PP2_TYPE_CRC32C])[0], peers.crc32c(zeroed), "CRC32C TLV")
        return tlvs

    def echo_through(self, context, message=b"after the v2 header\n", server_hostname="localhost"):
        with TlsClient(self.port, context, server_hostname=server_hostname) as client:
            client.handshake()
            client.sendall(message)
            self.assertEqual(client.recv_exactly(len(message)), message)
            client.close_notify()
            client.recv_until_eof()
            return client

    def test_v2_header_of_a_plain_relay_has_no_ssl_tlv(self):
        with ProxyHeaderRecorder() as backend, self.daemon(self.send_config(backend.port, "v2")):
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
                s.sendall(b"x\n")
                self.assertEqual(harness.recv_line(s), b"x\n")
                local = s.getsockname()[1]
            tlvs = self.check_v2_frame(backend.header(), ("127.0.0.1", local), ("127.0.0.1", self.port))
            self.assertNotIn(PP2_TYPE_SSL, dict(tlvs), tlvs)

    def test_v2_tlvs_of_a_tls_client(self):
        tls = harness.server_tls(self.pki, alpn=["h2", "http/1.1"])
        with ProxyHeaderRecorder() as backend, self.daemon(self.send_config(backend.port, "v2", tls)):
            ctx = self.pki.client_context()
            ctx.set_alpn_protocols(["h2"])
            client = self.echo_through(ctx)
            tlvs = tlv_map(self.check_v2_frame(backend.header(), ("127.0.0.1", client.local_port),
                                               ("127.0.0.1", self.port)))
            self.assertEqual(tlvs.get(PP2_TYPE_ALPN), b"h2")
            self.assertEqual(tlvs.get(PP2_TYPE_AUTHORITY), b"localhost")
            ssl_tlv = tlvs.get(PP2_TYPE_SSL)
            self.assertIsNotNone(ssl_tlv, tlvs)
            client_bits, verify = ssl_tlv[0], struct.unpack("!I", ssl_tlv[1:5])[0]
            self.assertEqual(client_bits & PP2_CLIENT_SSL, PP2_CLIENT_SSL)
            self.assertEqual(client_bits & PP2_CLIENT_CERT_CONN, 0)
            # "zero if the client presented a certificate and it was
            # successfully verified, and non-zero otherwise": none was presented.
            self.assertNotEqual(verify, 0)
            sub = tlv_map(peers.parse_tlvs(ssl_tlv[5:]))
            self.assertEqual(sub.get(PP2_SUBTYPE_SSL_VERSION), b"TLSv1.3")
            self.assertEqual(sub.get(PP2_SUBTYPE_SSL_CIPHER), client.cipher[0].encode())
            self.assertNotIn(PP2_SUBTYPE_SSL_CN, sub)

    def test_v2_tlvs_with_a_client_certificate(self):
        tls = harness.server_tls(self.pki, client_certs={"mode": "require", "cafile": "ca.pem"})
        cfg = self.send_config(0, {"version": "v2", "client_cert": True}, tls)
        with ProxyHeaderRecorder() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg):
                client = self.echo_through(self.pki.client_context(cert=True))
                tlvs = self.check_v2_frame(backend.header(), ("127.0.0.1", client.local_port),
                                           ("127.0.0.1", self.port))
                top = tlv_map(tlvs)
                self.assertEqual(top.get(PP2_TYPE_AUTHORITY), b"localhost")
                ssl_tlv = top[PP2_TYPE_SSL]
                client_bits, verify = ssl_tlv[0], struct.unpack("!I", ssl_tlv[1:5])[0]
                self.assertEqual(client_bits & (PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN),
                                 PP2_CLIENT_SSL | PP2_CLIENT_CERT_CONN)
                self.assertEqual(verify, 0)
                sub_list = peers.parse_tlvs(ssl_tlv[5:])
                sub = tlv_map(sub_list)
                self.assertEqual(sub.get(PP2_SUBTYPE_SSL_VERSION), b"TLSv1.3")
                self.assertEqual(sub.get(PP2_SUBTYPE_SSL_CN), b"tlsgate test client")
                self.assertEqual(sub.get(PP2_SUBTYPE_SSL_CIPHER), client.cipher[0].encode())
                # client_cert: true adds the client's DER certificate in a TLV of its own.
                with open(self.pki.client_cert) as f:
                    der = ssl.PEM_cert_to_DER_cert(f.read())
                self.assertIn(der, [value for _, value in tlvs + sub_list], "no TLV carries the client certificate")

    def test_v2_header_for_an_ipv6_client(self):
        if not peers.can_bind("::1"):
            self.skipTest("::1 is not available")
        port = peers.free_port_on("::1")
        with ProxyHeaderRecorder() as backend, \
                self.daemon(self.send_config(backend.port, "v2", listen=f"[::1]:{port}")):
            with socket.create_connection(("::1", port), timeout=harness.IO_TIMEOUT) as s:
                s.sendall(b"v6\n")
                self.assertEqual(harness.recv_line(s), b"v6\n")
                local = s.getsockname()[1]
            self.check_v2_frame(backend.header(), ("::1", local), ("::1", port), family=0x21)


class ProxyProtocolInTest(IntegrationTest):
    """accept.proxy_protocol: true behind haproxy."""

    def receive_config(self, backend_port, accept_tls=None, **global_overrides):
        self.port = free_port()
        return harness.config([listener("lb", self.port, backend_port, accept_tls=accept_tls,
                                        accept={"proxy_protocol": True})], **global_overrides)

    def test_original_client_in_the_log_with_v2_and_v1(self):
        source = client_source()
        with EchoServer() as backend, self.daemon(self.receive_config(backend.port)) as gate:
            for version in (2, 1):
                with self.subTest(version=version), peers.HaproxyBalancer(self.port, version) as hp:
                    with socket.create_connection(("127.0.0.1", hp.port), timeout=harness.IO_TIMEOUT,
                                                  source_address=(source, 0)) as s:
                        s.sendall(b"behind haproxy\n")
                        self.assertEqual(harness.recv_line(s), b"behind haproxy\n")
                        local = s.getsockname()[1]
                    line = gate.connection_line(local)
                    fields = logfmt(line)
                    self.assertEqual(fields.get("client"), f"{source}:{local}", line)
                    self.assertEqual(fields.get("outcome"), "ok", line)
                    via = hp.wait_for_output(rf"lb client={source.replace('.', '[.]')}:{local} via=(\S+)").group(1)
                    self.assertNotEqual(fields.get("client"), via)
                    self.assertEqual(int(fields.get("bytes_up", -1)), len(b"behind haproxy\n"), line)
            self.assertEqual(backend.errors, [])

    def test_tls_after_the_header(self):
        source = client_source()
        with EchoServer() as backend, \
                self.daemon(self.receive_config(backend.port, accept_tls=harness.server_tls(self.pki))) as gate, \
                peers.HaproxyBalancer(self.port, 2) as hp:
            raw = socket.create_connection(("127.0.0.1", hp.port), timeout=harness.IO_TIMEOUT,
                                           source_address=(source, 0))
            with TlsConn(raw, self.pki.client_context(), server_hostname="localhost") as client:
                client.handshake()
                client.sendall(b"tls behind haproxy\n")
                self.assertEqual(client.recv_line(), b"tls behind haproxy\n")
                client.close_notify()
                client.recv_until_eof()
            fields = logfmt(gate.connection_line(client.local_port))
            self.assertEqual(fields.get("client"), f"{source}:{client.local_port}")
            self.assertEqual(fields.get("accept.protocol"), "TLSv1.3")

    def test_connections_endpoint_lists_the_original_client(self):
        source = client_source()
        admin = f"127.0.0.1:{free_port()}"
        with EchoServer() as backend, \
                self.daemon(self.receive_config(backend.port, admin={"listen": admin})) as gate, \
                peers.HaproxyBalancer(self.port, 2) as hp:
            with socket.create_connection(("127.0.0.1", hp.port), timeout=harness.IO_TIMEOUT,
                                          source_address=(source, 0)) as s:
                s.sendall(b"still open\n")
                self.assertEqual(harness.recv_line(s), b"still open\n")
                local = s.getsockname()[1]

                def listed():
                    with urllib.request.urlopen(f"http://{admin}/connections", timeout=harness.IO_TIMEOUT) as r:
                        entries = json.load(r)["connections"]
                    return [e for e in entries if e["listener"] == "lb"]

                entries = harness.wait_until(listed, harness.IO_TIMEOUT, what="the connection in /connections")
                self.assertEqual([e["client"] for e in entries], [f"{source}:{local}"])
            gate.connection_line(local)

    def test_missing_header_is_an_error_and_a_close(self):
        with EchoServer() as backend, self.daemon(self.receive_config(backend.port)) as gate:
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as s:
                local = s.getsockname()[1]
                s.sendall(b"hello without a header\r\n")
                data, how = harness.recv_until_eof(s)
            self.assertEqual(data, b"")
            self.assertIn(how, ("eof", "reset"))
            line = gate.connection_line(local)
            fields = logfmt(line)
            self.assertEqual(fields.get("outcome"), "failed", line)
            self.assertRegex(fields.get("reason", ""), r"(?i)proxy", line)
            no_log_within(gate, rf"\bclient=\S*:{local}(?!\d)", 0.5, start=gate.lines.index(line) + 1)
            self.assertEqual(backend.accepted, 0)


if __name__ == "__main__":
    unittest.main()
