"""`tlsgate import hitch`: the real hitch runs an original hitch.conf and
tlsgate runs its conversion, each on its own loopback port, and the same
clients go through both. The outcome of every client (served certificate,
protocol, ALPN, the bytes and PROXY header that reach the backend, or the
failure) must be the same.

hitch runs in the foreground (--daemon=off on its command line, which
overrides the file). As root it insists on switching to a user, so the
files name _hitch, the user Debian's package makes. Frontends listen on
127.0.0.1 rather than "*": the tests stay on loopback.
"""

import hashlib
import os
import re
import socket
import ssl
import subprocess
import unittest

import harness
import peers
from harness import IntegrationTest


def hitch_binary():
    return harness.tool("hitch")


class Outcome:
    """What one client saw: ok with the certificate, version, ALPN and
    echo, or a failure."""

    def __init__(self, ok, cert=None, version=None, alpn=None, echoed=None):
        self.ok, self.cert, self.version, self.alpn, self.echoed = ok, cert, version, alpn, echoed

    def __eq__(self, other):
        return vars(self) == vars(other)

    def __repr__(self):
        return f"Outcome({vars(self)})"


def client(port, sni=None, tls12=False, alpn=None, cert=None, cafile=None, message=b"ping\n"):
    """One connection: handshake, a line out, its echo back."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if cert:
        ctx.load_cert_chain(*cert)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=harness.IO_TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni) as tls:
                served = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
                tls.sendall(message)
                echoed = b""
                while len(echoed) < len(message):
                    data = tls.recv(len(message) - len(echoed))
                    if not data:
                        break
                    echoed += data
                if echoed != message:
                    return Outcome(False)
                return Outcome(True, served, tls.version(), tls.selected_alpn_protocol(), echoed)
    except (ssl.SSLError, ConnectionError, socket.timeout, OSError):
        return Outcome(False)


class QuietTlsgate(harness.Tlsgate):
    """The conversion keeps hitch's log level (errors only), so tlsgate does
    not log "ready": wait for its port instead."""

    def __init__(self, config_path, port):
        super().__init__(config_path)
        self.port = port

    def _wait_ready(self):
        harness.wait_for_port(self.port, self.ready_timeout)


class ImportHitchTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.hitch = hitch_binary()
        self.echo = harness.EchoServer().start()
        self.addCleanup(self.echo.stop)

    # -- helpers --

    def combined(self, cert, key, name):
        """A pem-file as hitch likes it: key and certificate in one file."""
        path = self.file(name)
        with open(path, "w") as out:
            for part in (key, cert):
                with open(part) as f:
                    out.write(f.read())
        return path

    def convert(self, text, name="tlsgate-hitch.conf"):
        """Runs `tlsgate import hitch` on `text`; returns (yaml path, exit
        status, stderr)."""
        source = self.file(name)
        with open(source, "w") as f:
            f.write(text)
        out = self.file(name + ".yaml")
        proc = harness.run([self.binary, "import", "hitch", source, "-o", out], check=False)
        self.assertIn(proc.returncode, (0, 3), proc.stderr)
        return out, proc.returncode, proc.stderr

    def both(self, template, backend_port=None, extra_ports=()):
        """Starts hitch on `template` and tlsgate on its conversion; the
        template's {port} and {backend} are filled in for each, and so is
        each name of `extra_ports` with another port (in both.extra, by
        side). Returns a context manager yielding (hitch port, tlsgate port,
        exit status, warnings)."""
        test = self
        backend = backend_port or self.echo.port

        class Both:
            def __enter__(self):
                self.hitch_port, self.tlsgate_port = harness.free_port(), harness.free_port()
                self.extra = {side: {name: harness.free_port() for name in extra_ports}
                              for side in ("hitch", "tlsgate")}
                hitch_conf = test.file("hitch.conf")
                with open(hitch_conf, "w") as f:
                    f.write(template.format(port=self.hitch_port, backend=backend, **self.extra["hitch"]))
                yaml, self.status, self.warnings = test.convert(
                    template.format(port=self.tlsgate_port, backend=backend, **self.extra["tlsgate"]))
                self.hitch_cm = harness.process([test.hitch, f"--config={hitch_conf}", "--daemon=off"])
                self.proc = self.hitch_cm.__enter__()
                try:
                    harness.wait_for_port(self.hitch_port)
                except AssertionError:
                    raise AssertionError("hitch did not start:\n" + "\n".join(self.proc.lines))
                self.gate = QuietTlsgate(yaml, self.tlsgate_port)
                self.gate.start()
                return self

            def __exit__(self, *exc):
                try:
                    self.gate.__exit__(*exc)
                finally:
                    self.hitch_cm.__exit__(None, None, None)
                return False

        return Both()

    def assert_same(self, both, **kw):
        hitch = client(both.hitch_port, **kw)
        tlsgate = client(both.tlsgate_port, **kw)
        self.assertEqual(hitch, tlsgate, f"client {kw}: hitch saw {hitch}, tlsgate {tlsgate}\n"
                                         f"import warnings:\n{both.warnings}")
        return hitch

    def sha(self, path):
        return harness.cert_sha256(path)

    # -- tests --

    def test_debian_example_with_proxy_v2(self):
        with open("/usr/share/doc/hitch/examples/hitch.conf.example") as f:
            example = f.read()
        site = self.combined(self.pki.server_cert, self.pki.server_key, "site.pem")
        # Adapted in ports, paths and the user only.
        example = (example.replace("{", "{{").replace("}", "}}")
                   .replace('host = "*"', 'host = "127.0.0.1"')
                   .replace('port = "443"', 'port = "{port}"')
                   .replace("[127.0.0.1]:6086", "[127.0.0.1]:{backend}")
                   .replace('"hitch"', '"_hitch"'))
        example += f'pem-file = "{site}"\n'
        recorder = peers.ProxyHeaderRecorder().start()
        self.addCleanup(recorder.stop)
        with self.both(example, backend_port=recorder.port) as both:
            self.assertEqual(both.status, 3)
            # daemon = on needs nothing; hitch's CBC suites are the one difference.
            warnings = [line for line in both.warnings.splitlines() if ": warning: " in line]
            self.assertEqual(len(warnings), 1, both.warnings)
            self.assertRegex(warnings[0], r"hitch\.conf:4: warning: no ciphers line: hitch's default")
            got = self.assert_same(both, sni="localhost")
            self.assertTrue(got.ok)
            self.assertEqual(got.cert, self.sha(self.pki.server_cert))
            hitch_header = recorder.header(0)
            tlsgate_header = recorder.header(1)
        for header, port in ((hitch_header, both.hitch_port), (tlsgate_header, both.tlsgate_port)):
            self.assertEqual(header["version"], 2)
            self.assertEqual(header["src"][0], "127.0.0.1")
            self.assertEqual(header["dst"], ("127.0.0.1", port))
            tlvs = dict(header["tlvs"])
            self.assertEqual(tlvs.get(0x02), b"localhost")  # PP2_TYPE_AUTHORITY: the SNI
            self.assertIn(0x20, tlvs)  # PP2_TYPE_SSL
            self.assertIn(b"TLSv1.3", tlvs[0x20])

    def sni_template(self, extra=""):
        alpha = self.combined(*self.pki.extra_server_cert("alpha", "alpha.test"), "alpha-combined.pem")
        beta_cert, beta_key = self.pki.extra_server_cert("beta", "beta.test")
        site = self.combined(self.pki.server_cert, self.pki.server_key, "site.pem")
        return ("frontend = \"[127.0.0.1]:{port}\"\n"
                "backend = \"[127.0.0.1]:{backend}\"\n"
                "user = \"_hitch\"\n"
                f"pem-file = \"{alpha}\"\n"
                f"pem-file = {{{{ cert = \"{beta_cert}\" private-key = \"{beta_key}\" }}}}\n"
                f"pem-file = \"{site}\"\n"
                "alpn-protos = \"h2, http/1.1\"\n" + extra)

    def test_certificates_by_sni_alpn_and_tls12(self):
        with self.both(self.sni_template()) as both:
            self.assertEqual(both.status, 3)
            self.assertRegex(both.warnings, r"alpn-protos = \"h2, http/1.1\": a client that offers "
                                            r"ALPN but none of these protocols: hitch closes")
            self.assertEqual(self.assert_same(both, sni="alpha.test").cert,
                             self.sha(self.pki.path("alpha.pem")))
            self.assertEqual(self.assert_same(both, sni="beta.test").cert,
                             self.sha(self.pki.path("beta.pem")))
            # No SNI, and an unknown name: hitch's default, the last pem-file.
            self.assertEqual(self.assert_same(both).cert, self.sha(self.pki.server_cert))
            self.assertEqual(self.assert_same(both, sni="unknown.test").cert,
                             self.sha(self.pki.server_cert))
            self.assertEqual(self.assert_same(both, sni="alpha.test", alpn=["http/1.1", "h2"]).alpn, "h2")
            # The difference the warning names: no protocol in common.
            self.assertFalse(client(both.hitch_port, alpn=["spdy/3"]).ok)
            self.assertIsNone(client(both.tlsgate_port, alpn=["spdy/3"]).alpn)
            self.assertTrue(client(both.tlsgate_port, alpn=["spdy/3"]).ok)
            self.assertEqual(self.assert_same(both, tls12=True).version, "TLSv1.2")

    def test_sni_nomatch_abort_and_tls13_only(self):
        with self.both(self.sni_template("sni-nomatch-abort = on\ntls-protos = TLSv1.3\n")) as both:
            self.assertFalse(self.assert_same(both, sni="unknown.test").ok)
            self.assertTrue(self.assert_same(both, sni="beta.test").ok)
            self.assertTrue(self.assert_same(both).ok)  # no SNI: the default certificate
            self.assertFalse(self.assert_same(both, tls12=True).ok)

    def test_tls12_cbc_only_client_is_refused_by_tlsgate_as_the_import_warns(self):
        """hitch's default ciphers admit CBC suites and tlsgate's do not; the
        import keeps tlsgate's and says so. With the cipher list the warning
        suggests, both accept the client."""
        site = self.combined(self.pki.server_cert, self.pki.server_key, "site.pem")
        base = ("frontend = {{\n  host = \"127.0.0.1\"\n  port = \"{port}\"\n}}\n"
                "backend = \"[127.0.0.1]:{backend}\"\nuser = \"_hitch\"\n"
                f"pem-file = \"{site}\"\n")
        with self.both(base) as both:
            self.assertIn("no ciphers line: hitch's default TLS 1.2 cipher list", both.warnings)
            hitch, tlsgate = (self.cbc_probe(port) for port in (both.hitch_port, both.tlsgate_port))
            self.assertEqual(hitch, ("TLSv1.2", "ECDHE-ECDSA-AES256-SHA384"))
            self.assertIsNone(tlsgate)
        kept = base + 'ciphers = "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH"\n'
        with self.both(kept) as both:
            hitch, tlsgate = (self.cbc_probe(port) for port in (both.hitch_port, both.tlsgate_port))
            self.assertEqual(tlsgate, hitch)

    def cbc_probe(self, port):
        """(version, cipher) for a TLS 1.2 client that offers one CBC suite, or None when refused."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-AES256-SHA384")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=harness.IO_TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    return tls.version(), tls.cipher()[0]
        except (ssl.SSLError, OSError):
            return None

    def test_client_verify(self):
        site = self.combined(self.pki.server_cert, self.pki.server_key, "site.pem")
        template = ("frontend = {{\n  host = \"127.0.0.1\"\n  port = \"{port}\"\n}}\n"
                    "backend = \"[127.0.0.1]:{backend}\"\nuser = \"_hitch\"\n"
                    f"pem-file = \"{site}\"\n"
                    f"client-verify = required\nclient-verify-ca = \"{self.pki.ca}\"\n"
                    "ciphers = \"EECDH+AESGCM\"\n")
        with self.both(template) as both:
            self.assertEqual(both.status, 0, both.warnings)
            self.assertFalse(self.assert_same(both).ok)
            self.assertFalse(self.assert_same(both, cert=(self.pki.untrusted_cert, self.pki.untrusted_key)).ok)
            self.assertTrue(self.assert_same(both, cert=(self.pki.client_cert, self.pki.client_key)).ok)
            self.assertFalse(self.assert_same(both, tls12=True).ok)

    def test_frontend_tls_settings_need_a_frontend_pem_file(self):
        # hitch applies a frontend's tls-protos only to the frontend's own
        # pem-files: here TLS 1.2 still works, and the conversion says so.
        site = self.combined(self.pki.server_cert, self.pki.server_key, "site.pem")
        template = ("frontend = {{\n  host = \"127.0.0.1\"\n  port = \"{port}\"\n  tls-protos = TLSv1.3\n}}\n"
                    "backend = \"[127.0.0.1]:{backend}\"\nuser = \"_hitch\"\n"
                    f"pem-file = \"{site}\"\n")
        with self.both(template) as both:
            self.assertEqual(both.status, 3)
            self.assertIn("tls-protos = TLSv1.3 left out", both.warnings)
            self.assertEqual(self.assert_same(both, tls12=True).version, "TLSv1.2")

    # -- every option --

    # The warnings of EVERY_OPTION's conversion: each one the migration guide
    # names, and no other. {source} is the converted file.
    EVERY_OPTION_WARNINGS = [
        "{source}:5: warning: match-global-certs = on: tlsgate looks for an exact name among all the "
        "certificates before a wildcard; hitch looks through the frontend's own before the global ones",
        "{source}:15: warning: pem-dir = \"{dir}/pem-dir\": its 1 files are listed one by one; a certificate "
        "added to {dir}/pem-dir/ later needs another import",
        "{source}:20: warning: prefer-server-ciphers = off: tlsgate always picks the cipher by its own order, "
        "not the client's",
        "{source}:21: warning: alpn-protos = \"h2, http/1.1\": a client that offers ALPN but none of these "
        "protocols: hitch closes the connection after the handshake, tlsgate goes on without ALPN",
        "{source}:24: warning: ocsp-dir = \"{dir}/ocsp\" left out: tlsgate fetches no OCSP responses; fetch "
        "them with openssl ocsp and name the file in ocsp_staple",
        "{source}:35: warning: keepalive = 600 left out: tlsgate sets no TCP keepalive on client connections",
        "{source}:36: warning: backlog = 200 left out: tlsgate listens with a backlog of 4096",
    ]

    def every_option(self):
        """A hitch.conf with every option of docs/migrating-from-hitch.md
        that hitch 1.7.2 starts with (line numbers matter: see
        EVERY_OPTION_WARNINGS). Left out because hitch 1.7.2 refuses them:
        backend-connect-timeout and ssl-handshake-timeout (hitch 1.8),
        session-cache and shared-cache-* (built without
        --enable-sessioncache), client-verify in a pem-file block (1.8).
        Left out for other reasons: syslog = off (see
        test_syslog_off_is_hitch_default), syslog = on, daemon = on and
        quiet (the test reads hitch's output), write-proxy-v1, write-ip and
        proxy-proxy (one of them per file; proxy-proxy needs a PROXY
        sender), ocsp-resp-file (needs a response), chroot, ssl-engine,
        tcp-fastopen, send-bufsize and recv-bufsize (no equivalent; the
        guide lists them as left out). The frontend's ciphersuites are the
        global ones: where they differ, hitch 1.7.2 fails a TLS 1.3
        handshake that SNI moves to a global certificate ("bad cipher"),
        while tlsgate serves every certificate of the listener with the
        frontend's settings."""
        pki = self.pki
        site = self.combined(pki.server_cert, pki.server_key, "site.pem")
        other = self.combined(*pki.extra_server_cert("other", "other.test"), "other-combined.pem")
        os.mkdir(self.file("pem-dir"))
        self.combined(*pki.extra_server_cert("dir", "dir.test"), "pem-dir/dir.pem")
        os.mkdir(self.file("ocsp"))
        d = self.dir
        os.chmod(d, 0o755)  # hitch reads the log directory as _hitch
        return ("frontend = {{\n  host = \"127.0.0.1\"\n  port = \"{port}\"\n"
                f"  pem-file = \"{other}\"\n  match-global-certs = on\n  sni-nomatch-abort = off\n"
                "  tls-protos = TLSv1.2 TLSv1.3\n  ciphers = \"ECDHE+AESGCM\"\n"
                "  ciphersuites = \"TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256\"\n  prefer-server-ciphers = on\n}}\n"
                # 12
                "frontend = \"[127.0.0.1]:{second}\"\nbackend = \"[127.0.0.1]:{backend}\"\n"
                f"pem-file = \"{site}\"\npem-dir = \"{d}/pem-dir\"\npem-dir-glob = \"*.pem\"\n"
                "ciphers = \"EECDH+AESGCM\"\nciphersuites = \"TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256\"\n"
                "tls-protos = TLSv1.2 TLSv1.3\nprefer-server-ciphers = off\nalpn-protos = \"h2, http/1.1\"\n"
                # 22
                f"sni-nomatch-abort = off\nwrite-proxy-v2 = on\nocsp-dir = \"{d}/ocsp\"\n"
                "ocsp-verify-staple = off\nworkers = 2\nuser = \"_hitch\"\ngroup = \"_hitch\"\n"
                "syslog-facility = \"daemon\"\nlog-level = 1\n"
                f"log-filename = \"{d}/log-{{port}}.log\"\n"
                # 32
                f"client-verify = optional\nclient-verify-ca = \"{pki.ca}\"\necdh-curve = \"prime256v1\"\n"
                "keepalive = 600\nbacklog = 200\ndaemon = off\nproxy-tlv = on\nproxy-authority = on\n"
                "proxy-client-cert = off\nbackend-refresh = 0\n")

    def test_every_option_converts_and_behaves_the_same(self):
        """Every hitch option that the migration guide names, in one file:
        hitch runs it, tlsgate its conversion; one client per certificate,
        protocol and client certificate gets the same outcome, and the same
        PROXY v2 header reaches the backend."""
        template = self.every_option()
        recorder = peers.ProxyHeaderRecorder().start()
        self.addCleanup(recorder.stop)
        with self.both(template, backend_port=recorder.port, extra_ports=["second"]) as both:
            self.assertEqual(both.status, 3)
            source = self.file("tlsgate-hitch.conf")
            warnings = [line for line in both.warnings.splitlines() if ": warning: " in line]
            self.assertEqual(warnings, [w.format(source=source, dir=self.dir) for w in self.EVERY_OPTION_WARNINGS])
            second = {"hitch": both.extra["hitch"]["second"], "tlsgate": both.extra["tlsgate"]["second"]}
            harness.wait_for_port(second["hitch"])
            harness.wait_for_port(second["tlsgate"])
            sha = self.sha
            client_cert = (self.pki.client_cert, self.pki.client_key)
            untrusted = (self.pki.untrusted_cert, self.pki.untrusted_key)
            # The first frontend: its own certificate first, then the global ones.
            for sni, cert in (("other.test", "other.pem"), ("localhost", "server.pem"), ("dir.test", "dir.pem"),
                              (None, "other.pem")):
                got = self.assert_same(both, sni=sni)
                self.assertEqual(got.cert, sha(self.pki.path(cert)), sni)
            self.assertEqual(self.assert_same(both, sni="other.test", tls12=True).version, "TLSv1.2")
            self.assertEqual(self.assert_same(both, sni="other.test", alpn=["http/1.1"]).alpn, "http/1.1")
            # The second frontend: the global settings.
            def same(**kw):
                seen = {side: client(second[side], **kw) for side in ("hitch", "tlsgate")}
                self.assertEqual(seen["tlsgate"], seen["hitch"], kw)
                return seen["hitch"]
            for sni, cert in (("localhost", "server.pem"), ("dir.test", "dir.pem"), (None, "server.pem")):
                self.assertEqual(same(sni=sni).cert, sha(self.pki.path(cert)), sni)
            self.assertEqual(same(alpn=["h2", "http/1.1"]).alpn, "h2")
            self.assertEqual(same(tls12=True).version, "TLSv1.2")
            self.assertTrue(same(cert=client_cert).ok)
            self.assertFalse(same(cert=untrusted).ok)
            headers = [recorder.header(i) for i in range(len(recorder.headers))]
        self.assertTrue(headers)
        self.assertEqual({h["version"] for h in headers}, {2})
        tlsgate_ports = (both.tlsgate_port, second["tlsgate"])
        by_port = {}
        for h in headers:
            kinds = sorted(kind for kind, _ in h["tlvs"])
            if h["dst"][1] in tlsgate_ports:
                # tlsgate adds PP2_TYPE_CRC32C, which hitch does not send.
                self.assertIn(0x03, kinds)
                kinds.remove(0x03)
            by_port.setdefault(h["dst"][1], []).append(kinds)
        # The same kinds of TLV from both, frontend by frontend.
        self.assertEqual(by_port[both.tlsgate_port], by_port[both.hitch_port])
        self.assertEqual(by_port[second["tlsgate"]], by_port[second["hitch"]])

    def test_syslog_off_is_hitch_default(self):
        """`syslog = off` is hitch's default and needs nothing in tlsgate,
        next to a log-filename too: a comment, and exit 0."""
        site = self.combined(self.pki.server_cert, self.pki.server_key, "site.pem")
        _, status, stderr = self.convert(f'frontend = "[127.0.0.1]:8443"\npem-file = "{site}"\nsyslog = off\nciphers = "EECDH+AESGCM"\n'
                                         f'log-filename = "{self.dir}/hitch.log"\n')
        self.assertEqual(status, 0, stderr)

if __name__ == "__main__":
    unittest.main()
