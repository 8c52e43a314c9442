"""Addresses other than 127.0.0.1:port: unix sockets on both sides (the
socket's mode, a stale socket file left by a dead process, a live one owned
by another process) and IPv6 loopback ([::1]:port) on both sides."""

import os
import socket
import stat
import unittest

import harness
import peers
from harness import EchoServer, IntegrationTest, Octal, TlsConn, all_of, free_port, listener, logfmt
from peers import FamilyEchoServer


def unix_round_trip(path, message=b"over a unix socket\n"):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(harness.IO_TIMEOUT)
        s.connect(path)
        s.sendall(message)
        return harness.recv_line(s)


class UnixSocketTest(IntegrationTest):

    def unix_accept_config(self, path, backend_port, **accept_extra):
        return harness.config([listener("unix-in", f"unix:{path}", backend_port, accept=accept_extra)])

    def test_accept_on_a_unix_socket_with_mode_0660(self):
        path = self.file("gate.sock")
        with EchoServer() as backend, \
                self.daemon(self.unix_accept_config(path, backend.port, unix_socket={"mode": Octal(0o660)})) as gate:
            st = os.stat(path)
            self.assertTrue(stat.S_ISSOCK(st.st_mode))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
            self.assertEqual(unix_round_trip(path), b"over a unix socket\n")
            line = gate.wait_for_log(all_of(r"\blistener=unix-in\b", r"\boutcome=")).string
            fields = logfmt(line)
            self.assertEqual(fields.get("outcome"), "ok", line)
            self.assertEqual(fields.get("backend"), f"127.0.0.1:{backend.port}", line)
            self.assertEqual(int(fields.get("bytes_up", -1)), len(b"over a unix socket\n"), line)

    def test_accept_socket_owner_and_group(self):
        if os.geteuid() != 0:
            raise unittest.SkipTest("changing a socket's owner needs root")
        import grp
        import pwd
        path = self.file("owned.sock")
        user, group = pwd.getpwnam("nobody"), grp.getgrnam("nogroup")
        cfg = self.unix_accept_config(path, 9, unix_socket={"mode": Octal(0o660), "owner": "nobody",
                                                            "group": str(group.gr_gid)})
        with self.daemon(cfg):
            st = os.stat(path)
            self.assertEqual((st.st_uid, st.st_gid), (user.pw_uid, group.gr_gid))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        # A user that does not exist is a startup error naming it.
        bad = self.write_config(self.unix_accept_config(self.file("bad.sock"), 9,
                                                        unix_socket={"owner": "no-such-user-here"}))
        proc = harness.run([self.binary, "run", "-c", bad], check=False, timeout=20)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 1, out)
        self.assertIn("no such user: no-such-user-here", out)
        self.assertNotIn("ready", out)

    def test_stale_socket_file_is_replaced(self):
        path = self.file("stale.sock")
        dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        dead.bind(path)
        dead.close()  # the file stays; nobody listens on it
        self.assertTrue(stat.S_ISSOCK(os.stat(path).st_mode))
        with EchoServer() as backend, self.daemon(self.unix_accept_config(path, backend.port)):
            self.assertEqual(unix_round_trip(path), b"over a unix socket\n")

    def test_live_socket_of_another_process_is_a_startup_error(self):
        path = self.file("live.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as owner:
            owner.bind(path)
            owner.listen(4)
            cfg = self.write_config(self.unix_accept_config(path, free_port()))
            proc = harness.run([self.binary, "run", "-c", cfg], check=False, timeout=30)
            out = proc.stdout + proc.stderr
            self.assertEqual(proc.returncode, 1, out)
            self.assertIn(path, out)
            self.assertRegex(out, r"(?i)in use|already|another process|listening")
            self.assertNotRegex(out, r"\bready\b")
            # The other process's socket is untouched and still answers.
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(harness.IO_TIMEOUT)
                probe.connect(path)
                conn, _ = owner.accept()
                conn.close()

    def test_connect_to_a_unix_socket_backend(self):
        path = self.file("backend.sock")
        port = free_port()
        with FamilyEchoServer(unix_path=path) as backend, \
                self.daemon(harness.config([listener("to-unix", port, f"unix:{path}")])) as gate:
            with socket.create_connection(("127.0.0.1", port), timeout=harness.IO_TIMEOUT) as s:
                s.sendall(b"to a unix backend\n")
                self.assertEqual(harness.recv_line(s), b"to a unix backend\n")
                local = s.getsockname()[1]
            line = gate.connection_line(local)
            self.assertEqual(logfmt(line).get("backend"), f"unix:{path}", line)
            self.assertEqual(logfmt(line).get("outcome"), "ok", line)
            self.assertEqual(backend.accepted, 1)

    def test_tls_terminated_on_a_unix_socket(self):
        path = self.file("tls.sock")
        cfg = harness.config([listener("unix-tls", f"unix:{path}", 0, accept_tls=harness.server_tls(self.pki))])
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                raw = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                raw.settimeout(harness.IO_TIMEOUT)
                raw.connect(path)
                conn = UnixTlsConn(raw, self.pki.client_context(), server_hostname="localhost")
                with conn:
                    conn.handshake()
                    conn.sendall(b"tls over unix\n")
                    self.assertEqual(conn.recv_line(), b"tls over unix\n")
                    conn.close_notify()
                    conn.recv_until_eof()
                line = gate.wait_for_log(all_of(r"\blistener=unix-tls\b", r"\boutcome=")).string
                self.assertEqual(logfmt(line).get("accept.protocol"), "TLSv1.3", line)


class UnixTlsConn(TlsConn):
    """TlsConn over an AF_UNIX socket (which has no port)."""

    def __init__(self, sock, context, server_hostname=None):
        super().__init__(_NamedSocket(sock), context, server_hostname=server_hostname)


class _NamedSocket:
    """A socket whose getsockname() gives (path, 0), like an inet socket's (host, port)."""

    def __init__(self, sock):
        self._sock = sock

    def getsockname(self):
        return (self._sock.getsockname(), 0)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class Ipv6Test(IntegrationTest):

    def setUp(self):
        super().setUp()
        if not peers.can_bind("::1"):
            self.skipTest("::1 is not available on this machine")

    def test_accept_and_connect_on_ipv6_loopback(self):
        port = peers.free_port_on("::1")
        with FamilyEchoServer(host="::1") as backend, \
                self.daemon(harness.config([listener("v6", f"[::1]:{port}", f"[::1]:{backend.port}")])) as gate:
            with socket.create_connection(("::1", port), timeout=harness.IO_TIMEOUT) as s:
                s.sendall(b"v6 both sides\n")
                self.assertEqual(harness.recv_line(s), b"v6 both sides\n")
                local = s.getsockname()[1]
            line = gate.connection_line(local)
            fields = logfmt(line)
            self.assertEqual(fields.get("client"), f"[::1]:{local}", line)
            self.assertEqual(fields.get("backend"), f"[::1]:{backend.port}", line)
            self.assertEqual(fields.get("outcome"), "ok", line)
            self.assertEqual(backend.peers[0][0], "::1")

    def test_tls_on_ipv6_to_an_ipv4_backend_and_back(self):
        v6_port = peers.free_port_on("::1")
        v4_port = free_port()
        with EchoServer() as v4_backend, FamilyEchoServer(host="::1") as v6_backend:
            cfg = harness.config([
                listener("v6-in", f"[::1]:{v6_port}", v4_backend.port, accept_tls=harness.server_tls(self.pki)),
                listener("v4-in", v4_port, f"[::1]:{v6_backend.port}", accept_tls=harness.server_tls(self.pki)),
            ])
            with self.daemon(cfg) as gate:
                raw = socket.create_connection(("::1", v6_port), timeout=harness.IO_TIMEOUT)
                with TlsConn(raw, self.pki.client_context(), server_hostname="localhost") as client:
                    client.handshake()
                    client.sendall(b"in over v6\n")
                    self.assertEqual(client.recv_line(), b"in over v6\n")
                    client.close_notify()
                    client.recv_until_eof()
                fields = logfmt(gate.connection_line(client.local_port))
                self.assertEqual(fields.get("client"), f"[::1]:{client.local_port}")
                self.assertEqual(fields.get("backend"), f"127.0.0.1:{v4_backend.port}")
                got, local = harness.echo_round_trip(v4_port, self.pki.client_context())
                self.assertEqual(got, b"ping\n")
                fields = logfmt(gate.connection_line(local))
                self.assertEqual(fields.get("backend"), f"[::1]:{v6_backend.port}")
                self.assertEqual(fields.get("outcome"), "ok")


if __name__ == "__main__":
    unittest.main()
