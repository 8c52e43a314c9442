"""Byte-exact bulk transfer in both directions at once, and flow control
against a reader that stops reading."""

import hashlib
import sys
import threading
import unittest

import harness
from harness import IntegrationTest, SinkSourceServer, TlsClient, free_port, listener, logfmt

SIZE = 64 * 1024 * 1024
MiB = 1024 * 1024

# Loopback socket buffers on both sides of the daemon can hold roughly 20 MiB
# between them; anything the daemon itself buffers beyond its 64k per
# direction shows up in its RSS.
RSS_GROWTH_LIMIT = 24 * MiB


def report(text):
    sys.stderr.write(f"[{text}] ")
    sys.stderr.flush()


class BulkTest(IntegrationTest):

    def start(self, backend, **global_overrides):
        self.port = free_port()
        cfg = harness.config([listener("bulk", self.port, backend.port, accept_tls=harness.server_tls(self.pki))],
                             limits={"buffer_size": "64k"}, **global_overrides)
        return self.daemon(cfg)

    def test_64mib_each_way_simultaneously(self):
        with SinkSourceServer(SIZE, seed=b"backend-source") as backend, self.start(backend) as gate:
            with TlsClient(self.port, self.pki.client_context(), timeout=60) as client:
                client.handshake()
                received, digest = client.exchange(harness.pattern_chunks(SIZE, b"client-source"), timeout=180)
                local = client.local_port
                how = client.tls_eof
            self.assertEqual(received, SIZE)
            self.assertEqual(digest, harness.pattern_digest(SIZE, b"backend-source"),
                             "bytes from the backend arrived altered")
            self.assertEqual(how, "close_notify")
            harness.wait_until(lambda: backend.results or backend.errors, 30, what="backend to finish")
            self.assertEqual(backend.errors, [])
            self.assertEqual(backend.results, [(SIZE, harness.pattern_digest(SIZE, b"client-source"))],
                             "bytes from the client arrived altered")
            line = gate.connection_line(local)
            fields = logfmt(line)
            self.assertEqual(fields.get("outcome"), "ok", line)
            self.assertEqual(int(fields.get("bytes_up", -1)), SIZE, line)
            self.assertEqual(int(fields.get("bytes_down", -1)), SIZE, line)

    def test_backend_that_stops_reading_stalls_the_client(self):
        gate_open = threading.Event()
        with SinkSourceServer(0, read_gate=gate_open) as backend, self.start(backend) as gate:
            with TlsClient(self.port, self.pki.client_context(), timeout=120) as client:
                client.handshake()
                baseline = harness.rss_bytes(gate.proc.pid)
                sent = [0]
                failure = []

                def sender():
                    try:
                        for chunk in harness.pattern_chunks(SIZE, b"upload"):
                            client.sendall(chunk)
                            sent[0] += len(chunk)
                    except Exception as e:
                        failure.append(e)

                t = threading.Thread(target=sender, daemon=True)
                t.start()
                try:
                    stalled_at = harness.wait_for_stall(lambda: sent[0], quiet=1.5, timeout=60)
                    growth = harness.rss_bytes(gate.proc.pid) - baseline
                    report(f"upload stalled at {stalled_at / MiB:.1f} MiB, daemon RSS +{growth / MiB:.1f} MiB")
                    self.assertLess(stalled_at, SIZE, "the upload never stalled: nothing pushed back")
                    self.assertLess(growth, RSS_GROWTH_LIMIT,
                                    f"daemon RSS grew {growth / MiB:.1f} MiB while the backend was not reading "
                                    f"({stalled_at / MiB:.1f} MiB sent)")
                finally:
                    gate_open.set()
                t.join(120)
                self.assertEqual(failure, [])
                self.assertEqual(sent[0], SIZE)
                client.close_notify()
                self.assertEqual(client.recv_until_eof(), b"")
            harness.wait_until(lambda: backend.results or backend.errors, 30, what="backend to finish")
            self.assertEqual(backend.errors, [])
            self.assertEqual(backend.results, [(SIZE, harness.pattern_digest(SIZE, b"upload"))])

    def test_client_that_stops_reading_stalls_the_backend(self):
        with SinkSourceServer(SIZE, seed=b"download") as backend, self.start(backend) as gate:
            with TlsClient(self.port, self.pki.client_context(), timeout=120) as client:
                client.handshake()
                baseline = harness.rss_bytes(gate.proc.pid)
                harness.wait_until(lambda: backend.bytes_sent > 0, 10, what="backend to start sending")
                stalled_at = harness.wait_for_stall(lambda: backend.bytes_sent, quiet=1.5, timeout=60)
                growth = harness.rss_bytes(gate.proc.pid) - baseline
                report(f"download stalled at {stalled_at / MiB:.1f} MiB, daemon RSS +{growth / MiB:.1f} MiB")
                self.assertLess(stalled_at, SIZE, "the download never stalled: nothing pushed back")
                self.assertLess(growth, RSS_GROWTH_LIMIT,
                                f"daemon RSS grew {growth / MiB:.1f} MiB while the client was not reading "
                                f"({stalled_at / MiB:.1f} MiB sent)")
                client.close_notify()
                received = 0
                h = hashlib.sha256()
                while True:
                    data = client.recv(262144)
                    if not data:
                        break
                    h.update(data)
                    received += len(data)
            self.assertEqual(received, SIZE)
            self.assertEqual(h.hexdigest(), harness.pattern_digest(SIZE, b"download"))


if __name__ == "__main__":
    unittest.main()
