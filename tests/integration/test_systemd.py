"""Running under systemd: sd_notify messages (READY, RELOADING, STOPPING,
STATUS, WATCHDOG) to NOTIFY_SOCKET, and socket activation (LISTEN_FDS) by
name and by address."""

import os
import signal
import socket
import time
import unittest

import harness
from harness import EchoServer, IntegrationTest, NotifySocket, free_port, listener, logfmt

STATUS_INTERVAL = 5.0


def listening_socket():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class SystemdTest(IntegrationTest):

    def terminate(self, backend_port, name="web"):
        self.port = free_port()
        return listener(name, self.port, backend_port, accept_tls=harness.server_tls(self.pki))

    # ------------------------------------------------------------------ sd_notify

    def notified(self, notify, cfg, env=None, **kw):
        env = dict(env or {}, NOTIFY_SOCKET=notify.path)
        return harness.LaunchedTlsgate(self.write_config(cfg), env=env, **kw)

    def test_ready_reloading_and_stopping(self):
        with EchoServer() as backend, NotifySocket(self.dir) as notify:
            gate = self.notified(notify, harness.config([self.terminate(backend.port)]))
            with gate:
                ready, _ = notify.wait_for(r"^READY=1\nSTATUS=1 listener\(s\), 0 connection\(s\), "
                                           r"config generation 1$")
                self.assertEqual(notify.texts()[:ready], [], "messages before READY=1")
                mark = notify.mark()
                before = time.monotonic()
                m = harness.reload(gate)
                self.assertEqual(m.group("generation"), "2", m.string)
                reloading, rm = notify.wait_for(r"^RELOADING=1\nMONOTONIC_USEC=(\d+)\nSTATUS=.+$", start=mark)
                # CLOCK_MONOTONIC, the clock Python's time.monotonic() reads.
                self.assertLess(abs(int(rm.group(1)) / 1e6 - before), 5.0, rm.group(0))
                ready_again, _ = notify.wait_for(r"^READY=1\nSTATUS=1 listener\(s\), \d+ connection\(s\), "
                                                 r"config generation 2$", start=mark)
                self.assertLess(reloading, ready_again)
                mark = notify.mark()
                gate.send_signal(signal.SIGTERM)
                notify.wait_for(r"^STOPPING=1\nSTATUS=draining 0 connection\(s\)", start=mark)
            self.assertEqual(gate.returncode, 0)

    def test_status_every_5s_counts_open_connections(self):
        with EchoServer() as backend, NotifySocket(self.dir) as notify:
            with self.notified(notify, harness.config([self.terminate(backend.port)])):
                ready, _ = notify.wait_for(r"^READY=1\n")
                with harness.TlsClient(self.port, self.pki.client_context()) as client:
                    client.handshake()
                    client.sendall(b"open\n")
                    self.assertEqual(client.recv_line(), b"open\n")
                    index, _ = notify.wait_for(r"^STATUS=1 listener\(s\), 1 connection\(s\), config generation 1$",
                                               timeout=STATUS_INTERVAL + 3, start=ready + 1)
                    client.close_notify()
                    client.recv_until_eof()
                with notify.cond:
                    arrived = [t for t, _ in notify.messages]
                # Periodic: not sent before the interval is up.
                self.assertGreater(arrived[index] - arrived[ready], STATUS_INTERVAL - 1.0)

    def test_watchdog_pings_about_every_500ms(self):
        # WATCHDOG_PID unset, or set to the daemon's own pid (systemd's way).
        own_pid = ["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$0" "$@"']
        for how, prefix in (("WATCHDOG_PID unset", []), ("WATCHDOG_PID = daemon pid", own_pid)):
            with self.subTest(how), EchoServer() as backend, NotifySocket(self.dir) as notify:
                path = self.write_config(harness.config([self.terminate(backend.port)]))
                argv = prefix + [self.binary, "run", "-c", path]
                env = {"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"}
                with harness.LaunchedTlsgate(path, argv=argv, env=env) as gate:
                    harness.wait_until(lambda: notify.texts().count("WATCHDOG=1") >= 5, 10,
                                       what="five WATCHDOG=1 messages")
                    with notify.cond:
                        pings = [t for t, text in notify.messages if text == "WATCHDOG=1"]
                    gaps = [b - a for a, b in zip(pings[1:], pings[2:])]
                    self.assertTrue(all(0.25 < g < 0.8 for g in gaps), gaps)
                    gate.wait_for_log(r"systemd watchdog: every 500ms")

    def test_watchdog_pid_of_another_process_sends_no_pings(self):
        with EchoServer() as backend, NotifySocket(self.dir) as notify:
            with self.notified(notify, harness.config([self.terminate(backend.port)]),
                               env={"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid())}) as gate:
                notify.wait_for(r"^READY=1\n")
            # The first ping would go out right after READY=1, so before STOPPING=1.
            notify.wait_for(r"^STOPPING=1\n")
            self.assertNotIn("WATCHDOG=1", notify.texts())
            self.assertNotIn("systemd watchdog", gate.text())

    # ------------------------------------------------------------------ socket activation

    def activated(self, cfg, sockets, names):
        """The daemon started as systemd starts a socket-activated service:
        `sockets` as descriptors 3, 4, ... and LISTEN_PID its own pid."""
        fds = [s.fileno() for s in sockets]

        def place():
            # Move them out of the way first, then to 3, 4, ...
            high = [os.dup(fd) for fd in fds]
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i)
                os.close(fd)

        path = self.write_config(cfg)
        argv = ["/bin/sh", "-c", 'LISTEN_PID=$$ exec "$0" "$@"', self.binary, "run", "-c", path]
        env = {"LISTEN_FDS": str(len(sockets)), "LISTEN_FDNAMES": ":".join(names)}
        return harness.LaunchedTlsgate(path, argv=argv, env=env,
                                       popen={"preexec_fn": place, "pass_fds": tuple(range(3, 3 + len(fds)))})

    def served_on(self, port):
        got, local = harness.echo_round_trip(port, self.pki.client_context())
        self.assertEqual(got, b"ping\n")
        return local

    def test_socket_activation_by_name(self):
        passed = listening_socket()
        passed_port = passed.getsockname()[1]
        with EchoServer() as backend:
            cfg = harness.config([self.terminate(backend.port)])
            with self.activated(cfg, [passed], ["web"]) as gate:
                passed.close()  # the daemon holds the only copy now
                gate.wait_for_log(r"socket activation: 1 socket\(s\) passed by systemd")
                local = self.served_on(passed_port)
                # It did not bind the address in its config.
                self.assertTrue(harness.refuses(self.port), f"something listens on {self.port}")
                fields = logfmt(gate.connection_line(local))
                self.assertEqual((fields.get("listener"), fields.get("outcome")), ("web", "ok"), fields)
            self.assertTrue(harness.refuses(passed_port))

    def test_socket_activation_by_address(self):
        passed = listening_socket()
        passed_port = passed.getsockname()[1]
        with EchoServer() as backend:
            cfg = harness.config([listener("web", passed_port, backend.port,
                                           accept_tls=harness.server_tls(self.pki))])
            # Without SO_REUSEPORT on the passed socket, binding the address
            # again would fail: serving means it took the passed one.
            with self.activated(cfg, [passed], ["unknown"]) as gate:
                passed.close()
                local = self.served_on(passed_port)
                self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")
            self.assertTrue(harness.refuses(passed_port))

    def test_socket_activation_name_wins_over_address(self):
        by_name = listening_socket()
        by_name_port = by_name.getsockname()[1]
        by_address = listening_socket()
        by_address_port = by_address.getsockname()[1]
        with EchoServer() as backend:
            # "web" is configured on the address of the second socket, and the
            # first socket carries its name.
            cfg = harness.config([listener("web", by_address_port, backend.port,
                                           accept_tls=harness.server_tls(self.pki))])
            with self.activated(cfg, [by_name, by_address], ["web", "spare"]) as gate:
                by_name.close()
                local = self.served_on(by_name_port)
                self.assertEqual(logfmt(gate.connection_line(local)).get("listener"), "web")
                # The socket on the configured address stays open here, as
                # systemd keeps it: a connection to it is queued, never served.
                with harness.TlsClient(by_address_port, self.pki.client_context(), timeout=1.5) as client:
                    with self.assertRaises(socket.timeout):
                        client.handshake()
            by_address.close()


if __name__ == "__main__":
    unittest.main()
