"""Draining on SIGTERM: a transfer in flight finishes byte-exact, the drain
limit cuts what is still busy, idle keep-alive connections do not hold the
exit, and a second SIGTERM exits at once."""

import hashlib
import signal
import time
import unittest

import harness
from harness import EchoServer, HttpBackend, IntegrationTest, PingPong, SinkSourceServer, TlsClient, free_port, listener, logfmt

SIZE = 64 * 1024 * 1024
MiB = 1024 * 1024


class DrainTest(IntegrationTest):

    def terminate(self, backend_port, **global_overrides):
        self.port = free_port()
        return harness.config([listener("web", self.port, backend_port, accept_tls=harness.server_tls(self.pki))],
                              **global_overrides)

    def test_download_in_flight_finishes_after_sigterm(self):
        with SinkSourceServer(SIZE, seed=b"download") as backend, self.daemon(self.terminate(backend.port)) as gate:
            with TlsClient(self.port, self.pki.client_context(), timeout=60) as client:
                client.handshake()
                client.close_notify()  # nothing to upload; the backend then sends everything
                h = hashlib.sha256()
                received = 0
                while received < 8 * MiB:
                    data = client.recv(262144)
                    self.assertTrue(data, "the download ended early")
                    h.update(data)
                    received += len(data)
                # The client pauses reading (its buffers stay full, so the
                # connection is busy, not idle) while the daemon starts draining.
                gate.send_signal(signal.SIGTERM)
                gate.wait_for_log(r"SIGTERM: no longer accepting")
                self.assertLess(backend.bytes_sent, SIZE, "the download was not in flight any more")
                while True:
                    data = client.recv(262144)
                    if not data:
                        break
                    h.update(data)
                    received += len(data)
                local = client.local_port
                how = client.tls_eof
            self.assertEqual(received, SIZE)
            self.assertEqual(h.hexdigest(), harness.pattern_digest(SIZE, b"download"))
            self.assertEqual(how, "close_notify")
            self.assertEqual(gate.stop(timeout=30), 0)
            fields = logfmt(gate.connection_line(local))
            self.assertEqual(fields.get("outcome"), "ok", fields)
            self.assertEqual(int(fields.get("bytes_down", -1)), SIZE, fields)
            self.assertNotIn("note", fields)
            gate.wait_for_log(r"stopped: every connection finished")

    def test_drain_limit_closes_a_busy_connection(self):
        with EchoServer() as backend, \
                self.daemon(self.terminate(backend.port, timeouts={"drain": "1s"})) as gate:
            busy = PingPong(self.port, self.pki.client_context())
            try:
                harness.wait_until(lambda: busy.round_trips >= 20, 10, what="round trips")
                started = time.monotonic()
                gate.send_signal(signal.SIGTERM)
                self.assertEqual(gate.stop(timeout=10), 0)
                elapsed = time.monotonic() - started
                harness.wait_until(lambda: busy.ended, 10, what="the busy client to see its connection end")
            finally:
                busy.close()
            self.assertGreaterEqual(elapsed, 0.9, "exited before timeouts.drain")
            self.assertLess(elapsed, 5.0, "timeouts.drain: 1s was not enforced")
            gate.wait_for_log(r"\bwarn(ing)?\b.*stopped: timeouts\.drain \(1000ms\) expired; 1 connection\(s\) "
                              r"were closed before they finished")
            fields = logfmt(gate.connection_line(busy.local_port))
            self.assertEqual(fields.get("outcome"), "failed", fields)
            self.assertIn("timeouts.drain", fields.get("reason", ""), fields)
            self.assertNotIn("note", fields)
            self.assertNotIn("every connection finished", gate.text())

    def test_idle_keepalive_connection_does_not_hold_the_exit(self):
        with HttpBackend() as backend, \
                self.daemon(self.terminate(backend.port, timeouts={"drain": "20s"})) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                client.handshake()
                client.sendall(b"GET /one HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n")
                response = b""
                while not response.endswith(backend.body):
                    data = client.recv()
                    self.assertTrue(data, response)
                    response += data
                self.assertTrue(response.startswith(b"HTTP/1.1 200 "), response)
                # The keep-alive connection now sits idle.
                started = time.monotonic()
                gate.send_signal(signal.SIGTERM)
                self.assertEqual(client.recv_until_eof(), b"")
                self.assertEqual(client.tls_eof, "close_notify")
                self.assertEqual(gate.stop(timeout=10), 0)
                elapsed = time.monotonic() - started
                local = client.local_port
            self.assertLess(elapsed, 5.0, "an idle connection held the exit towards timeouts.drain (20s)")
            fields = logfmt(gate.connection_line(local))
            self.assertEqual(fields.get("outcome"), "ok", fields)
            self.assertEqual(fields.get("note"), "closed while draining: idle", fields)
            gate.wait_for_log(r"stopped: every connection finished")
            self.assertEqual(backend.requests, ["/one"])

    def test_second_sigterm_exits_3_at_once(self):
        with EchoServer() as backend:
            gate = harness.Tlsgate(self.write_config(self.terminate(backend.port)), expect_exit=3).start()
            busy = None
            try:
                busy = PingPong(self.port, self.pki.client_context())
                harness.wait_until(lambda: busy.round_trips >= 20, 10, what="round trips")
                gate.send_signal(signal.SIGTERM)
                gate.wait_for_log(r"SIGTERM: no longer accepting")
                self.assertIsNone(gate.proc.poll(), "exited while a busy connection was open")
                started = time.monotonic()
                gate.send_signal(signal.SIGTERM)
                self.assertEqual(gate.stop(timeout=10), 3)
                self.assertLess(time.monotonic() - started, 3.0)
                harness.wait_until(lambda: busy.ended, 10, what="the busy client to see its connection end")
                gate.wait_for_log(r"SIGTERM again: closing 1 open connection\(s\) at once")
            except BaseException:
                gate.stop(signal.SIGKILL)
                gate.dump("second SIGTERM")
                raise
            finally:
                if busy:
                    busy.close()


if __name__ == "__main__":
    unittest.main()
