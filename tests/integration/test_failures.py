"""Failed connections are cut off promptly and explained in the log, and
the listener keeps serving afterwards."""

import socket
import ssl
import time
import unittest

import harness
from harness import EchoServer, IntegrationTest, TlsClient, free_port, listener, logfmt, recv_until_eof


class FailureTest(IntegrationTest):

    def terminate(self, backend_port, **global_overrides):
        self.port = free_port()
        return harness.config([listener("web", self.port, backend_port, accept_tls=harness.server_tls(self.pki))],
                              **global_overrides)

    def tls_echo_works(self, gate):
        with TlsClient(self.port, self.pki.client_context()) as client:
            client.handshake()
            client.sendall(b"are you still there?\n")
            self.assertEqual(client.recv_exactly(21), b"are you still there?\n")
            client.close_notify()
            client.recv_until_eof()
            local = client.local_port
        self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def raw_exchange(self, payload):
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
            local = sock.getsockname()[1]
            if payload:
                sock.sendall(payload)
            started = time.monotonic()
            data, how = recv_until_eof(sock, timeout=10)
            return data, how, time.monotonic() - started, local

    def test_backend_down_then_up(self):
        backend_port = free_port()  # nothing listens here yet
        with self.daemon(self.terminate(backend_port)) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                # The backend is only dialled after the handshake.
                client.handshake()
                try:
                    client.sendall(b"anyone home?\n")
                    data = client.recv_until_eof()
                except (ssl.SSLError, ConnectionError):
                    data = b""
                local = client.local_port
            self.assertEqual(data, b"")
            line = gate.connection_line(local)
            self.assertEqual(logfmt(line).get("outcome"), "failed", line)
            self.assertRegex(line, r"(?i)backend connect failed.*connection refused")

            with EchoServer(port=backend_port) as backend:
                self.tls_echo_works(gate)
                self.assertEqual(backend.accepted, 1)

    def test_silent_client_cut_off_by_handshake_timeout(self):
        with EchoServer() as backend, \
                self.daemon(self.terminate(backend.port, timeouts={"handshake": "1s"})) as gate:
            data, how, elapsed, local = self.raw_exchange(b"")
            self.assertIn(how, ("eof", "reset"), f"connection not closed after {elapsed:.1f}s")
            self.assertGreaterEqual(elapsed, 0.5)
            self.assertLess(elapsed, 5.0)
            line = gate.connection_line(local)
            self.assertEqual(logfmt(line).get("outcome"), "failed", line)
            self.assertRegex(line, r"handshake timed out")
            self.assertEqual(backend.accepted, 0)

    def test_stalled_handshake_cut_off_by_handshake_timeout(self):
        # Half a ClientHello, then silence.
        hello = client_hello()
        with EchoServer() as backend, \
                self.daemon(self.terminate(backend.port, timeouts={"handshake": "1s"})) as gate:
            data, how, elapsed, local = self.raw_exchange(hello[:len(hello) // 2])
            self.assertIn(how, ("eof", "reset"), f"connection not closed after {elapsed:.1f}s")
            self.assertLess(elapsed, 5.0)
            self.assertRegex(gate.connection_line(local), r"handshake timed out")

    def test_idle_connection_closed_by_idle_timeout(self):
        with EchoServer() as backend, \
                self.daemon(self.terminate(backend.port, timeouts={"idle": "1s"})) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                client.handshake()
                client.sendall(b"ping\n")
                self.assertEqual(client.recv_exactly(5), b"ping\n")
                started = time.monotonic()
                self.assertEqual(client.recv_until_eof(), b"")
                elapsed = time.monotonic() - started
                local = client.local_port
            self.assertGreaterEqual(elapsed, 0.5)
            self.assertLess(elapsed, 5.0)
            line = gate.connection_line(local)
            self.assertRegex(line, r"(?i)idle")
            self.assertEqual(int(logfmt(line).get("bytes_up", -1)), 5, line)

    def test_http_to_tls_port(self):
        request = b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88\r\nAccept: */*\r\n\r\n"
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)) as gate:
            data, how, elapsed, local = self.raw_exchange(request)
            self.assertIn(how, ("eof", "reset"))
            self.assertNotIn(b"GET /", data)
            line = gate.connection_line(local)
            fields = logfmt(line)
            self.assertEqual(fields.get("outcome"), "failed", line)
            self.assertEqual(fields.get("phase"), "handshake", line)
            self.assertRegex(line, r"HTTP sent to a TLS port|peer spoke plaintext to a TLS port")
            # No TLS version was ever negotiated on this connection.
            self.assertEqual(fields.get("accept.protocol"), "-", line)
            self.tls_echo_works(gate)
            self.assertEqual(backend.accepted, 1)

    def test_plaintext_to_tls_port(self):
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)) as gate:
            data, how, elapsed, local = self.raw_exchange(b"hello, plain text here\r\n")
            self.assertIn(how, ("eof", "reset"))
            line = gate.connection_line(local)
            self.assertEqual(logfmt(line).get("outcome"), "failed", line)
            self.assertRegex(line, r"peer spoke plaintext to a TLS port")
            self.assertEqual(logfmt(line).get("accept.protocol"), "-", line)
            self.tls_echo_works(gate)

    def test_peer_closes_mid_handshake(self):
        hello = client_hello()
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)) as gate:
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
                local = sock.getsockname()[1]
                sock.sendall(hello[:len(hello) // 2])
                sock.shutdown(socket.SHUT_WR)
                recv_until_eof(sock, timeout=10)
            line = gate.connection_line(local)
            self.assertEqual(logfmt(line).get("outcome"), "failed", line)
            self.assertRegex(line, r"(?i)peer closed without close_notify|peer closed|unexpected eof")
            self.tls_echo_works(gate)


def client_hello():
    """The bytes of a real TLS ClientHello."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


if __name__ == "__main__":
    unittest.main()
