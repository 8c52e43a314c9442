"""Start-up, draining shutdown on SIGTERM/SIGINT, and several listeners in
one process."""

import os
import signal
import socket
import unittest

import harness
from harness import EchoServer, IntegrationTest, TlsClient, free_port, listener, logfmt, recv_line


class LifecycleTest(IntegrationTest):

    def terminate(self, backend_port):
        self.port = free_port()
        return harness.config([listener("web", self.port, backend_port, accept_tls=harness.server_tls(self.pki))])

    def refused(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return False
        except ConnectionRefusedError:
            return True
        except ConnectionResetError:
            # Caught mid-close: the kernel resets what waited in the backlog
            # of a listening socket that is being closed. Ask again.
            return False

    def test_sigint_right_after_ready_exits_0(self):
        # "ready" promises that the daemon is fully up; a supervisor may stop
        # it at once, and that must still be a clean drain with exit 0.
        with EchoServer() as backend:
            gate = harness.Tlsgate(self.write_config(self.terminate(backend.port))).start()
            try:
                self.assertEqual(gate.stop(signal.SIGINT), 0, gate.text())
            except BaseException:
                gate.dump("SIGINT")
                raise

    def test_sigterm_drains_open_connection(self):
        with EchoServer() as backend:
            gate = harness.Tlsgate(self.write_config(self.terminate(backend.port))).start()
            try:
                client = TlsClient(self.port, self.pki.client_context()).handshake()
                client.sendall(b"before SIGTERM\n")
                self.assertEqual(client.recv_line(), b"before SIGTERM\n")
                gate.send_signal(signal.SIGTERM)
                # New connections are refused...
                harness.wait_until(self.refused, 10, interval=0.05, what="listener to close after SIGTERM")
                # ...while the open one keeps working.
                self.assertIsNone(gate.proc.poll(), "exited while a connection was open")
                client.sendall(b"after SIGTERM\n")
                self.assertEqual(client.recv_line(), b"after SIGTERM\n")
                local = client.local_port
                client.close_notify()
                self.assertEqual(client.recv_until_eof(), b"")
                client.close()
                self.assertEqual(gate.stop(timeout=15), 0)
                self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")
            except BaseException:
                gate.stop(signal.SIGKILL)
                gate.dump("drain")
                raise

    def test_two_listeners_chained(self):
        # plain client -> [out: originate] -> TLS -> [in: terminate] -> echo
        with EchoServer() as backend:
            inner = free_port()
            outer = free_port()
            cfg = harness.config([
                listener("in", inner, backend.port, accept_tls=harness.server_tls(self.pki)),
                listener("out", outer, inner, connect_tls=harness.client_tls(self.pki)),
            ])
            with self.daemon(cfg) as gate:
                with socket.create_connection(("127.0.0.1", outer), timeout=harness.IO_TIMEOUT) as sock:
                    sock.sendall(b"round trip through both modes\n")
                    self.assertEqual(recv_line(sock), b"round trip through both modes\n")
                    local = sock.getsockname()[1]
                    sock.shutdown(socket.SHUT_WR)
                    self.assertEqual(harness.recv_until_eof(sock), (b"", "eof"))
                out_line = gate.connection_line(local)
                self.assertEqual(logfmt(out_line).get("outcome"), "ok", out_line)
                in_line = gate.wait_for_log(r"\blistener=in\b.*\boutcome=").string
                fields = logfmt(in_line)
                self.assertEqual(fields.get("outcome"), "ok", in_line)
                self.assertEqual(fields.get("accept.sni"), "localhost", in_line)
                self.assertEqual(fields.get("accept.protocol"), "TLSv1.3", in_line)

    def test_plain_tcp_relay(self):
        with EchoServer() as backend:
            port = free_port()
            with self.daemon(harness.config([listener("relay", port, backend.port)])) as gate:
                with socket.create_connection(("127.0.0.1", port), timeout=harness.IO_TIMEOUT) as sock:
                    sock.sendall(b"no tls anywhere\n")
                    sock.shutdown(socket.SHUT_WR)
                    self.assertEqual(harness.recv_until_eof(sock), (b"no tls anywhere\n", "eof"))
                    local = sock.getsockname()[1]
                self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")

    def test_environment_variables_in_config(self):
        with EchoServer() as backend:
            self.port = free_port()
            cfg = harness.to_yaml(self.terminate(0)).replace(
                f'"127.0.0.1:{self.port}"', '"127.0.0.1:${TLSGATE_IT_PORT}"').replace(
                '"127.0.0.1:0"', '"${TLSGATE_IT_BACKEND}"')
            self.assertIn("${TLSGATE_IT_PORT}", cfg)
            env = {"TLSGATE_IT_PORT": str(self.port), "TLSGATE_IT_BACKEND": f"127.0.0.1:{backend.port}"}
            with harness.Tlsgate(self.write_config(cfg + "\n"), env=env):
                with TlsClient(self.port, self.pki.client_context()) as client:
                    client.handshake()
                    client.sendall(b"from env\n")
                    self.assertEqual(client.recv_line(), b"from env\n")
                    client.close_notify()
                    client.recv_until_eof()

    def test_sslkeylogfile_writes_key_log_and_warns(self):
        keylog = self.file("keys.log")
        with EchoServer() as backend:
            with harness.Tlsgate(self.write_config(self.terminate(backend.port)),
                                 env={"SSLKEYLOGFILE": keylog}) as gate:
                gate.wait_for_log(harness.all_of(r"(?i:warn)", r"(?i:keylog|key.?log|keys|SSLKEYLOGFILE)"), timeout=1)
                with TlsClient(self.port, self.pki.client_context()) as client:
                    client.handshake()
                    client.sendall(b"k\n")
                    self.assertEqual(client.recv_line(), b"k\n")
                    client.close_notify()
                    client.recv_until_eof()
                harness.wait_until(lambda: os.path.exists(keylog) and "CLIENT_TRAFFIC_SECRET_0" in open(keylog).read(),
                                   10, what="key log lines")
            text = open(keylog).read()
            for label in ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                          "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"):
                self.assertRegex(text, rf"(?m)^{label} [0-9a-f]{{64}} [0-9a-f]{{64,96}}$")


if __name__ == "__main__":
    unittest.main()
