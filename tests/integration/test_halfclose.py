"""Half-close: a TCP FIN becomes close_notify and a close_notify becomes a
TCP FIN, while the other direction keeps flowing."""

import hashlib
import socket
import threading
import time
import unittest

import harness
from harness import (GreetThenReadServer, IntegrationTest, ReplyAfterEofServer, TlsClient, TlsServer, free_port,
                     listener, logfmt, recv_until_eof)


class HoldAfterEofServer(harness._ThreadedServer):
    """Reads until EOF, then neither sends nor closes until released."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.release = threading.Event()
        self.saw_eof = threading.Event()

    def handle(self, conn, peer):
        while conn.recv(65536):
            pass
        self.saw_eof.set()
        self.release.wait(60)


class HalfCloseTest(IntegrationTest):

    def terminate(self, backend_port):
        self.port = free_port()
        return harness.config([listener("term", self.port, backend_port, accept_tls=harness.server_tls(self.pki))])

    def originate(self, server_port):
        self.port = free_port()
        return harness.config([listener("orig", self.port, server_port, connect_tls=harness.client_tls(self.pki))])

    def test_terminate_client_close_notify_then_backend_replies(self):
        payload = b"request body " * 5000
        digest = hashlib.sha256(payload).hexdigest()
        with ReplyAfterEofServer(tail=b"and more after EOF\n") as backend, \
                self.daemon(self.terminate(backend.port)) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                client.handshake()
                client.sendall(payload)
                client.close_notify()
                # The backend only answers after it has seen EOF, so this
                # reply proves the close_notify became a FIN and the other
                # direction kept flowing.
                reply = client.recv_until_eof()
                local = client.local_port
                how = client.tls_eof
            self.assertEqual(reply, f"got {len(payload)} bytes sha256={digest}\n".encode() + b"and more after EOF\n")
            self.assertEqual(how, "close_notify", "backend FIN should arrive as close_notify")
            self.assertEqual(backend.received, [(len(payload), digest)])
            self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_terminate_backend_fin_then_client_keeps_sending(self):
        with GreetThenReadServer(greeting=b"greetings, then FIN\n") as backend, \
                self.daemon(self.terminate(backend.port)) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                client.handshake()
                self.assertEqual(client.recv_until_eof(), b"greetings, then FIN\n")
                self.assertEqual(client.tls_eof, "close_notify")
                # Our direction is still open.
                client.sendall(b"still talking after your close_notify\n")
                client.close_notify()
                local = client.local_port
                harness.wait_until(lambda: backend.received or backend.errors, 15,
                                   what="backend to read until EOF")
            self.assertEqual(backend.errors, [])
            self.assertEqual(backend.received, [b"still talking after your close_notify\n"])
            self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_originate_client_fin_becomes_close_notify(self):
        payload = b"plain request " * 3000
        digest = hashlib.sha256(payload).hexdigest()
        with TlsServer(self.pki.server_context(), mode="reply") as server, \
                self.daemon(self.originate(server.port)) as gate:
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
                reply, how = recv_until_eof(sock)
                local = sock.getsockname()[1]
            self.assertEqual(how, "eof")
            self.assertEqual(reply, f"tls-server got {len(payload)} bytes sha256={digest}\n".encode())
            self.assertEqual(server.errors, [])
            self.assertEqual(server.events, [("close_notify", len(payload), digest)],
                             "the TLS server should see close_notify, not a bare TCP EOF")
            self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_originate_server_close_notify_becomes_fin(self):
        with TlsServer(self.pki.server_context(), mode="greet", greeting=b"server speaks first\n") as server, \
                self.daemon(self.originate(server.port)) as gate:
            with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
                # The plain side only connects; the daemon handshakes upstream.
                reply, how = recv_until_eof(sock)
                self.assertEqual((reply, how), (b"server speaks first\n", "eof"))
                sock.sendall(b"late words\n")
                sock.shutdown(socket.SHUT_WR)
                harness.wait_until(lambda: server.events or server.errors, 15, what="TLS server to finish")
                rest, how = recv_until_eof(sock)
                local = sock.getsockname()[1]
            self.assertEqual(server.errors, [])
            self.assertEqual(server.events, [("close_notify", 11, hashlib.sha256(b"late words\n").hexdigest())])
            self.assertEqual(rest, b"")
            self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_half_closed_connection_ends_after_close_timeout(self):
        self.port = free_port()
        with HoldAfterEofServer() as backend:
            cfg = harness.config([listener("term", self.port, backend.port, accept_tls=harness.server_tls(self.pki))],
                                 timeouts={"close": "1s"})
            try:
                with self.daemon(cfg) as gate:
                    with TlsClient(self.port, self.pki.client_context()) as client:
                        client.handshake()
                        client.sendall(b"last words\n")
                        client.close_notify()
                        harness.wait_until(backend.saw_eof.is_set, 10, what="backend to see EOF")
                        # The backend never finishes its side; timeouts.close ends it.
                        started = time.monotonic()
                        self.assertEqual(client.recv_until_eof(), b"")
                        elapsed = time.monotonic() - started
                        local = client.local_port
                    self.assertLess(elapsed, 5.0)
                    line = gate.connection_line(local)
                    self.assertRegex(line, r"(?i)timeouts\.close|close timeout|half-closed")
            finally:
                backend.release.set()


if __name__ == "__main__":
    unittest.main()
