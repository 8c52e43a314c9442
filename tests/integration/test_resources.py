"""Running out of descriptors: accepting pauses and resumes without spinning
or flooding the log; the open-file limit checked at startup against
limits.max_connections; dropped connections logged once a second; ports
below 1024 without privilege."""

import os
import re
import socket
import ssl
import time
import unittest

import harness
from harness import EchoServer, IntegrationTest, TlsClient, free_port, listener, logfmt

FD_LIMIT = 128
BURST = 200


def headroom(workers, listeners=1):
    return 64 + workers * (listeners + 4)


class ResourcesTest(IntegrationTest):

    def terminate(self, backend_port, **global_overrides):
        self.port = free_port()
        return harness.config([listener("web", self.port, backend_port, accept_tls=harness.server_tls(self.pki))],
                              **global_overrides)

    def limited(self, cfg, limit=FD_LIMIT):
        path = self.write_config(cfg)
        return harness.LaunchedTlsgate(path, popen={"preexec_fn": harness.file_limit(limit)})

    # ------------------------------------------------------------------ EMFILE

    def test_out_of_descriptors_pauses_accepting_and_recovers(self):
        for workers in (1, 2, 4):
            with self.subTest(workers=workers), EchoServer() as backend:
                cfg = self.terminate(backend.port, workers=workers,
                                     limits={"max_connections": 1000, "strict_fd_limit": False})
                with self.limited(cfg) as gate:
                    self.exhaust_and_recover(gate, workers)

    def exhaust_and_recover(self, gate, workers):
        pid = gate.proc.pid
        mark = gate.mark()
        # Connections the daemon accepts wait in the TLS handshake, one
        # descriptor each; the rest stay in the listen queue.
        burst = [socket.create_connection(("127.0.0.1", self.port), timeout=5) for _ in range(BURST)]
        try:
            gate.wait_for_log(r"listener web: cannot accept: Too many open files; new connections wait in the "
                              r"queue while accepting is paused and retried \(raise the open-file limit", start=mark)
            before = harness.cpu_seconds(pid)
            started = time.monotonic()
            time.sleep(1.0)  # a measurement window, not a wait for anything
            used = harness.cpu_seconds(pid) - before
            window = time.monotonic() - started
            self.assertIsNone(gate.proc.poll())
            self.assertLess(used, 0.5, f"the daemon used {used:.2f}s of CPU in {window:.2f}s while out of descriptors")
            saturated = gate.text().splitlines()[mark:]
            self.assertLess(len(saturated), 200, "\n".join(saturated[:20]))
        finally:
            for s in burst:
                s.close()
        # A fresh client is served normally again.
        got, local = harness.echo_round_trip(self.port, self.pki.client_context())
        self.assertEqual(got, b"ping\n")
        self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")
        gate.wait_for_log(r"listener web: accepting again after \d+ failed attempt\(s\) over \d+ms", start=mark)
        text = "\n".join(gate.text().splitlines()[mark:])
        paused = len(re.findall(r"cannot accept: Too many open files", text))
        self.assertTrue(1 <= paused <= workers, f"{paused} 'cannot accept' warnings from {workers} worker(s)")
        started = time.monotonic()
        self.assertEqual(gate.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 10)

    def test_dropped_connections_are_logged_once_a_second(self):
        with EchoServer() as backend:
            cfg = self.terminate(backend.port, workers=1, limits={"max_connections": 2})
            with self.daemon(cfg) as gate:
                held = []
                try:
                    for _ in range(2):
                        client = TlsClient(self.port, self.pki.client_context()).handshake()
                        held.append(client)
                        client.sendall(b"held\n")
                        self.assertEqual(client.recv_line(), b"held\n")
                    # Fifty more at once: each is closed as soon as it is accepted.
                    extra = [socket.create_connection(("127.0.0.1", self.port), timeout=5) for _ in range(50)]
                    for s in extra:
                        self.assertEqual(harness.recv_until_eof(s)[0], b"")
                        s.close()
                    first = gate.wait_for_log(r"over limits\.max_connections \(2\)").string
                    self.assertEqual(logfmt(first).get("outcome"), "failed", first)

                    # Keep knocking until the next second's line reports the rest.
                    def summary():
                        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                            harness.recv_until_eof(s)
                        return re.search(r"\(and (\d+) more dropped connection\(s\) not logged since the last line\)",
                                         gate.text())
                    m = harness.wait_until(summary, 5, interval=0.1, what="the summary of unlogged drops")
                    self.assertGreaterEqual(int(m.group(1)), 49)
                    dropped_lines = [l for l in gate.text().splitlines() if "over limits.max_connections" in l]
                    self.assertLessEqual(len(dropped_lines), 3, "\n".join(dropped_lines))
                    # The held connections were not disturbed.
                    for client in held:
                        client.sendall(b"still\n")
                        self.assertEqual(client.recv_line(), b"still\n")
                finally:
                    for client in held:
                        client.close()

    # ------------------------------------------------------------------ the open-file limit at startup

    def test_file_limit_lowers_the_default_max_connections(self):
        fits = (FD_LIMIT - headroom(1)) // 2
        with EchoServer() as backend:
            with self.limited(self.terminate(backend.port, workers=1)) as gate:
                gate.wait_for_log(rf"\bwarn(ing)?\b.*the open-file limit is {FD_LIMIT} and 100000 connections need "
                                  rf"\d+ descriptors.*; serving at most {fits} connections")
                clients = []
                try:
                    for _ in range(fits):
                        clients.append(TlsClient(self.port, self.pki.client_context()).handshake())
                        clients[-1].sendall(b"x\n")
                        self.assertEqual(clients[-1].recv_line(), b"x\n")
                    # One more than fits is dropped as over the lowered limit.
                    with TlsClient(self.port, self.pki.client_context()) as one_more:
                        with self.assertRaises((ssl.SSLError, ConnectionError)):
                            one_more.handshake()
                        local = one_more.local_port
                    line = gate.connection_line(local)
                    self.assertIn(f"over limits.max_connections ({fits})", line)
                finally:
                    for client in clients:
                        client.close()

    def test_file_limit_too_low_for_explicit_max_connections_is_an_error(self):
        cfg = self.terminate(free_port(), workers=1, limits={"max_connections": 1000})
        path = self.write_config(cfg)
        with open(path) as f:
            at = [i + 1 for i, l in enumerate(f.read().splitlines()) if "max_connections" in l][0]
        fits = (FD_LIMIT - headroom(1)) // 2
        proc = harness.run([self.binary, "run", "-c", path], check=False, timeout=20,
                           preexec_fn=harness.file_limit(FD_LIMIT))
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 1, out)
        self.assertRegex(out, rf"tlsgate\.yaml:{at}:\d+: limits\.max_connections: the open-file limit is "
                              rf"{FD_LIMIT} .*; raise the limit \(.*\), set max_connections to at most {fits}, "
                              r"or set limits\.strict_fd_limit: false to run anyway")
        self.assertNotIn("ready", out)

    def test_strict_fd_limit_false_runs_anyway_with_a_warning(self):
        with EchoServer() as backend:
            cfg = self.terminate(backend.port, workers=1, limits={"max_connections": 1000, "strict_fd_limit": False})
            with self.limited(cfg) as gate:
                gate.wait_for_log(rf"\bwarn(ing)?\b.*limits\.max_connections: the open-file limit is {FD_LIMIT}")
                got, _ = harness.echo_round_trip(self.port, self.pki.client_context())
                self.assertEqual(got, b"ping\n")

    # ------------------------------------------------------------------ privileged ports

    def unprivileged(self):
        """setpriv as nobody, with the test directory readable by it."""
        os.chmod(self.dir, 0o755)
        for name in os.listdir(self.dir):
            os.chmod(self.file(name), 0o644)
        return [harness.tool("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]

    def free_low_port(self):
        for port in range(1023, 600, -1):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
        self.skipTest("no free port below 1024")

    def test_port_below_1024_without_privilege(self):
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            unprivileged_start = int(f.read())
        if unprivileged_start <= 600:
            self.skipTest("unprivileged users may bind low ports here")
        low = self.free_low_port()
        cfg = harness.config([listener("low", low, free_port(), accept_tls=harness.server_tls(self.pki))])
        path = self.write_config(cfg)
        setpriv = self.unprivileged()
        proc = harness.run(setpriv + [self.binary, "run", "-c", path], check=False, timeout=20)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 1, out)
        self.assertIn("ports below 1024 need root or CAP_NET_BIND_SERVICE", out)
        self.assertIn(str(low), out)
        # The same user on a high port starts: only the port was the problem.
        with EchoServer() as backend:
            cfg = self.terminate(backend.port)
            path = self.write_config(cfg)
            os.chmod(path, 0o644)
            with harness.LaunchedTlsgate(path, argv=setpriv + [self.binary, "run", "-c", path]):
                got, _ = harness.echo_round_trip(self.port, self.pki.client_context())
                self.assertEqual(got, b"ping\n")


if __name__ == "__main__":
    unittest.main()
