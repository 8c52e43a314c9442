"""Floods and peers that do not play along: stalled partial ClientHellos
cost little memory and are no handshakes in progress, whole ones are until
they end; limits.max_handshakes pauses accepting and resumes; a
TLS client that makes tlsgate answer and never reads leaves the daemon's
memory bounded; limits.buffer_size below one TLS record still delivers a
record larger than it."""

import ctypes
import os
import select
import socket
import ssl
import time
import unittest

import harness
from harness import EchoServer, IntegrationTest, free_port, listener
from test_admin import http_get, parse_metrics, value

STALLED = 1000
STALLED_WHOLE = 100


def client_hello(pki):
    """The first flight of a real TLS client: one whole ClientHello record."""
    obj = pki.client_context().wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(),
                                        server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def handshakes_with(port, context, timeout):
    """True if a TLS handshake on `port` completes within `timeout` seconds."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        with context.wrap_socket(raw, server_hostname="localhost"):
            return True
    except (socket.timeout, TimeoutError):
        return False


class KeyUpdateClient:
    """A TLS 1.3 client straight from libssl through ctypes: Python's ssl has
    no call to ask for a KeyUpdate. Each KeyUpdate(update_requested) obliges
    the server to answer with its own; this client never reads them."""

    SSL_KEY_UPDATE_REQUESTED = 1
    SSL_ERROR_WANT_WRITE = 3
    SSL_CTRL_SET_MIN_PROTO_VERSION = 123
    TLS1_3_VERSION = 0x0304

    def __init__(self, port, ciphersuite):
        lib = ctypes.CDLL("libssl.so.3")
        for name, args, res in [("TLS_client_method", [], ctypes.c_void_p),
                                ("SSL_CTX_new", [ctypes.c_void_p], ctypes.c_void_p),
                                ("SSL_CTX_ctrl", [ctypes.c_void_p, ctypes.c_int, ctypes.c_long, ctypes.c_void_p],
                                 ctypes.c_long),
                                ("SSL_CTX_set_ciphersuites", [ctypes.c_void_p, ctypes.c_char_p], ctypes.c_int),
                                ("SSL_new", [ctypes.c_void_p], ctypes.c_void_p),
                                ("SSL_set_fd", [ctypes.c_void_p, ctypes.c_int], ctypes.c_int),
                                ("SSL_connect", [ctypes.c_void_p], ctypes.c_int),
                                ("SSL_key_update", [ctypes.c_void_p, ctypes.c_int], ctypes.c_int),
                                ("SSL_do_handshake", [ctypes.c_void_p], ctypes.c_int),
                                ("SSL_get_error", [ctypes.c_void_p, ctypes.c_int], ctypes.c_int),
                                ("SSL_free", [ctypes.c_void_p], None),
                                ("SSL_CTX_free", [ctypes.c_void_p], None)]:
            fn = getattr(lib, name)
            fn.argtypes, fn.restype = args, res
        self.lib = lib
        self.ctx = lib.SSL_CTX_new(lib.TLS_client_method())
        lib.SSL_CTX_ctrl(self.ctx, self.SSL_CTRL_SET_MIN_PROTO_VERSION, self.TLS1_3_VERSION, None)
        lib.SSL_CTX_set_ciphersuites(self.ctx, ciphersuite.encode())
        self.sock = socket.socket()
        # Small kernel buffers: what tlsgate answers backs up into its own
        # memory, not the kernel's.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        self.sock.connect(("127.0.0.1", port))
        self.ssl = lib.SSL_new(self.ctx)
        lib.SSL_set_fd(self.ssl, self.sock.fileno())
        if lib.SSL_connect(self.ssl) != 1:
            raise AssertionError("the TLS handshake with tlsgate failed")
        self.sock.setblocking(False)

    def flood(self, limit, stuck=2.0):
        """Asks for up to `limit` key updates; stops early once tlsgate has
        taken nothing for `stuck` seconds. Returns how many went out."""
        sent = 0
        while sent < limit:
            if self.lib.SSL_key_update(self.ssl, self.SSL_KEY_UPDATE_REQUESTED) != 1:
                raise AssertionError("SSL_key_update failed")
            while self.lib.SSL_do_handshake(self.ssl) != 1:
                if self.lib.SSL_get_error(self.ssl, -1) != self.SSL_ERROR_WANT_WRITE:
                    raise AssertionError("sending a KeyUpdate failed")
                _, writable, _ = select.select([], [self.sock], [], stuck)
                if not writable:
                    return sent
            sent += 1
        return sent

    def close(self):
        self.lib.SSL_free(self.ssl)
        self.lib.SSL_CTX_free(self.ctx)
        self.sock.close()


class FloodsTest(IntegrationTest):

    def terminate(self, backend_port, accept_tls=None, **global_overrides):
        self.port = free_port()
        self.admin = f"127.0.0.1:{free_port()}"
        tls = accept_tls or harness.server_tls(self.pki)
        return harness.config([listener("web", self.port, backend_port, accept_tls=tls)], workers=1,
                              admin={"listen": self.admin}, **global_overrides)

    def handshakes_in_progress(self):
        """tlsgate_tls_handshakes_in_progress and tlsgate_tls_handshakes_limit."""
        m = parse_metrics(http_get(self.admin, "/metrics")[2])
        return value(m, "tlsgate_tls_handshakes_in_progress"), value(m, "tlsgate_tls_handshakes_limit")

    def wait_for_handshakes_in_progress(self, count):
        harness.wait_until(lambda: self.handshakes_in_progress()[0] == count, harness.IO_TIMEOUT,
                           what=f"tlsgate_tls_handshakes_in_progress to be {count}")

    def test_stalled_partial_client_hellos_cost_little_memory(self):
        hello = client_hello(self.pki)
        with EchoServer() as backend, self.daemon(self.terminate(backend.port,
                                                                timeouts={"handshake": "60s"})) as gate:
            pid = gate.proc.pid
            # A first connection warms what every connection shares.
            self.assertEqual(harness.echo_round_trip(self.port, self.pki.client_context())[0], b"ping\n")
            before = harness.rss_bytes(pid)
            stalled = []
            try:
                for _ in range(STALLED):
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                    s.sendall(hello[:10])
                    stalled.append(s)
                # Every one of them is read: one more sent after them is served.
                self.assertEqual(harness.echo_round_trip(self.port, self.pki.client_context())[0], b"ping\n")
                per_connection = (harness.rss_bytes(pid) - before) / STALLED
                # An idle established connection holds 6.6-8 kB; one that has
                # sent 10 bytes of its ClientHello must hold no more.
                self.assertLess(per_connection, 6000, f"{per_connection:.0f} bytes per stalled ClientHello")
                # No TLS session exists for them yet: none is a handshake in progress.
                self.assertEqual(self.handshakes_in_progress(), (0, 1024))
            finally:
                for s in stalled:
                    s.close()

    def test_whole_stalled_client_hellos_are_handshakes_in_progress_until_they_end(self):
        hello = client_hello(self.pki)
        with EchoServer() as backend, self.daemon(self.terminate(backend.port,
                                                                timeouts={"handshake": "60s"})):
            self.assertEqual(self.handshakes_in_progress(), (0, 1024))
            stalled = []
            try:
                for _ in range(STALLED_WHOLE):
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                    s.sendall(hello)
                    s.recv(1)  # the server's flight: this handshake has begun
                    stalled.append(s)
                self.assertEqual(self.handshakes_in_progress(), (STALLED_WHOLE, 1024))
                # A handshake that completes is counted while it lasts, not after.
                self.assertEqual(harness.echo_round_trip(self.port, self.pki.client_context())[0], b"ping\n")
                self.assertEqual(self.handshakes_in_progress()[0], STALLED_WHOLE)
                for s in stalled[:STALLED_WHOLE // 2]:
                    s.close()
                self.wait_for_handshakes_in_progress(STALLED_WHOLE - STALLED_WHOLE // 2)
            finally:
                for s in stalled:
                    s.close()
            self.wait_for_handshakes_in_progress(0)

    def test_max_handshakes_pauses_accepting_until_one_ends(self):
        hello = client_hello(self.pki)
        cfg = self.terminate(0, limits={"max_handshakes": 2}, timeouts={"handshake": "60s"})
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                # Two whole ClientHellos that never go on: two handshakes in progress.
                stalled = [socket.create_connection(("127.0.0.1", self.port), timeout=5) for _ in range(2)]
                for s in stalled:
                    s.sendall(hello)
                    s.recv(1)  # the server's flight: this handshake has begun
                # A third client waits in the listen queue: not accepted, not served.
                waiting = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                tls = self.pki.client_context().wrap_bio(ssl.MemoryBIO(), out := ssl.MemoryBIO(),
                                                        server_hostname="localhost")
                try:
                    tls.do_handshake()
                except ssl.SSLWantReadError:
                    pass
                waiting.sendall(out.read())
                waiting.settimeout(1.0)
                with self.assertRaises((socket.timeout, TimeoutError)):
                    waiting.recv(1)
                self.assertEqual(self.handshakes_in_progress(), (2, 2))
                # One handshake ends: accepting resumes and the third is served.
                stalled[0].close()
                waiting.settimeout(10)
                self.assertTrue(waiting.recv(1))
                waiting.close()
                stalled[1].close()
                self.assertTrue(handshakes_with(self.port, self.pki.client_context(), timeout=10))
                self.wait_for_handshakes_in_progress(0)

    def test_a_client_that_never_reads_keyupdate_answers_leaves_memory_bounded(self):
        tls = harness.server_tls(self.pki, ciphersuites="TLS_AES_128_CCM_SHA256")
        with EchoServer() as backend, self.daemon(self.terminate(backend.port, accept_tls=tls)) as gate:
            pid = gate.proc.pid
            client = KeyUpdateClient(self.port, "TLS_AES_128_CCM_SHA256")
            try:
                before = harness.rss_bytes(pid)
                # 400,000 answers of 27 bytes would be about 11 MB.
                sent = client.flood(400_000)
                grown = harness.rss_bytes(pid) - before
                self.assertLess(sent, 400_000, "tlsgate kept reading a client that reads nothing")
                if not harness.sanitized(pid):
                    self.assertLess(grown, 2 * 1024 * 1024,
                                    f"the daemon grew by {grown} bytes for {sent} key updates")
            finally:
                client.close()

    def test_buffer_size_below_one_record_delivers_a_larger_record(self):
        with EchoServer() as backend, self.daemon(self.terminate(backend.port,
                                                                limits={"buffer_size": "4k"})) as gate:
            raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = self.pki.client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
            while True:
                try:
                    tls.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    raw.sendall(outgoing.read())
                    incoming.write(raw.recv(65536))
            raw.sendall(outgoing.read())
            payload = os.urandom(8000)
            tls.write(payload)
            record = outgoing.read()
            self.assertGreater(len(record), 8000)  # one record, larger than buffer_size
            # Two segments, the first above buffer_size; the pause only keeps
            # them from arriving as one.
            raw.sendall(record[:5000])
            time.sleep(0.1)
            raw.sendall(record[5000:])
            got = b""
            deadline = time.monotonic() + 10
            while len(got) < len(payload) and time.monotonic() < deadline:
                try:
                    got += tls.read(65536)
                except ssl.SSLWantReadError:
                    data = raw.recv(65536)
                    if not data:
                        break
                    incoming.write(data)
            raw.close()
            self.assertEqual(len(got), len(payload))
            self.assertEqual(got, payload)


if __name__ == "__main__":
    unittest.main()
