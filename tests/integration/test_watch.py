"""global.watch: a certificate renewed the way certbot and Kubernetes do it
is served without a SIGHUP; other files in the same directory change
nothing."""

import os
import shutil
import unittest

import harness
from harness import EchoServer, IntegrationTest, free_port, listener

# A change must be served within this bound (the debounce is ~300 ms).
PICKUP_BOUND = 10.0


class WatchTest(IntegrationTest):

    def watching(self, backend_port, cert="server.pem", key="server.key"):
        self.port = free_port()
        tls = {"certificates": [{"cert": cert, "key": key}]}
        return harness.config([listener("web", self.port, backend_port, accept_tls=tls)], watch=True)

    def served(self):
        return harness.served_cert_sha256(self.port, self.pki.ca)

    def wait_served(self, sha, what):
        harness.wait_until(lambda: self.served() == sha, PICKUP_BOUND, interval=0.05, what=what)

    def assert_no_sighup(self, gate):
        self.assertNotIn("SIGHUP", gate.text())

    def test_certbot_style_rename_over_the_old_files(self):
        new_cert, new_key = self.pki.extra_server_cert("renewed", "localhost")
        with EchoServer() as backend, self.daemon(self.watching(backend.port)) as gate:
            self.assertEqual(self.served(), harness.cert_sha256(self.pki.server_cert))
            harness.main_loop_barrier(gate)  # the watch is armed (see the test below)
            mark = gate.mark()
            # Write each new file beside the old one, then rename it over it.
            for source, target in ((new_key, self.pki.server_key), (new_cert, self.pki.server_cert)):
                shutil.copyfile(source, target + ".new")
                os.rename(target + ".new", target)
            self.wait_served(harness.cert_sha256(new_cert), "the renewed certificate to be served")
            gate.wait_for_log(r"watch: \S*server\.(pem|key) changed; reloading", start=mark)
            gate.wait_for_log(r"reload: config generation \d+ in force", start=mark)
            got, port = harness.echo_round_trip(self.port, self.pki.client_context())
            self.assertEqual(got, b"ping\n")
            self.assert_no_sighup(gate)

    def kubernetes_secret(self, name, cert, key):
        """secret/..NAME/{tls.crt,tls.key}, as the kubelet writes a new version."""
        directory = self.file(os.path.join("secret", name))
        os.makedirs(directory)
        shutil.copyfile(cert, os.path.join(directory, "tls.crt"))
        shutil.copyfile(key, os.path.join(directory, "tls.key"))

    def test_kubernetes_style_data_symlink_swap(self):
        secret = self.file("secret")
        self.kubernetes_secret("..2026_a", self.pki.server_cert, self.pki.server_key)
        os.symlink("..2026_a", os.path.join(secret, "..data"))
        for name in ("tls.crt", "tls.key"):
            os.symlink(os.path.join("..data", name), os.path.join(secret, name))
        versions = [self.pki.extra_server_cert(f"renewed{i}", "localhost") for i in (1, 2)]
        with EchoServer() as backend, \
                self.daemon(self.watching(backend.port, cert="secret/tls.crt", key="secret/tls.key")) as gate:
            self.assertEqual(self.served(), harness.cert_sha256(self.pki.server_cert))
            old = "..2026_a"
            # Two updates: the second shows the watch survives the first reload.
            for new, (cert, key) in zip(("..2026_b", "..2026_c"), versions):
                harness.main_loop_barrier(gate)  # the watch is (re-)armed
                mark = gate.mark()
                self.kubernetes_secret(new, cert, key)
                os.symlink(new, os.path.join(secret, "..data_tmp"))
                os.rename(os.path.join(secret, "..data_tmp"), os.path.join(secret, "..data"))
                shutil.rmtree(os.path.join(secret, old))
                self.wait_served(harness.cert_sha256(cert), f"the certificate in {new} to be served")
                gate.wait_for_log(r"watch: \S*secret/tls\.(crt|key) changed; reloading", start=mark)
                old = new
            got, port = harness.echo_round_trip(self.port, self.pki.client_context())
            self.assertEqual(got, b"ping\n")
            self.assert_no_sighup(gate)

    def reissue(self, name):
        """A new CA-signed certificate for localhost on the server's own key
        (so a renewal is one rename); returns its path."""
        openssl = harness.tool("openssl")
        csr, cert = self.file(f"{name}.csr"), self.file(f"{name}.pem")
        harness.run([openssl, "req", "-new", "-key", self.pki.server_key, "-subj", "/CN=localhost",
                     "-addext", "subjectAltName=DNS:localhost", "-out", csr])
        harness.run([openssl, "x509", "-req", "-in", csr, "-CA", self.pki.ca, "-CAkey", self.pki.ca_key,
                     "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "30",
                     "-copy_extensions", "copy", "-out", cert])
        return cert

    def test_renewal_right_after_ready_is_not_lost(self):
        # "ready" means fully up: a certificate renewed the moment after it
        # must still be picked up. Several starts, as the window is short.
        with open(self.pki.server_cert, "rb") as f:
            original = f.read()
        renewals = [self.reissue(f"renewal{attempt}") for attempt in range(10)]
        with EchoServer() as backend:
            for attempt, cert in enumerate(renewals):
                with open(self.pki.server_cert, "wb") as f:
                    f.write(original)
                with self.daemon(self.watching(backend.port)):
                    shutil.copyfile(cert, self.pki.server_cert + ".new")
                    os.rename(self.pki.server_cert + ".new", self.pki.server_cert)
                    self.wait_served(harness.cert_sha256(cert),
                                     f"the certificate renewed right after ready (start {attempt + 1})")

    def test_unrelated_file_in_the_same_directory_causes_no_reload(self):
        with EchoServer() as backend, self.daemon(self.watching(backend.port)) as gate:
            harness.main_loop_barrier(gate)
            mark = gate.mark()
            with open(self.file("notes.txt"), "w") as f:
                f.write("not named by the config\n")
            os.rename(self.file("notes.txt"), self.file("notes.old"))
            # Several debounce periods of nothing.
            harness.no_log_within(gate, r"watch: |reload", 1.5, start=mark)
            # The watch was live all along: a real change reloads, as generation 2.
            with open(gate.config_path, "a") as f:
                f.write("# edited\n")
            gate.wait_for_log(r"watch: \S*tlsgate\.yaml changed; reloading", start=mark, timeout=PICKUP_BOUND)
            line = gate.wait_for_log(r"reload: config generation \d+ in force", start=mark).string
            self.assertIn("generation 2 in force", line)
            self.assertNotRegex(gate.text(), r"notes\.(txt|old)")


if __name__ == "__main__":
    unittest.main()
