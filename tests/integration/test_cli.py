"""The command line: check, version, protocols, ciphers, cert-info, import, usage."""

import json
import os
import re
import subprocess
import unittest

import harness
from harness import IntegrationTest, free_port


def parse_fields(text, names):
    """Field values from `key: value` / `key=value` / `key value` lines, or a
    JSON object."""
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            return {k: str(v) for k, v in obj.items()}
    except ValueError:
        pass
    fields = {}
    for line in text.splitlines():
        m = re.match(r'^\s*"?([A-Za-z_0-9]+)"?\s*(?:[:=]\s*|\s+)(.*?)\s*,?$', line)
        if m and m.group(1) in names and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2).strip('"')
    return fields


def hexdigits(value):
    return re.sub(r"[^0-9a-f]", "", value.lower())


GOOD_CONFIG = """\
global:
  workers: 2
  log: {{ level: info }}
listeners:
  - name: web
    accept:
      address: 127.0.0.1:{port}
      tls:
        certificates: [{{ cert: server.pem, key: server.key }}]
    connect:
      address: 127.0.0.1:{backend}
"""


class CliTest(IntegrationTest):

    def tlsgate(self, *args, timeout=30):
        return subprocess.run([self.binary, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=timeout, cwd=self.dir)

    def good_config(self):
        return GOOD_CONFIG.format(port=free_port(), backend=free_port())

    def check(self, text):
        path = self.write_config(text)
        return path, self.tlsgate("check", "-c", path)

    def assert_config_error(self, text, line, col=None, mentions=()):
        path, proc = self.check(text)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 1, out)
        name = re.escape(os.path.basename(path))
        m = re.search(rf"{name}:(\d+):(\d+)", out)
        self.assertIsNotNone(m, f"no file:line:col in:\n{out}")
        self.assertEqual(int(m.group(1)), line, out)
        if col is not None:
            self.assertEqual(int(m.group(2)), col, out)
        for word in mentions:
            self.assertIn(word, out)
        return out

    def test_check_good_config(self):
        path, proc = self.check(self.good_config())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_check_unknown_key(self):
        text = self.good_config().replace(
            "        certificates: [{ cert: server.pem, key: server.key }]\n",
            "        certificates: [{ cert: server.pem, key: server.key }]\n"
            "        bogus_option: 1\n")
        self.assertEqual(text.splitlines()[9], "        bogus_option: 1")
        self.assert_config_error(text, line=10, col=9, mentions=("bogus_option",))

    def test_check_unknown_top_level_key(self):
        text = self.good_config().replace("  workers: 2\n", "  wrokers: 2\n")
        self.assert_config_error(text, line=2, col=3, mentions=("wrokers",))

    def test_check_wrong_type(self):
        text = self.good_config().replace("  workers: 2\n", "  workers: [1, 2]\n")
        self.assert_config_error(text, line=2, mentions=("workers",))

    def test_check_bad_duration(self):
        text = self.good_config().replace("  workers: 2\n", "  workers: 2\n  timeouts: { handshake: 10 parsecs }\n")
        self.assert_config_error(text, line=3, mentions=("handshake",))

    def test_check_missing_certificate_file(self):
        text = self.good_config().replace("cert: server.pem", "cert: missing.pem")
        out = self.assert_config_error(text, line=9, mentions=("missing.pem",))
        self.assertNotIn("Traceback", out)

    def test_check_missing_config_file(self):
        proc = self.tlsgate("check", "-c", os.path.join(self.dir, "does-not-exist.yaml"))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("does-not-exist.yaml", proc.stdout + proc.stderr)

    def test_run_with_bad_config_exits_1(self):
        path = self.write_config(self.good_config().replace("  workers: 2\n", "  wrokers: 2\n"))
        proc = self.tlsgate("run", "-c", path, timeout=15)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout + proc.stderr, r"tlsgate\.yaml:2:\d+")

    def test_version(self):
        proc = self.tlsgate("version")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = proc.stdout
        self.assertRegex(out, r"(?i)tlsgate\D*\d+\.\d+")
        self.assertRegex(out, r"OpenSSL 3\.\d+")
        self.assertRegex(out, r"(?i)libuv\D*1\.\d+")

    def test_protocols(self):
        proc = self.tlsgate("protocols")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        protocols = proc.stdout.split()
        self.assertIn("tls1.2", protocols)
        self.assertIn("tls1.3", protocols)
        for p in protocols:
            self.assertRegex(p, r"^(ssl2|ssl3|tls1|tls1\.[0-3])$")

    def test_ciphers_tls13(self):
        proc = self.tlsgate("ciphers", "tls1.3")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for name in ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"):
            self.assertIn(name, proc.stdout)
        self.assertNotIn("ECDHE-RSA-AES128-GCM-SHA256", proc.stdout)
        verbose = self.tlsgate("ciphers", "tls1.3", "-v")
        self.assertEqual(verbose.returncode, 0, verbose.stderr)
        self.assertIn("TLS_AES_256_GCM_SHA384", verbose.stdout)
        self.assertGreater(len(verbose.stdout), len(proc.stdout))

    def test_ciphers_tls12(self):
        proc = self.tlsgate("ciphers", "tls1.2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("ECDHE-ECDSA-AES256-GCM-SHA384", proc.stdout)

    def test_cert_info(self):
        names = ("subject", "issuer", "serialNumber", "notBefore", "notAfter", "subjectAltName", "sha1_hash",
                 "sha256_hash", "publicKeyAlgorithm", "bits", "self_signed")
        proc = self.tlsgate("cert-info", self.pki.server_cert)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        fields = parse_fields(proc.stdout, names)
        self.assertEqual(sorted(n for n in names if n not in fields), [], proc.stdout)

        def openssl(*args):
            return harness.run(["openssl", "x509", "-in", self.pki.server_cert, "-noout", *args]).stdout

        self.assertRegex(fields["subject"], r"CN\s*=\s*localhost")
        self.assertIn("tlsgate test CA", fields["issuer"])
        serial = openssl("-serial").split("=", 1)[1].strip()
        self.assertIn(hexdigits(fields["serialNumber"]).lstrip("0"),
                      (serial.lower().lstrip("0"), str(int(serial, 16))), proc.stdout)
        self.assertEqual(hexdigits(fields["sha256_hash"]),
                         hexdigits(openssl("-fingerprint", "-sha256").split("=", 1)[1]))
        self.assertEqual(hexdigits(fields["sha1_hash"]), hexdigits(openssl("-fingerprint", "-sha1").split("=", 1)[1]))
        self.assertRegex(fields["notBefore"], r"20\d\d")
        self.assertRegex(fields["notAfter"], r"20\d\d")
        self.assertIn("localhost", fields["subjectAltName"])
        self.assertIn("127.0.0.1", fields["subjectAltName"])
        self.assertRegex(fields["publicKeyAlgorithm"], r"(?i)\bec|id-ecPublicKey|prime256v1|P-256")
        self.assertEqual(fields["bits"], "256")
        self.assertIn(fields["self_signed"].lower(), ("0", "false", "no"))

        ca = parse_fields(self.tlsgate("cert-info", self.pki.ca).stdout, names)
        self.assertIn(ca.get("self_signed", "").lower(), ("1", "true", "yes"))

    def test_cert_info_missing_file(self):
        proc = self.tlsgate("cert-info", os.path.join(self.dir, "nope.pem"))
        self.assertIn(proc.returncode, (1, 2))
        self.assertIn("nope.pem", proc.stdout + proc.stderr)

    def write_stunnel_conf(self, text):
        path = os.path.join(self.dir, "stunnel.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_import_stunnel_equivalent_exits_0_and_check_accepts_the_output(self):
        conf = self.write_stunnel_conf(
            f"[web]\naccept = 127.0.0.1:{free_port()}\nconnect = {free_port()}\n"
            f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\n"
            "ciphers = ECDHE+AESGCM:ECDHE+CHACHA20\n")
        out = os.path.join(self.dir, "converted.yaml")
        proc = self.tlsgate("import", "stunnel", conf, "-o", out)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertEqual(proc.stdout + proc.stderr, "")
        with open(out) as f:
            text = f.read()
        self.assertIn(f"cert: {self.pki.server_cert}  # {conf}:4", text)
        checked = self.tlsgate("check", "-c", out)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

    def test_import_stunnel_with_differences_exits_3_with_a_warning_per_line(self):
        conf = self.write_stunnel_conf(
            "pid = /run/stunnel.pid\n[imap]\nclient = yes\naccept = 127.0.0.1:1143\n"
            "connect = imap.example.com:993\n")
        proc = self.tlsgate("import", "stunnel", conf)
        self.assertEqual(proc.returncode, 3, proc.stdout + proc.stderr)
        self.assertIn("address: imap.example.com:993", proc.stdout)  # the YAML on stdout
        warnings = [line for line in proc.stderr.splitlines() if ": warning: " in line]
        self.assertEqual(len(warnings), 3, proc.stderr)
        self.assertTrue(any(w.startswith(f"{conf}:2: warning: no ciphers line") for w in warnings),
                        proc.stderr)
        self.assertTrue(any(w.startswith(f"{conf}:1: warning: pid = /run/stunnel.pid left out")
                            for w in warnings), proc.stderr)
        self.assertTrue(any(w.startswith(f"{conf}:2: warning: [imap] did not verify")
                            for w in warnings), proc.stderr)

    def test_import_errors_name_the_line_and_exit_1(self):
        conf = self.write_stunnel_conf("[web]\naccept = 443\nconnect = 80\n")
        proc = self.tlsgate("import", "stunnel", conf)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn(f"{conf}:1: [web] is a server service without cert", proc.stderr)
        self.assertEqual(proc.stdout, "")
        proc = self.tlsgate("import", "stunnel", os.path.join(self.dir, "missing.conf"))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("missing.conf: cannot read the file", proc.stderr)
        proc = self.tlsgate("import", "nginx", conf)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)

    def test_usage_errors_exit_2(self):
        for args in (["frobnicate"], ["check", "--no-such-flag"], ["ciphers", "tls1.3", "--bogus"]):
            proc = self.tlsgate(*args)
            self.assertEqual(proc.returncode, 2, f"{args}: {proc.stdout}{proc.stderr}")


if __name__ == "__main__":
    unittest.main()
