"""SIGHUP reloads: no connection lost under load, a swapped certificate
served to new connections only, a broken config refused while the old one
keeps serving, listeners added and removed, and ticket keys rotated."""

import base64
import hashlib
import os
import shutil
import threading
import unittest

import harness
from harness import EchoServer, IntegrationTest, TlsClient, free_port, listener, logfmt


def ticket_key_line():
    return base64.b64encode(os.urandom(80)).decode() + "\n"


def peer_cert_sha256(conn):
    """SHA-256 of the certificate the server presented on a TlsConn."""
    return hashlib.sha256(conn.obj.getpeercert(binary_form=True)).hexdigest()


class ReloadTest(IntegrationTest):

    def terminate(self, backend_port, name="web", port=None, **tls_extra):
        self.port = port or free_port()
        return listener(name, self.port, backend_port, accept_tls=harness.server_tls(self.pki, **tls_extra))

    def reload_ok(self, gate, generation):
        m = harness.reload(gate)
        self.assertEqual(m.group("generation"), str(generation), m.string)
        return m.string

    def test_reloads_under_load_lose_no_connection(self):
        with EchoServer() as backend:
            cfg = harness.config([self.terminate(backend.port)], workers=2)
            with self.daemon(cfg) as gate:
                ctx = self.pki.client_context()
                stop = threading.Event()
                lock = threading.Lock()
                done = [0]
                failures = []

                def client(n):
                    i = 0
                    while not stop.is_set():
                        message = f"client {n} request {i}\n".encode()
                        stage = "connect"
                        try:
                            with TlsClient(self.port, ctx) as c:
                                stage = "handshake"
                                c.handshake()
                                stage = "exchange"
                                c.sendall(message)
                                got = c.recv_exactly(len(message))
                                c.close_notify()
                                rest = c.recv_until_eof()
                            if got != message or rest != b"":
                                raise AssertionError(f"echo {got!r} + {rest!r} for {message!r}")
                            with lock:
                                done[0] += 1
                        except Exception as e:
                            with lock:
                                failures.append(f"{stage}: {type(e).__name__}: {e}")
                        i += 1

                threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(4)]
                for t in threads:
                    t.start()
                summaries = []
                try:
                    harness.wait_until(lambda: done[0] >= 8, 15, what="the clients to get going")
                    for generation in range(2, 12):
                        summaries.append(self.reload_ok(gate, generation))
                        # Let traffic run on the new generation before the next reload.
                        before = done[0]
                        harness.wait_until(lambda: done[0] >= before + 8, 15,
                                           what=f"exchanges on generation {generation}")
                finally:
                    stop.set()
                    for t in threads:
                        t.join(30)
                self.assertEqual(failures, [], f"{len(failures)} of {done[0] + len(failures)} exchanges failed")
                for line in summaries:
                    self.assertIn("1 listener(s) kept their sockets, 0 added, 0 closed", line)
                total = done[0]

                def close_lines():
                    return [l for l in gate.text().splitlines() if "listener=web" in l and "outcome=" in l]
                harness.wait_until(lambda: len(close_lines()) >= total, 15, what=f"{total} connection lines")
                lines = close_lines()
                self.assertEqual(len(lines), total)
                self.assertEqual([l for l in lines if logfmt(l).get("outcome") != "ok"], [])
                generations = {int(logfmt(l)["generation"]) for l in lines}
                self.assertTrue({1, 11} <= generations, sorted(generations))

    def test_certificate_swap_serves_new_cert_and_keeps_open_connections(self):
        old_sha = harness.cert_sha256(self.pki.server_cert)
        new_cert, new_key = self.pki.extra_server_cert("renewed", "localhost")
        new_sha = harness.cert_sha256(new_cert)
        with EchoServer() as backend, self.daemon(harness.config([self.terminate(backend.port)])) as gate:
            self.assertEqual(harness.served_cert_sha256(self.port, self.pki.ca), old_sha)
            with TlsClient(self.port, self.pki.client_context()) as before:
                before.handshake()
                before.sendall(b"opened on the old certificate\n")
                self.assertEqual(before.recv_line(), b"opened on the old certificate\n")
                shutil.copyfile(new_cert, self.pki.server_cert)
                shutil.copyfile(new_key, self.pki.server_key)
                self.reload_ok(gate, 2)
                self.assertEqual(harness.served_cert_sha256(self.port, self.pki.ca), new_sha)
                got, after_port = harness.echo_round_trip(self.port, self.pki.client_context())
                self.assertEqual(got, b"ping\n")
                # The connection from before the reload still works.
                before.sendall(b"still here after the reload\n")
                self.assertEqual(before.recv_line(), b"still here after the reload\n")
                self.assertEqual(peer_cert_sha256(before), old_sha)
                before.close_notify()
                self.assertEqual(before.recv_until_eof(), b"")
                before_port = before.local_port
            old_line = logfmt(gate.connection_line(before_port))
            self.assertEqual((old_line.get("generation"), old_line.get("outcome")), ("1", "ok"), old_line)
            new_line = logfmt(gate.connection_line(after_port))
            self.assertEqual((new_line.get("generation"), new_line.get("outcome")), ("2", "ok"), new_line)

    def test_broken_config_is_refused_and_the_old_one_keeps_serving(self):
        with EchoServer() as backend:
            cfg = harness.config([self.terminate(backend.port)])
            good = harness.to_yaml(cfg) + "\n"
            missing = harness.to_yaml(cfg).replace('"server.pem"', '"missing.pem"') + "\n"
            missing_at = [i + 1 for i, l in enumerate(missing.splitlines()) if "missing.pem" in l][0]
            yaml_error = good + "  - name: [unclosed\n"
            yaml_error_at = len(good.splitlines()) + 1
            sha = harness.cert_sha256(self.pki.server_cert)
            with self.daemon(good) as gate:
                for what, text, error in (
                        ("YAML syntax error", yaml_error,
                         rf"tlsgate\.yaml:{yaml_error_at + 1}:\d+: YAML syntax error"),
                        ("missing certificate", missing,
                         rf"tlsgate\.yaml:{missing_at}:\d+: .*cannot open certificate file .*missing\.pem: "
                         r"No such file or directory")):
                    with self.subTest(what):
                        self.write_config(text)
                        m = harness.reload(gate)
                        self.assertIsNotNone(m.group("error"), m.string)
                        self.assertEqual(m.group("kept"), "1", m.string)
                        self.assertRegex(m.group("error"), error)
                        self.assertRegex(m.string, r"\berror\b")
                        got, port = harness.echo_round_trip(self.port, self.pki.client_context())
                        self.assertEqual(got, b"ping\n")
                        self.assertEqual(harness.served_cert_sha256(self.port, self.pki.ca), sha)
                        self.assertEqual(logfmt(gate.connection_line(port)).get("generation"), "1")
                # Fixed again: the next reload is generation 2, not 4.
                self.write_config(good)
                self.reload_ok(gate, 2)

    def test_one_reload_adds_a_listener_and_removes_another(self):
        with EchoServer() as backend:
            kept = self.terminate(backend.port, name="kept")
            kept_port = self.port
            removed = self.terminate(backend.port, name="removed")
            removed_port = self.port
            added = self.terminate(backend.port, name="added")
            added_port = self.port
            self.assertTrue(harness.refuses(added_port))
            with self.daemon(harness.config([kept, removed])) as gate:
                with TlsClient(removed_port, self.pki.client_context()) as open_on_removed:
                    open_on_removed.handshake()
                    open_on_removed.sendall(b"before\n")
                    self.assertEqual(open_on_removed.recv_line(), b"before\n")
                    self.write_config(harness.config([kept, added]))
                    line = self.reload_ok(gate, 2)
                    self.assertIn("1 listener(s) kept their sockets, 1 added, 1 closed", line)
                    got, added_client = harness.echo_round_trip(added_port, self.pki.client_context())
                    self.assertEqual(got, b"ping\n")
                    got, kept_client = harness.echo_round_trip(kept_port, self.pki.client_context())
                    self.assertEqual(got, b"ping\n")
                    harness.wait_until(lambda: harness.refuses(removed_port), 10, interval=0.05,
                                       what="the removed listener's port to refuse connections")
                    # Its open connection finishes on the old generation.
                    open_on_removed.sendall(b"after\n")
                    self.assertEqual(open_on_removed.recv_line(), b"after\n")
                    open_on_removed.close_notify()
                    self.assertEqual(open_on_removed.recv_until_eof(), b"")
                    removed_client = open_on_removed.local_port
                for port, name, generation in ((added_client, "added", "2"), (kept_client, "kept", "2"),
                                               (removed_client, "removed", "1")):
                    fields = logfmt(gate.connection_line(port))
                    self.assertEqual((fields.get("listener"), fields.get("generation"), fields.get("outcome")),
                                     (name, generation, "ok"), fields)

    # ------------------------------------------------------------------ ticket keys

    def s_client_echo(self, *extra):
        """One s_client connection that sends a line, reads the echo (so TLS 1.3
        tickets have arrived) and closes; its output."""
        args = [harness.tool("openssl"), "s_client", "-connect", f"127.0.0.1:{self.port}",
                "-servername", "localhost", "-CAfile", self.pki.ca, *extra]
        with harness.process(args) as client:
            client.stdin.write(b"ping\n")
            client.stdin.flush()
            client.wait_line(r"^ping$")
            client.stdin.close()
            self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
        return "\n".join(client.lines)

    def test_ticket_key_rotation_on_reload(self):
        keys = self.file("tickets.key")
        old_key, new_key = ticket_key_line(), ticket_key_line()
        with open(keys, "w") as f:
            f.write(old_key)
        os.chmod(keys, 0o600)
        session = self.file("session.pem")
        with EchoServer() as backend:
            cfg = harness.config([self.terminate(backend.port, session={"ticket_keys": "tickets.key"})])
            with self.daemon(cfg) as gate:
                self.assertRegex(self.s_client_echo("-sess_out", session), r"(?m)^New, ")
                # A new first key; the old one still decrypts.
                with open(keys, "w") as f:
                    f.write(new_key + old_key)
                self.reload_ok(gate, 2)
                mark = gate.mark()
                out = self.s_client_echo("-sess_in", session)
                self.assertRegex(out, r"(?m)^Reused, ", out)
                line = gate.wait_for_log(r"\boutcome=ok\b", start=mark).string
                self.assertEqual(logfmt(line).get("accept.resumed"), "yes", line)
                self.assertEqual(logfmt(line).get("generation"), "2", line)
                # The old key dropped: its tickets no longer resume.
                with open(keys, "w") as f:
                    f.write(new_key)
                self.reload_ok(gate, 3)
                mark = gate.mark()
                out = self.s_client_echo("-sess_in", session)
                self.assertRegex(out, r"(?m)^New, ", out)
                line = gate.wait_for_log(r"\boutcome=ok\b", start=mark).string
                self.assertEqual(logfmt(line).get("accept.resumed"), "no", line)


if __name__ == "__main__":
    unittest.main()
