"""The reference users: Tcl programs using plain `socket`, with TclTLS
(`package require tls`) on the other side."""

import os
import re
import shutil
import unittest

import harness
from harness import IntegrationTest, free_port, listener, logfmt

TCL = os.path.join(harness.HERE, "tcl")
GUIDE = os.path.join(harness.SOURCE_ROOT, "docs", "tcl-guide.md")

# The "after" programs and configs of docs/tcl-guide.md, which shows each
# file's content as it is here.
GUIDE_FILES = ("guide_echo_server.tcl", "guide_terminate.yaml", "guide_plain_client.tcl",
               "guide_originate.yaml", "guide_smtp_client.tcl", "guide_starttls.yaml")


class TclTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.tclsh = harness.tool("tclsh")
        probe = harness.run([self.tclsh], input="puts [package require tls]\n", check=False)
        if probe.returncode != 0:
            raise unittest.SkipTest("TclTLS (package require tls) is not available")

    def tcl(self, script, *args):
        return [self.tclsh, os.path.join(TCL, script), *map(str, args)]

    def test_tcltls_client_through_terminate_to_plain_tcl_app(self):
        with harness.process(self.tcl("echo_server.tcl"), ready=r"^LISTENING (\d+)$") as app:
            app_port = int(app.ready_match.group(1))
            port = free_port()
            cfg = harness.config([listener("tcl-app", port, app_port, accept_tls=harness.server_tls(self.pki))])
            with self.daemon(cfg) as gate:
                proc = harness.run(self.tcl("tls_client.tcl", port, self.pki.ca, "hello from tls::socket"),
                                   timeout=30, check=False)
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                self.assertIn("REPLY:echo:hello from tls::socket\n", proc.stdout)
                self.assertIn("STATUS:version=TLSv1.3\n", proc.stdout)
                self.assertRegex(proc.stdout, r"STATUS:subject=.*CN\s*=\s*localhost")
                self.assertIn("DONE", proc.stdout)
                line = gate.wait_for_log(r"\blistener=tcl-app\b.*\boutcome=").string
                fields = logfmt(line)
                self.assertEqual(fields.get("backend"), f"127.0.0.1:{app_port}", line)
                self.assertEqual(fields.get("accept.sni"), "localhost", line)
                # TclTLS closes without close_notify; the data still went through.
                self.assertGreaterEqual(int(fields.get("bytes_up", 0)), len("hello from tls::socket\n"), line)

    def test_plain_tcl_client_through_originate_to_tcltls_server(self):
        server_args = self.tcl("tls_server.tcl", self.pki.server_cert, self.pki.server_key)
        with harness.process(server_args, ready=r"^LISTENING (\d+)$") as server:
            server_port = int(server.ready_match.group(1))
            port = free_port()
            cfg = harness.config([listener("legacy-client", port, server_port,
                                           connect_tls=harness.client_tls(self.pki))])
            with self.daemon(cfg) as gate:
                for message in ("first plain line", "second plain line"):
                    proc = harness.run(self.tcl("plain_client.tcl", port, message), timeout=30, check=False)
                    self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                    self.assertIn(f"REPLY:tcl-tls:{message}\n", proc.stdout)
                # The TclTLS server sees each connection end (EOF on its channel).
                server.wait_line(r"^CLOSED$")
                line = gate.wait_for_log(r"\blistener=legacy-client\b.*\boutcome=").string
                self.assertEqual(logfmt(line).get("backend"), f"127.0.0.1:{server_port}", line)

    def test_tcltls_client_with_wrong_ca_fails(self):
        # -require 1 with the wrong CA must fail: proves the TclTLS client
        # really verifies, so the success above means something.
        with harness.process(self.tcl("echo_server.tcl"), ready=r"^LISTENING (\d+)$") as app:
            port = free_port()
            cfg = harness.config([listener("tcl-app", port, int(app.ready_match.group(1)),
                                           accept_tls=harness.server_tls(self.pki))])
            with self.daemon(cfg) as gate:
                proc = harness.run(self.tcl("tls_client.tcl", port, self.pki.untrusted_cert, "x"),
                                   timeout=30, check=False)
                self.assertNotEqual(proc.returncode, 0, proc.stdout)
                self.assertNotIn("REPLY:echo:", proc.stdout)
                line = gate.wait_for_log(r"\blistener=tcl-app\b.*\boutcome=").string
                self.assertEqual(logfmt(line).get("outcome"), "failed", line)

    # The worked examples of docs/tcl-guide.md, run from the very files the
    # guide shows: each "after" program with real tclsh, its YAML unchanged
    # (ports come in through the ${VAR:-default} it is written with), and a
    # TclTLS peer on the other side.

    def guide_daemon(self, name, **ports):
        # The certificate paths in the guide's files are relative to the
        # config's directory, where the test's certificates are.
        path = self.file(name.replace("guide_", ""))
        shutil.copyfile(os.path.join(TCL, name), path)
        return harness.Tlsgate(path, env={key: str(value) for key, value in ports.items()})

    def test_guide_terminate_tcltls_server_becomes_plain_socket_server(self):
        with harness.process(self.tcl("guide_echo_server.tcl", 0), ready=r"^LISTENING (\d+)$") as app:
            app_port = int(app.ready_match.group(1))
            tls_port = free_port()
            with self.guide_daemon("guide_terminate.yaml", TLS_PORT=tls_port, APP_PORT=app_port) as gate:
                proc = harness.run(self.tcl("tls_client.tcl", tls_port, self.pki.ca, "hello from tls::socket"),
                                   timeout=30, check=False)
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                self.assertIn("REPLY:echo:hello from tls::socket\n", proc.stdout)
                self.assertIn("STATUS:version=TLSv1.3\n", proc.stdout)
                line = gate.wait_for_log(r"\blistener=tcl-echo\b.*\boutcome=").string
                fields = logfmt(line)
                self.assertEqual(fields.get("outcome"), "ok", line)
                self.assertEqual(fields.get("backend"), f"127.0.0.1:{app_port}", line)
                self.assertEqual(fields.get("accept.protocol"), "TLSv1.3", line)

    def test_guide_originate_tcltls_client_becomes_plain_socket_client(self):
        server_args = self.tcl("tls_server.tcl", self.pki.server_cert, self.pki.server_key)
        with harness.process(server_args, ready=r"^LISTENING (\d+)$") as server:
            server_port = int(server.ready_match.group(1))
            plain_port = free_port()
            with self.guide_daemon("guide_originate.yaml", PLAIN_PORT=plain_port, SERVER_PORT=server_port) as gate:
                proc = harness.run(self.tcl("guide_plain_client.tcl", plain_port, "hello through tlsgate"),
                                   timeout=30, check=False)
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                self.assertIn("REPLY:tcl-tls:hello through tlsgate\n", proc.stdout)
                line = gate.wait_for_log(r"\blistener=tcl-client\b.*\boutcome=").string
                fields = logfmt(line)
                self.assertEqual(fields.get("outcome"), "ok", line)
                self.assertEqual(fields.get("connect.protocol"), "TLSv1.3", line)
                self.assertRegex(fields.get("connect.peer", ""), r"CN\s*=\s*localhost", line)

    def test_guide_originate_refuses_a_server_the_ca_does_not_sign(self):
        # verify: true (-require 1) must hold: a server with a certificate
        # from no trusted CA gets no plaintext from the client.
        server_args = self.tcl("tls_server.tcl", self.pki.untrusted_cert, self.pki.untrusted_key)
        with harness.process(server_args, ready=r"^LISTENING (\d+)$") as server:
            server_port = int(server.ready_match.group(1))
            plain_port = free_port()
            with self.guide_daemon("guide_originate.yaml", PLAIN_PORT=plain_port, SERVER_PORT=server_port) as gate:
                proc = harness.run(self.tcl("guide_plain_client.tcl", plain_port, "must not arrive"),
                                   timeout=30, check=False)
                self.assertNotEqual(proc.returncode, 0, proc.stdout)
                self.assertNotIn("REPLY:", proc.stdout)
                line = gate.wait_for_log(r"\blistener=tcl-client\b.*\boutcome=").string
                self.assertEqual(logfmt(line).get("outcome"), "failed", line)
                self.assertIn("certificate verify failed", line)

    def test_guide_starttls_tls_import_client_becomes_plain_smtp_client(self):
        server_args = self.tcl("starttls_smtp_server.tcl", self.pki.server_cert, self.pki.server_key)
        with harness.process(server_args, ready=r"^LISTENING (\d+)$") as server:
            smtp_port = int(server.ready_match.group(1))
            plain_port = free_port()
            with self.guide_daemon("guide_starttls.yaml", PLAIN_PORT=plain_port, SMTP_PORT=smtp_port) as gate:
                proc = harness.run(self.tcl("guide_smtp_client.tcl", plain_port), timeout=30, check=False)
                self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
                # The greeting is the server's own; every reply after it
                # was written inside TLS by the TclTLS server.
                self.assertIn("S: 220 mx.tcl.test ESMTP TclTLS server\n", proc.stdout)
                self.assertIn("S: 250 over TLSv1.3: EHLO app.example.com\n", proc.stdout)
                self.assertIn("S: 250 over TLSv1.3: MAIL FROM:<app@example.com>\n", proc.stdout)
                self.assertIn("S: 250 over TLSv1.3: RCPT TO:<ops@example.net>\n", proc.stdout)
                server.wait_line(r"^CLOSED$")
                self.assertIn("TLS:MAIL FROM:<app@example.com>", server.lines)
                self.assertEqual([l for l in server.lines if l.startswith("PLAIN:")
                                  and not l.startswith(("PLAIN:EHLO", "PLAIN:STARTTLS"))], [], server.lines)
                line = gate.wait_for_log(r"\blistener=mail-out\b.*\boutcome=").string
                fields = logfmt(line)
                self.assertEqual(fields.get("outcome"), "ok", line)
                self.assertEqual(fields.get("connect.protocol"), "TLSv1.3", line)

    def test_guide_shows_the_tested_files(self):
        with open(GUIDE) as f:
            blocks = re.findall(r"^```[a-z]*\n(.*?)^```$", f.read(), re.M | re.S)
        for name in GUIDE_FILES:
            with open(os.path.join(TCL, name)) as f:
                content = f.read()
            self.assertTrue(content in blocks, f"docs/tcl-guide.md must show tests/integration/tcl/{name} as it is")


if __name__ == "__main__":
    unittest.main()
