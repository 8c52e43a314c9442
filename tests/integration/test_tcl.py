"""The reference users: Tcl programs using plain `socket`, with TclTLS
(`package require tls`) on the other side."""

import os
import unittest

import harness
from harness import IntegrationTest, free_port, listener, logfmt

TCL = os.path.join(harness.HERE, "tcl")


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


if __name__ == "__main__":
    unittest.main()
