"""The bundled configuration, audited by testssl.sh.

testssl.sh (Debian's `testssl.sh` package) runs its protocol, cipher, server
preference, forward secrecy and vulnerability checks against tlsgate started
on config/tlsgate.yaml as shipped, with only the address, the backend and the
certificate changed: the certificate is signed by the test CA instead of
being self-signed. No finding of severity LOW or above may come from
tlsgate's own settings.

Findings about the test certificate itself (its lifetime, its missing CRL and
OCSP addresses), about DNS (CAA records) and about the backend's HTTP
headers are not tlsgate's settings and are left out; docs/security.md lists
them.
"""

import json
import os
import re
import shutil
import unittest

from harness import SOURCE_ROOT, HttpBackend, IntegrationTest, free_port, run, tool

# testssl.sh severities, lowest first; LOW and above are findings.
SEVERITIES = ["DEBUG", "INFO", "OK", "WARN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]

# Finding ids that describe the certificate the test made, the DNS or the
# backend's HTTP answers, not tlsgate.
NOT_TLSGATE = re.compile(r"^(cert_|DNS_CAArecord$|HSTS$|HPKP$|security_headers$|banner_|cookie_)")

# The checks: protocols, server defaults, server preference, forward
# secrecy, standard cipher lists and vulnerabilities (LUCKY13, BEAST, ROBOT,
# and the rest). The HTTP header and client simulation checks are left out:
# they judge the backend and list clients, not tlsgate's settings.
CHECKS = ["--protocols", "--server-defaults", "--server-preference", "--pfs", "--std", "--vulnerable"]


class TestsslAuditTest(IntegrationTest):
    def bundled_config(self, port, backend_port):
        """config/tlsgate.yaml with its listener moved to `port` and
        `backend_port`; its self-signed certificate's paths hold the test
        CA's certificate, so no self-signed one is made."""
        with open(os.path.join(SOURCE_ROOT, "config", "tlsgate.yaml")) as f:
            text = f.read()
        self.assertIn("127.0.0.1:8443", text)
        self.assertIn("127.0.0.1:8080", text)
        text = text.replace("127.0.0.1:8443", f"127.0.0.1:{port}")
        text = text.replace("127.0.0.1:8080", f"127.0.0.1:{backend_port}")
        shutil.copy(self.pki.server_cert, self.file("self-signed.pem"))
        shutil.copy(self.pki.server_key, self.file("self-signed.key"))
        return text

    def test_bundled_config_has_no_finding_of_low_or_above(self):
        testssl = tool("testssl")
        port = free_port()
        report = self.file("testssl.json")
        with HttpBackend() as backend, self.daemon(self.bundled_config(port, backend.port)):
            proc = run([testssl, "--quiet", "--color", "0", "--warnings", "off", "--add-ca", self.pki.ca,
                        "--jsonfile", report, "--ip", "127.0.0.1", *CHECKS, f"localhost:{port}"],
                       timeout=600, check=False)
        with open(report) as f:
            findings = json.load(f)
        self.assertTrue(any(f["id"] == "LUCKY13" for f in findings),
                        f"testssl ran no vulnerability checks:\n{proc.stdout[-3000:]}")
        offending = [f for f in findings
                     if SEVERITIES.index(f["severity"]) >= SEVERITIES.index("LOW")
                     and not NOT_TLSGATE.match(f["id"])]
        self.assertEqual(offending, [], "testssl.sh findings of severity LOW or above:\n"
                         + "\n".join(f"{f['severity']} {f['id']}: {f['finding']}" for f in offending))
        # The checks that the CBC suites used to fail.
        by_id = {f["id"]: f for f in findings}
        self.assertEqual(by_id["LUCKY13"]["severity"], "OK", by_id["LUCKY13"])
        self.assertEqual(by_id["cipherlist_AVERAGE"]["finding"], "not offered", by_id["cipherlist_AVERAGE"])


if __name__ == "__main__":
    unittest.main()
