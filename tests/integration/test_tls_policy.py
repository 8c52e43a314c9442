"""TLS policy on the accept side, seen by openssl s_client: certificates
chosen by SNI, and session resumption within one process and across a
restart that keeps the ticket key file."""

import base64
import hashlib
import os
import re
import socket
import ssl
import unittest

import harness
from harness import (EchoServer, IntegrationTest, TlsClient, TlsServer, free_port, listener, logfmt,
                     recv_until_eof)


def ticket_key_line():
    return base64.b64encode(os.urandom(80)).decode() + "\n"


class TlsPolicyTest(IntegrationTest):

    def terminate_config(self, backend_port, **tls_extra):
        self.port = free_port()
        tls = harness.server_tls(self.pki, **tls_extra)
        return harness.config([listener("web", self.port, backend_port, accept_tls=tls)])

    def s_client_args(self, servername, *extra):
        sni = ["-servername", servername] if servername else ["-noservername"]
        return [harness.tool("openssl"), "s_client", "-connect", f"127.0.0.1:{self.port}", *sni,
                "-CAfile", self.pki.ca, *extra]

    def handshake_output(self, servername, *extra):
        """s_client's output for one handshake with no application data."""
        proc = harness.run(self.s_client_args(servername, *extra), check=False, input="")
        return proc.returncode, proc.stdout + proc.stderr

    def echo_once(self, servername, *extra):
        """One s_client connection that sends a line, reads the echo (so TLS 1.3
        tickets have arrived) and closes with close_notify; its output."""
        with harness.process(self.s_client_args(servername, *extra)) as client:
            client.stdin.write(b"ping\n")
            client.stdin.flush()
            client.wait_line(r"^ping$")
            client.stdin.close()
            self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
        return "\n".join(client.lines)

    # ------------------------------------------------------------------ SNI

    def sni_certificates(self):
        api_cert, api_key = self.pki.extra_server_cert("api", "api.example.test")
        wild_cert, wild_key = self.pki.extra_server_cert("wild", "*.apps.example.test")
        return [{"cert": "server.pem", "key": "server.key"},
                {"cert": os.path.basename(api_cert), "key": os.path.basename(api_key)},
                {"cert": os.path.basename(wild_cert), "key": os.path.basename(wild_key)}]

    def served_subject(self, servername):
        code, out = self.handshake_output(servername, "-verify_return_error",
                                          *(["-verify_hostname", servername] if servername else []))
        self.assertEqual(code, 0, out)
        return re.search(r"^subject=(.*)$", out, re.M).group(1).replace(" ", "")

    def test_sni_selects_exact_wildcard_and_default(self):
        with EchoServer() as backend, \
                self.daemon(self.terminate_config(backend.port, certificates=self.sni_certificates())) as gate:
            self.assertEqual(self.served_subject("api.example.test"), "CN=api.example.test")
            self.assertEqual(self.served_subject("API.Example.TEST"), "CN=api.example.test")
            self.assertEqual(self.served_subject("one.apps.example.test"), "CN=*.apps.example.test")
            self.assertEqual(self.served_subject("localhost"), "CN=localhost")
            # A name nobody serves, and no name at all, get the first certificate.
            code, out = self.handshake_output("nobody.example.test")
            self.assertEqual(code, 0, out)
            self.assertRegex(out, r"subject=CN ?= ?localhost")
            code, out = self.handshake_output(None)
            self.assertEqual(code, 0, out)
            self.assertRegex(out, r"subject=CN ?= ?localhost")
            line = gate.wait_for_log(r"\baccept\.sni=API\.Example\.TEST\b").string
            self.assertEqual(logfmt(line).get("accept.sni"), "API.Example.TEST", line)

    def test_sni_reject_unknown_sends_unrecognized_name(self):
        cfg = self.terminate_config(0, certificates=self.sni_certificates(), sni={"unknown": "reject"})
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                self.assertEqual(self.served_subject("api.example.test"), "CN=api.example.test")
                code, out = self.handshake_output("nobody.example.test")
                self.assertNotEqual(code, 0, out)
                self.assertRegex(out, r"(?i)unrecognized name")
                line = gate.wait_for_log(r"\boutcome=failed\b").string
                fields = logfmt(line)
                self.assertEqual(fields.get("phase"), "handshake", line)
                self.assertIn("nobody.example.test", fields.get("reason", ""), line)
                self.assertIn("no certificate of this listener serves", fields.get("reason", ""), line)
            self.assertEqual(backend.accepted, 1)

    # ------------------------------------------------------------------ OCSP stapling

    def make_ocsp_response(self):
        """A "good" OCSP response for the server certificate, signed by the CA."""
        openssl = harness.tool("openssl")
        serial = harness.run([openssl, "x509", "-in", self.pki.server_cert, "-noout", "-serial"]).stdout
        serial = serial.strip().split("=", 1)[1]
        with open(self.file("index.txt"), "w") as f:
            f.write(f"V\t300101000000Z\t\t{serial}\tunknown\t/CN=localhost\n")
        harness.run([openssl, "ocsp", "-index", self.file("index.txt"), "-rsigner", self.pki.ca,
                     "-rkey", self.pki.ca_key, "-CA", self.pki.ca, "-issuer", self.pki.ca,
                     "-cert", self.pki.server_cert, "-respout", self.file("site.ocsp"), "-ndays", "1"])

    def test_ocsp_response_is_stapled_when_asked(self):
        self.make_ocsp_response()
        with EchoServer() as backend, \
                self.daemon(self.terminate_config(backend.port, ocsp_staple="site.ocsp")):
            code, out = self.handshake_output("localhost", "-status")
            self.assertEqual(code, 0, out)
            self.assertRegex(out, r"OCSP Response Status: successful")
            self.assertRegex(out, r"Cert Status: good")
            code, out = self.handshake_output("localhost")
            self.assertEqual(code, 0, out)
            self.assertNotRegex(out, r"OCSP Response Status")

    def test_dhparams_enable_dhe(self):
        openssl = harness.tool("openssl")
        harness.run([openssl, "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "dh_param:ffdhe2048",
                     "-out", self.file("dh.pem")])
        rsa_cert, rsa_key = self.file("rsa.pem"), self.file("rsa.key")
        harness.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", rsa_key, "-out", rsa_cert,
                     "-days", "2", "-subj", "/CN=localhost"])
        certs = [{"cert": "rsa.pem", "key": "rsa.key"}]
        dhe = ("-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256")
        with EchoServer() as backend:
            with self.daemon(self.terminate_config(backend.port, certificates=certs)):
                code, out = self.handshake_output("localhost", *dhe)
                self.assertNotEqual(code, 0, out)
            with self.daemon(self.terminate_config(backend.port, certificates=certs, dhparams="dh.pem")):
                code, out = self.handshake_output("localhost", *dhe)
                self.assertEqual(code, 0, out)
                self.assertRegex(out, r"Cipher is DHE-RSA-AES128-GCM-SHA256")

    # ------------------------------------------------------------------ client certificates

    def client_cert_sha256(self):
        with open(self.pki.client_cert) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        return hashlib.sha256(der).hexdigest()

    def mutual_tls_attempt(self, gate, context=None):
        """One connection with a client certificate, the test client's unless
        `context` brings another; (echoed bytes, log line)."""
        with TlsClient(self.port, context or self.pki.client_context(cert=True)) as client:
            got = b""
            try:
                client.handshake()
                client.sendall(b"mtls\n")
                got = client.recv_exactly(5)
                client.close_notify()
                client.recv_until_eof()
            except (ssl.SSLError, ConnectionError):
                pass
            port = client.local_port
        return got, gate.connection_line(port)

    def test_client_certs_allow_rules(self):
        pin = ":".join(re.findall("..", self.client_cert_sha256().upper()))
        for allow, admitted in (({"subject_cn": ["tlsgate test client"]}, True),
                                ({"sha256": [pin]}, True),
                                ({"sha256": [self.client_cert_sha256()[::-1]], "san_dns": ["*.example"]}, False)):
            with self.subTest(allow=allow):
                cfg = self.terminate_config(0, client_certs={"mode": "require", "cafile": "ca.pem", "allow": allow})
                with EchoServer() as backend:
                    cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
                    with self.daemon(cfg) as gate:
                        got, line = self.mutual_tls_attempt(gate)
                    fields = logfmt(line)
                    if admitted:
                        self.assertEqual(got, b"mtls\n", line)
                        self.assertEqual(fields.get("outcome"), "ok", line)
                        self.assertIn("tlsgate test client", fields.get("accept.peer", ""), line)
                    else:
                        self.assertEqual(got, b"", line)
                        self.assertEqual(fields.get("outcome"), "failed", line)
                        self.assertIn("matched none of the client_certs.allow rules", fields.get("reason", ""), line)
                        self.assertIn("CN=tlsgate test client", fields.get("reason", ""), line)
                        self.assertEqual(backend.accepted, 0)

    def test_client_certs_crl_refuses_a_revoked_certificate(self):
        revoked_cert, revoked_key = self.pki.extra_client_cert("revoked", "revoked test client")
        crl = self.pki.revocation_list([revoked_cert])
        revoked_client = self.pki.client_context()
        revoked_client.load_cert_chain(revoked_cert, revoked_key)
        cfg = self.terminate_config(0, client_certs={"mode": "require", "cafile": "ca.pem",
                                                     "crl": os.path.basename(crl)})
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                got, line = self.mutual_tls_attempt(gate)
                self.assertEqual(got, b"mtls\n", line)
                self.assertEqual(logfmt(line).get("outcome"), "ok", line)

                got, line = self.mutual_tls_attempt(gate, revoked_client)
                fields = logfmt(line)
                self.assertEqual(got, b"", line)
                self.assertEqual(fields.get("outcome"), "failed", line)
                self.assertIn("revoked", fields.get("reason", ""), line)
                self.assertIn("revoked test client", fields.get("reason", ""), line)
            self.assertEqual(backend.accepted, 1)

    # ------------------------------------------------------------------ connect side

    def originate_config(self, server_port, **tls_extra):
        self.port = free_port()
        return harness.config([listener("out", self.port, server_port,
                                        connect_tls=harness.client_tls(self.pki, **tls_extra))])

    def plain_roundtrip(self, line):
        with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
            local = sock.getsockname()[1]
            sock.sendall(line)
            sock.shutdown(socket.SHUT_WR)
            data, _ = recv_until_eof(sock)
        return data, local

    def server_cert_sha256(self):
        with open(self.pki.server_cert) as f:
            return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()

    def test_pin_sha256_on_the_connect_side(self):
        with TlsServer(self.pki.server_context(), mode="echo") as server:
            with self.daemon(self.originate_config(server.port, pin_sha256=[self.server_cert_sha256()])) as gate:
                data, local = self.plain_roundtrip(b"pinned\n")
                self.assertEqual(data, b"pinned\n")
                self.assertEqual(logfmt(gate.connection_line(local)).get("outcome"), "ok")
            with self.daemon(self.originate_config(server.port, pin_sha256=["00" * 32])) as gate:
                data, local = self.plain_roundtrip(b"pinned\n")
                self.assertEqual(data, b"")
                line = gate.connection_line(local)
                self.assertEqual(logfmt(line).get("outcome"), "failed", line)
                self.assertIn("matches none of pin_sha256", logfmt(line).get("reason", ""), line)
            self.assertEqual(server.handshakes, 1)

    def test_connect_side_resumes_its_last_session(self):
        with TlsServer(self.pki.server_context(), mode="echo") as server, \
                self.daemon(self.originate_config(server.port)) as gate:
            for _ in range(3):
                data, local = self.plain_roundtrip(b"again\n")
                self.assertEqual(data, b"again\n")
                last = logfmt(gate.connection_line(local))
            self.assertEqual(last.get("connect.resumed"), "yes", last)
        with TlsServer(self.pki.server_context(), mode="echo") as server, \
                self.daemon(self.originate_config(server.port, session={"resume": False})) as gate:
            for _ in range(2):
                data, local = self.plain_roundtrip(b"again\n")
                self.assertEqual(data, b"again\n")
                last = logfmt(gate.connection_line(local))
            self.assertEqual(last.get("connect.resumed"), "no", last)

    # ------------------------------------------------------------------ resumption

    def test_resumption_tls13_and_tls12_in_one_process(self):
        for flag in ("-tls1_3", "-tls1_2"):
            with self.subTest(flag=flag):
                session = self.file(f"s{flag}.pem")
                with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
                    out = self.echo_once("localhost", flag, "-sess_out", session)
                    self.assertRegex(out, r"(?m)^New, ", out)
                    # The first connection's line may come after s_client
                    # exits: wait for it, so the next one found is the second.
                    gate.wait_for_log(r"\boutcome=ok\b")
                    mark = gate.mark()
                    out = self.echo_once("localhost", flag, "-sess_in", session)
                    self.assertRegex(out, r"(?m)^Reused, ", out)
                    line = gate.wait_for_log(r"\boutcome=ok\b", start=mark).string
                    self.assertEqual(logfmt(line).get("accept.resumed"), "yes", line)

    def test_resumption_across_workers(self):
        # Two workers, each with its own SO_REUSEPORT socket: the kernel spreads
        # connections by source port, so a dozen resumptions reach both (all
        # landing on one worker has odds of 1 in 2048). Every one must resume.
        session = self.file("workers.pem")
        with EchoServer() as backend, self.daemon(self.terminate_config(backend.port)) as gate:
            out = self.echo_once("localhost", "-sess_out", session)
            self.assertRegex(out, r"(?m)^New, ", out)
            gate.wait_for_log(r"\boutcome=ok\b")
            for _ in range(12):
                mark = gate.mark()
                out = self.echo_once("localhost", "-sess_in", session)
                self.assertRegex(out, r"(?m)^Reused, ", out)
                line = gate.wait_for_log(r"\boutcome=ok\b", start=mark).string
                self.assertEqual(logfmt(line).get("accept.resumed"), "yes", line)

    def resume_across_restart(self, session_config):
        session = self.file("across-restart.pem")
        with EchoServer() as backend:
            cfg = self.terminate_config(backend.port, session=session_config)
            with self.daemon(cfg):
                out = self.echo_once("localhost", "-sess_out", session)
                self.assertRegex(out, r"(?m)^New, ", out)
            with self.daemon(cfg) as gate:
                out = self.echo_once("localhost", "-sess_in", session)
                line = gate.wait_for_log(r"\boutcome=ok\b").string
        return out, logfmt(line).get("accept.resumed")

    def test_resumption_across_restart_with_a_ticket_key_file(self):
        with open(self.file("tickets.key"), "w") as f:
            f.write(ticket_key_line())
        os.chmod(self.file("tickets.key"), 0o600)
        out, resumed = self.resume_across_restart({"ticket_keys": "tickets.key"})
        self.assertRegex(out, r"(?m)^Reused, ", out)
        self.assertEqual(resumed, "yes")

    def test_no_resumption_across_restart_without_a_ticket_key_file(self):
        out, resumed = self.resume_across_restart({"tickets": True})
        self.assertRegex(out, r"(?m)^New, ", out)
        self.assertEqual(resumed, "no")

    def test_bad_ticket_key_file_is_a_startup_error(self):
        with open(self.file("tickets.key"), "w") as f:
            f.write("not a key\n")
        cfg = self.terminate_config(free_port(), session={"ticket_keys": "tickets.key"})
        proc = harness.run([self.binary, "check", "-c", self.write_config(cfg)], check=False)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout + proc.stderr,
                         r"tlsgate\.yaml:\d+:\d+: .*session\.ticket_keys: .*tickets\.key: line 1 is not the "
                         r"base64 of 80 bytes")


if __name__ == "__main__":
    unittest.main()
