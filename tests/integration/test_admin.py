"""The admin endpoint, asked by real clients: /metrics after real traffic
(checked value by value and by promtool), a Prometheus server scraping it,
/connections against what the client negotiated, `tlsgate status` and
`tlsgate health`, /healthz while draining, the bearer token, and a unix
socket."""

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import stat
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness
from harness import EchoServer, IntegrationTest, PingPong, TlsClient, TlsServer, free_port, listener, recv_until_eof

DAY = 86400
TOKEN = "s3cret-admin-token-4f1c"


class DoublingEchoServer(harness._ThreadedServer):
    """Sends back every chunk twice, so what a client receives (twice what it
    sent) tells the two directions apart; on EOF it shuts down its write side."""

    def handle(self, conn, peer):
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data + data)
        conn.shutdown(socket.SHUT_WR)


def http_get(address, path, token=None, timeout=harness.IO_TIMEOUT):
    """GET http://address/path with urllib; (status, headers, body text),
    for error statuses too."""
    request = urllib.request.Request(f"http://{address}{path}")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.headers, e.read().decode()


def get_json(address, path, token=None):
    status, _, body = http_get(address, path, token)
    if status != 200:
        raise AssertionError(f"GET {path} answered {status}: {body}")
    return json.loads(body)


SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """{(name, frozenset of (label, value)): float} of a text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise AssertionError(f"not a sample line: {line!r}")
        labels = frozenset(LABEL.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        if key in samples:
            raise AssertionError(f"sample written twice: {line!r}")
        samples[key] = float(m.group(3))
    return samples


def series(samples, name, **labels):
    """Every sample of `name` whose labels include `labels`: {labels dict: value}."""
    want = set(labels.items())
    return [(dict(k[1]), v) for k, v in samples.items() if k[0] == name and want <= k[1]]


def value(samples, name, **labels):
    """The value of the one sample with exactly these labels."""
    key = (name, frozenset(labels.items()))
    if key not in samples:
        raise AssertionError(f"no sample {name}{labels}; have {sorted(series(samples, name), key=str)}")
    return samples[key]


def cert_fields(path):
    """subject, issuer, notBefore and notAfter of a certificate as `openssl
    x509` prints them (RFC 2253 names)."""
    out = harness.run([harness.tool("openssl"), "x509", "-in", path, "-noout", "-nameopt", "RFC2253",
                       "-subject", "-issuer", "-startdate", "-enddate"]).stdout
    fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return {"subject": fields["subject"], "issuer": fields["issuer"],
            "notBefore": fields["notBefore"], "notAfter": fields["notAfter"]}


def upper_sha256(path):
    return harness.cert_sha256(path).upper()


class AdminTest(IntegrationTest):

    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.admin_port = free_port()
        self.admin = f"127.0.0.1:{self.admin_port}"

    def terminate(self, backend_port, tls_extra=None, admin=None, **global_overrides):
        tls = harness.server_tls(self.pki, **(tls_extra or {}))
        return harness.config([listener("web", self.port, backend_port, accept_tls=tls)],
                              admin=admin or {"listen": self.admin}, **global_overrides)

    def tlsgate(self, *args, check=False, **kw):
        return harness.run([self.binary, *args], check=check, timeout=30, **kw)

    def connection_entry(self, client_port, token=None):
        """The /connections entry of the connection from 127.0.0.1:client_port, or None."""
        listing = get_json(self.admin, "/connections", token)
        self.assertEqual(listing["workers_unanswered"], 0, listing)
        for entry in listing["connections"]:
            if entry["client"] == f"127.0.0.1:{client_port}":
                return entry
        return None

    # ------------------------------------------------------------------ /metrics

    def s_client(self, *extra):
        """An `openssl s_client` process connected to the listener."""
        return harness.process([harness.tool("openssl"), "s_client", "-connect", f"127.0.0.1:{self.port}",
                                "-servername", "localhost", "-CAfile", self.pki.ca, *extra])

    def echo_through(self, client, line):
        """Sends `line` through s_client and waits for both copies back."""
        client.stdin.write(line.encode() + b"\n")
        client.stdin.flush()
        harness.wait_until(lambda: client.lines.count(line) >= 2, harness.IO_TIMEOUT,
                           what=f"s_client to print {line!r} twice")

    def s_client_echo(self, *extra):
        """One `openssl s_client` connection that sends "ping", reads both
        copies the backend returns, and ends on stdin's EOF; its output."""
        with self.s_client(*extra) as client:
            self.echo_through(client, "ping")
            client.stdin.close()
            self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
        return "\n".join(client.lines)

    def record_layer_metric(self, name, **labels):
        m = parse_metrics(http_get(self.admin, "/metrics")[2])
        return value(m, name, listener="web", **labels)

    def test_metrics_count_connections_that_stay_with_openssl(self):
        # A CCM suite is not one tlsgate's record layer does: the connection
        # keeps OpenSSL's records, and the metric says why.
        with DoublingEchoServer() as backend:
            cfg = self.terminate(backend.port, tls_extra={"ciphersuites": "TLS_AES_128_CCM_SHA256"},
                                 limits={"record_layer_after": "0s"})
            with self.daemon(cfg):
                self.s_client_echo("-ciphersuites", "TLS_AES_128_CCM_SHA256")
                harness.wait_until(
                    lambda: self.record_layer_metric("tlsgate_tls_record_layer_declined_total",
                                                     reason="unsupported_suite") == 1,
                    harness.IO_TIMEOUT, what="one declined hand-over counted")
                self.assertEqual(self.record_layer_metric("tlsgate_tls_record_layer_declined_total",
                                                          reason="key_update"), 0)
                self.assertEqual(self.record_layer_metric("tlsgate_tls_record_layer_handovers_total"), 0)

    def test_a_connection_moves_to_the_record_layer_after_record_layer_after(self):
        # Data before the hand-over goes through OpenSSL, data after it
        # through tlsgate's record layer, on the same keys: both must echo.
        with DoublingEchoServer() as backend, \
                self.daemon(self.terminate(backend.port, limits={"record_layer_after": "300ms"})):
            with self.s_client() as client:
                self.echo_through(client, "before")
                harness.wait_until(
                    lambda: self.record_layer_metric("tlsgate_tls_record_layer_handovers_total") == 1,
                    harness.IO_TIMEOUT, what="the connection to move to the record layer")
                self.echo_through(client, "after")
                client.stdin.close()
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))

    def test_a_short_connection_never_pays_for_the_record_layer(self):
        with DoublingEchoServer() as backend, \
                self.daemon(self.terminate(backend.port, limits={"record_layer_after": "1h"})):
            self.s_client_echo()
            harness.wait_until(
                lambda: self.record_layer_metric("tlsgate_connections_active") == 0,
                harness.IO_TIMEOUT, what="the connection to end")
            self.assertEqual(self.record_layer_metric("tlsgate_tls_record_layer_handovers_total"), 0)
            m = parse_metrics(http_get(self.admin, "/metrics")[2])
            self.assertTrue(all(v == 0 for (n, labels), v in m.items()
                                if n == "tlsgate_tls_record_layer_declined_total"), m)

    def test_a_key_update_before_the_hand_over_keeps_the_connection_on_openssl(self):
        # s_client's "K" command sends a KeyUpdate that asks for one back.
        with DoublingEchoServer() as backend, \
                self.daemon(self.terminate(backend.port, limits={"record_layer_after": "2s"})):
            with self.s_client() as client:
                client.stdin.write(b"K\n")
                client.stdin.flush()
                harness.wait_until(lambda: any("KEYUPDATE" in line for line in client.lines),
                                   harness.IO_TIMEOUT, what="s_client to send its KeyUpdate")
                harness.wait_until(
                    lambda: self.record_layer_metric("tlsgate_tls_record_layer_declined_total",
                                                     reason="key_update") == 1,
                    harness.IO_TIMEOUT, what="the hand-over to be declined")
                self.echo_through(client, "still")
                client.stdin.close()
                self.assertEqual(client.wait(15), 0, "\n".join(client.lines))
            self.assertEqual(self.record_layer_metric("tlsgate_tls_record_layer_handovers_total"), 0)

    def test_metrics_count_real_traffic_exactly(self):
        backend_port = free_port()  # nothing listens here at first
        ctx = self.pki.client_context()
        with self.daemon(self.terminate(backend_port)) as gate:
            # A connection whose backend refuses: the handshake completes first.
            with TlsClient(self.port, ctx) as client:
                client.handshake()
                try:
                    client.recv_until_eof()
                except (ssl.SSLError, ConnectionError):
                    pass
                refused = client.local_port
            line = gate.connection_line(refused)
            self.assertRegex(line, r"(?i)backend connect failed.*connection refused")

            with DoublingEchoServer(port=backend_port):
                # Plain text to the TLS port.
                with socket.create_connection(("127.0.0.1", self.port), timeout=harness.IO_TIMEOUT) as sock:
                    plaintext = sock.getsockname()[1]
                    sock.sendall(b"hello, plain text here\r\n")
                    recv_until_eof(sock, timeout=10)
                self.assertRegex(gate.connection_line(plaintext), r"peer spoke plaintext to a TLS port")

                sent = received = 0
                for size in (1, 1000, 70000):
                    message = os.urandom(size)
                    with TlsClient(self.port, ctx) as client:
                        client.handshake()
                        client.sendall(message)
                        got = client.recv_exactly(2 * size)
                        client.close_notify()
                        got += client.recv_until_eof()
                    # Each chunk comes back twice, in whatever chunks TCP made.
                    self.assertEqual(len(got), 2 * size)
                    sent += size
                    received += len(got)

                session = self.file("session.pem")
                out = self.s_client_echo("-sess_out", session)
                self.assertRegex(out, r"(?m)^New, ", out)
                out = self.s_client_echo("-sess_in", session)
                self.assertRegex(out, r"(?m)^Reused, ", out)
                sent += 2 * len(b"ping\n")
                received += 2 * len(b"ping\nping\n")

                # Every connection has ended (7 close lines); a connection
                # counts as active until its sockets are closed, just after.
                harness.wait_until(lambda: len(re.findall(r"\boutcome=", gate.text())) >= 7, harness.IO_TIMEOUT,
                                   what="seven connection lines")

                def quiet_scrape():
                    status, headers, body = http_get(self.admin, "/metrics")
                    self.assertEqual(status, 200, body)
                    self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
                    m = parse_metrics(body)
                    return value(m, "tlsgate_connections_active", listener="web") == 0 and (body, m)

                body, m = harness.wait_until(quiet_scrape, harness.IO_TIMEOUT, what="no active connections")
            web = {"listener": "web"}
            accept = {"listener": "web", "side": "accept"}

            self.assertEqual(value(m, "tlsgate_connections_total", **web), 7)
            self.assertEqual(value(m, "tlsgate_connections_active", **web), 0)
            # refused + 3 Python clients + 2 s_client handshakes; the plaintext one failed.
            self.assertEqual(value(m, "tlsgate_handshakes_total", result="ok", **accept), 6)
            self.assertEqual(value(m, "tlsgate_handshakes_total", result="failed", **accept), 1)
            failures = {labels["reason"]: v for labels, v in series(m, "tlsgate_handshake_failures_total", **accept)}
            self.assertEqual(failures.pop("plaintext_to_tls_port"), 1, failures)
            self.assertIn("certificate_verify", failures)
            self.assertEqual(set(failures.values()), {0}, failures)
            # This listener does not speak TLS to its backend: no connect side.
            self.assertEqual(series(m, "tlsgate_handshakes_total", listener="web", side="connect"), [])

            self.assertEqual(value(m, "tlsgate_bytes_total", direction="client_to_backend", **web), sent)
            self.assertEqual(value(m, "tlsgate_bytes_total", direction="backend_to_client", **web), received)
            self.assertEqual(value(m, "tlsgate_backend_connect_failures_total", **web), 1)
            self.assertEqual(value(m, "tlsgate_session_resumptions_total", **accept), 1)

            self.assertEqual(value(m, "tlsgate_handshake_duration_seconds_count", **accept), 6)
            self.assertEqual(value(m, "tlsgate_handshake_duration_seconds_bucket", le="+Inf", **accept), 6)
            self.assertGreater(value(m, "tlsgate_handshake_duration_seconds_sum", **accept), 0)
            buckets = sorted((float(labels["le"]), v) for labels, v in
                             series(m, "tlsgate_handshake_duration_seconds_bucket", **accept))
            self.assertEqual(len(buckets), 13, buckets)
            self.assertEqual([v for _, v in buckets], sorted(v for _, v in buckets), "buckets are not cumulative")

            for kind, v in ((labels["kind"], v) for labels, v in series(m, "tlsgate_timeouts_total", **web)):
                self.assertEqual(v, 0, kind)
            self.assertEqual(value(m, "tlsgate_connections_dropped_total", **web), 0)
            self.assertEqual(value(m, "tlsgate_accept_errors_total", **web), 0)

            expiry = series(m, "tlsgate_certificate_expiry_seconds", **web)
            self.assertEqual(len(expiry), 1, expiry)
            labels, seconds = expiry[0]
            with open(self.pki.server_cert) as f:
                der = ssl.PEM_cert_to_DER_cert(f.read())
            self.assertEqual(labels["sha256"], hashlib.sha256(der).hexdigest().upper())
            self.assertEqual(labels["subject"], "CN=localhost")
            self.assertGreater(seconds, 0)
            self.assertLessEqual(seconds, 31 * DAY)
            self.assertGreater(seconds, 29 * DAY)

            self.assertEqual(value(m, "tlsgate_config_generation"), 1)
            self.assertEqual(value(m, "tlsgate_config_last_reload_successful"), 1)
            self.assertEqual(value(m, "tlsgate_config_reloads_total", result="success"), 0)
            self.assertEqual(value(m, "tlsgate_config_reloads_total", result="failure"), 0)
            self.assertEqual(value(m, "tlsgate_ready"), 1)
            self.assertEqual(value(m, "tlsgate_draining"), 0)
            build = series(m, "tlsgate_build_info")
            self.assertEqual(len(build), 1, build)
            labels, one = build[0]
            self.assertEqual(one, 1)
            version = self.tlsgate("version", check=True).stdout
            self.assertIn(f"tlsgate {labels['version']}\n", version)
            self.assertIn(f"OpenSSL {labels['openssl']} ", version)
            self.assertIn(f"libuv {labels['libuv']}\n", version)

            lint = harness.run([harness.tool("promtool"), "check", "metrics"], input=body, check=False)
            self.assertEqual((lint.returncode, lint.stdout, lint.stderr), (0, "", ""))

    # ------------------------------------------------------------------ Prometheus

    def test_prometheus_scrapes_the_endpoint(self):
        prometheus = harness.tool("prometheus")
        web_port = free_port()
        with open(self.file("prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: tlsgate\n"
                    f"    static_configs:\n      - targets: ['{self.admin}']\n")
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)):
            for i in range(3):
                got, _ = harness.echo_round_trip(self.port, self.pki.client_context(), f"hello {i}\n".encode())
                self.assertEqual(got, f"hello {i}\n".encode())
            args = [prometheus, f"--config.file={self.file('prometheus.yml')}",
                    f"--storage.tsdb.path={self.file('tsdb')}", f"--web.listen-address=127.0.0.1:{web_port}"]
            with harness.process(args, cwd=self.dir) as server:
                base = f"127.0.0.1:{web_port}"

                def ready():
                    if server.poll() is not None:
                        raise AssertionError(f"prometheus exited ({server.returncode}):\n" + "\n".join(server.lines))
                    try:
                        return http_get(base, "/-/ready", timeout=2)[0] == 200
                    except OSError:
                        return False

                harness.wait_until(ready, 30, interval=0.1, what="prometheus to be ready")

                def query(expr):
                    answer = get_json(base, "/api/v1/query?query=" + urllib.parse.quote(expr))
                    self.assertEqual(answer["status"], "success", answer)
                    return answer["data"]["result"]

                def scraped():
                    return [r for r in query("tlsgate_connections_total")
                            if r["metric"].get("listener") == "web" and r["value"][1] == "3"]

                result = harness.wait_until(scraped, 30, interval=0.2, what="prometheus to have scraped the endpoint")
                self.assertEqual(result[0]["metric"]["job"], "tlsgate")
                self.assertEqual(result[0]["metric"]["instance"], self.admin)
                up = query('up{job="tlsgate"}')
                self.assertEqual([(r["metric"]["instance"], r["value"][1]) for r in up], [(self.admin, "1")])
                ok = query('tlsgate_handshakes_total{listener="web",side="accept",result="ok"}')
                self.assertEqual([r["value"][1] for r in ok], ["3"])
                server.send_signal(signal.SIGTERM)
                self.assertEqual(server.wait(20), 0, "\n".join(server.lines))

    # ------------------------------------------------------------------ /connections

    def originate_and_terminate(self, backend_port):
        """Mutual TLS with the client, ALPN, and TLS to the backend."""
        tls = harness.server_tls(self.pki, alpn=["h2", "http/1.1"],
                                 client_certs={"mode": "require", "cafile": "ca.pem"})
        return harness.config([listener("web", self.port, backend_port, accept_tls=tls,
                                        connect_tls=harness.client_tls(self.pki))],
                              admin={"listen": self.admin})

    def mutual_client(self):
        ctx = self.pki.client_context(cert=True)
        ctx.set_alpn_protocols(["h2"])
        client = TlsClient(self.port, ctx, server_hostname="localhost")
        client.handshake()
        return client

    def test_connections_show_both_tls_sides_and_the_generation(self):
        client_cert = cert_fields(self.pki.client_cert)
        server_cert = cert_fields(self.pki.server_cert)
        with TlsServer(self.pki.server_context()) as backend, \
                self.daemon(self.originate_and_terminate(backend.port)) as gate:
            with self.mutual_client() as client:
                message = b"twelve bytes"
                client.sendall(message)
                self.assertEqual(client.recv_exactly(len(message)), message)
                entry = harness.wait_until(
                    lambda: (e := self.connection_entry(client.local_port)) and e["bytes_down"] == len(message) and e,
                    harness.IO_TIMEOUT, what="the connection with its bytes in /connections")
                self.assertEqual(entry["listener"], "web")
                self.assertEqual(entry["state"], "OPEN")
                self.assertEqual(entry["generation"], 1)
                self.assertEqual(entry["backend"], f"127.0.0.1:{backend.port}")
                self.assertEqual(entry["bytes_up"], len(message))
                self.assertEqual(entry["bytes_down"], len(message))
                self.assertIsInstance(entry["id"], int)
                self.assertIsInstance(entry["worker"], int)
                self.assertGreaterEqual(entry["age_seconds"], 0)
                self.assertLess(entry["age_seconds"], 60)

                accept = entry["accept"]
                self.assertEqual(accept["protocol"], client.version)
                self.assertEqual(accept["cipher"], client.cipher[0])
                self.assertEqual(accept["alpn"], client.obj.selected_alpn_protocol())
                self.assertEqual(accept["alpn"], "h2")
                self.assertEqual(accept["sni"], "localhost")
                self.assertIs(accept["resumed"], False)
                self.assertEqual(accept["verification"], "ok")
                self.assertEqual(accept["peer"], {**client_cert, "sha256_hash": upper_sha256(self.pki.client_cert)})

                connect = entry["connect"]
                self.assertEqual(connect["sni"], "localhost")
                self.assertEqual(connect["sni"], backend.server_names[0])
                self.assertIs(connect["resumed"], False)
                self.assertEqual(connect["verification"], "ok")
                self.assertRegex(connect["protocol"], r"^TLSv1\.[23]$")
                self.assertTrue(connect["cipher"])
                self.assertEqual(connect["peer"], {**server_cert, "sha256_hash": upper_sha256(self.pki.server_cert)})

                m = harness.reload(gate)
                self.assertEqual(m.group("generation"), "2", m.string)
                with self.mutual_client() as newer:
                    newer.sendall(b"after reload")
                    self.assertEqual(newer.recv_exactly(12), b"after reload")
                    fresh = self.connection_entry(newer.local_port)
                    old = self.connection_entry(client.local_port)
                    self.assertIsNotNone(fresh)
                    self.assertEqual(fresh["generation"], 2, fresh)
                    self.assertEqual(old["generation"], 1, old)
                    self.assertNotEqual(fresh["id"], old["id"])
                    status = get_json(self.admin, "/status")
                    self.assertEqual(status["generation"], 2)
                    self.assertEqual(status["reload"]["successes"], 1)
                    self.assertIs(status["reload"]["last_ok"], True)
                    self.assertEqual(status["listeners"][0]["connections_active"], 2)
                client.close_notify()
                client.recv_until_eof()
            gate.connection_line(client.local_port)
            harness.wait_until(lambda: self.connection_entry(client.local_port) is None, harness.IO_TIMEOUT,
                               what="the closed connection to leave /connections")

    def test_status_document(self):
        with EchoServer() as backend, self.daemon(self.terminate(backend.port, workers=3)):
            got, _ = harness.echo_round_trip(self.port, self.pki.client_context())
            self.assertEqual(got, b"ping\n")
            before = time.time()
            status = harness.wait_until(
                lambda: (s := get_json(self.admin, "/status"))["listeners"][0]["connections_active"] == 0 and s,
                harness.IO_TIMEOUT, what="the connection to be gone from /status")
            self.assertEqual(status["version"], "0.1.0")
            self.assertEqual(status["workers"], 3)
            self.assertIs(status["ready"], True)
            self.assertIs(status["draining"], False)
            self.assertEqual(status["generation"], 1)
            self.assertLessEqual(status["started"], before + 1)
            self.assertGreater(status["started"], before - 60)
            self.assertGreaterEqual(status["uptime_seconds"], 0)
            self.assertEqual(status["reload"]["failures"], 0)
            self.assertEqual(status["listeners"], [{
                "name": "web", "accept": f"127.0.0.1:{self.port}", "connect": f"127.0.0.1:{backend.port}",
                "accept_tls": True, "connect_tls": False, "connections_active": 0, "connections_total": 1}])
            self.assertEqual(http_get(self.admin, "/nothing-here")[0], 404)

    # ------------------------------------------------------------------ tlsgate status / health

    def test_status_and_health_commands(self):
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)) as gate:
            with TlsClient(self.port, self.pki.client_context()) as client:
                client.handshake()
                client.sendall(b"ping\n")
                self.assertEqual(client.recv_exactly(5), b"ping\n")
                harness.wait_until(lambda: (e := self.connection_entry(client.local_port)) and e["bytes_down"] == 5,
                                   harness.IO_TIMEOUT, what="the connection in /connections")

                table = self.tlsgate("status", "--admin", self.admin)
                self.assertEqual(table.returncode, 0, table.stderr)
                lines = table.stdout.splitlines()
                self.assertEqual(lines[0], "tlsgate 0.1.0, generation 1, 1 listener, 1 connection")
                self.assertEqual(lines[1].split(), ["ID", "LISTENER", "STATE", "AGE", "CLIENT", "BACKEND", "UP",
                                                    "DOWN", "ACCEPT", "PEER"])
                rows = [l for l in lines[2:] if f"127.0.0.1:{client.local_port}" in l]
                self.assertEqual(len(rows), 1, table.stdout)
                cells = rows[0].split()
                self.assertEqual(cells[1:3], ["web", "OPEN"], rows[0])
                self.assertEqual(cells[5], f"127.0.0.1:{backend.port}", rows[0])
                self.assertEqual(cells[6:8], ["5", "5"], rows[0])
                self.assertTrue(cells[8].startswith(f"{client.version}/"), rows[0])
                self.assertEqual(cells[9], "-", rows[0])

                # The address from the config when --admin is not given.
                from_config = self.tlsgate("status", "-c", gate.config_path, cwd="/")
                self.assertEqual(from_config.returncode, 0, from_config.stderr)
                self.assertEqual(from_config.stdout.splitlines()[0], lines[0])

                as_json = self.tlsgate("status", "--admin", self.admin, "--json")
                self.assertEqual(as_json.returncode, 0, as_json.stderr)
                printed = json.loads(as_json.stdout)
                listing = get_json(self.admin, "/connections")
                for document in (printed, listing):
                    for entry in document["connections"]:
                        self.assertGreaterEqual(entry.pop("age_seconds"), 0)
                self.assertEqual(printed, listing)
                self.assertEqual(len(printed["connections"]), 1)
                self.assertEqual(printed["connections"][0]["client"], f"127.0.0.1:{client.local_port}")

                health = self.tlsgate("health", "--admin", self.admin)
                self.assertEqual((health.returncode, health.stderr), (0, ""))
                nobody = f"127.0.0.1:{free_port()}"
                health = self.tlsgate("health", "--admin", nobody)
                self.assertEqual(health.returncode, 1, health.stderr)
                self.assertIn(f"cannot connect to the admin endpoint at {nobody}", health.stderr)
                status = self.tlsgate("status", "--admin", nobody)
                self.assertEqual(status.returncode, 1, status.stderr)
                self.assertIn(nobody, status.stderr)
                client.close_notify()
                client.recv_until_eof()

    # ------------------------------------------------------------------ drain

    def test_healthz_answers_503_while_draining(self):
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)) as gate:
            self.assertEqual(http_get(self.admin, "/healthz")[::2], (200, "ok\n"))
            busy = PingPong(self.port, self.pki.client_context())
            try:
                harness.wait_until(lambda: busy.round_trips >= 10 or busy.ended, harness.IO_TIMEOUT,
                                   what="round trips on the busy connection")
                self.assertIsNone(busy.ended)
                gate.send_signal(signal.SIGTERM)
                gate.wait_for_log(r"SIGTERM: no longer accepting")
                harness.wait_until(lambda: http_get(self.admin, "/healthz")[0] == 503, harness.IO_TIMEOUT,
                                   what="/healthz to answer 503")
                self.assertEqual(http_get(self.admin, "/healthz")[2], "draining\n")
                health = self.tlsgate("health", "--admin", self.admin)
                self.assertEqual(health.returncode, 1, health.stderr)
                self.assertIn("draining", health.stderr)
                status = get_json(self.admin, "/status")
                self.assertIs(status["draining"], True)
                self.assertEqual(value(parse_metrics(http_get(self.admin, "/metrics")[2]), "tlsgate_draining"), 1)
                # The busy connection is still served while the daemon drains.
                trips = busy.round_trips
                harness.wait_until(lambda: busy.round_trips >= trips + 10 or busy.ended, harness.IO_TIMEOUT,
                                   what="round trips after SIGTERM")
                self.assertIsNone(busy.ended)
                self.assertIsNone(gate.proc.poll())
            finally:
                busy.close()
            self.assertEqual(gate.stop(), 0)
            self.assertIn("stopped: every connection finished", gate.text())
        self.assertTrue(harness.refuses(self.admin_port), "the admin endpoint outlived the daemon")

    def test_healthz_answers_while_scrapers_and_slow_clients_hold_connections(self):
        # Prometheus keeps its HTTP/1.1 connection open between scrapes, an
        # HA pair makes two, and any local user can open a connection and
        # send its request one byte at a time. A health probe (which
        # `tlsgate health` gives 2 s) must not queue behind any of them.
        with EchoServer() as backend, self.daemon(self.terminate(backend.port)):
            scrapers = [http.client.HTTPConnection("127.0.0.1", self.admin_port, timeout=harness.IO_TIMEOUT)
                        for _ in range(2)]
            slow = [socket.create_connection(("127.0.0.1", self.admin_port), timeout=harness.IO_TIMEOUT)
                    for _ in range(6)]
            try:
                for scraper in scrapers:
                    scraper.request("GET", "/metrics")
                    response = scraper.getresponse()
                    self.assertIn("tlsgate_build_info", response.read().decode())
                    self.assertEqual(response.status, 200)
                for client in slow:
                    client.sendall(b"GET /metr")  # and nothing more
                started = time.monotonic()
                status, _, body = http_get(self.admin, "/healthz")
                elapsed = time.monotonic() - started
                self.assertEqual((status, body), (200, "ok\n"))
                # Free request threads answer in a millisecond; one held by a
                # slow client would take the endpoint's 0.5 s read limit.
                self.assertLess(elapsed, 0.3, f"/healthz took {elapsed:.2f}s while other clients held connections")
                self.assertEqual(harness.run([self.binary, "health", "--admin", self.admin], check=False).returncode, 0)
            finally:
                for scraper in scrapers:
                    scraper.close()
                for client in slow:
                    client.close()

    # ------------------------------------------------------------------ token

    def test_remote_endpoint_needs_allow_remote_and_a_token(self):
        with open(self.file("admin.token"), "w") as f:
            f.write(TOKEN + "\n")
        remote = f"0.0.0.0:{self.admin_port}"
        for admin in ({"listen": remote}, {"listen": remote, "allow_remote": True}):
            with self.subTest(admin=admin):
                path = self.write_config(self.terminate(free_port(), admin=admin))
                proc = harness.run([self.binary, "run", "-c", path], check=False, timeout=30, cwd=self.dir)
                self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
                out = proc.stdout + proc.stderr
                self.assertRegex(out, r"tlsgate\.yaml:\d+:\d+: global\.admin\.listen")
                self.assertIn("allow_remote", out)
                self.assertIn("token_file", out)
                self.assertTrue(harness.refuses(self.admin_port))

        with open(self.file("wrong.token"), "w") as f:
            f.write("not-the-token\n")
        no_token = self.write_config(self.terminate(free_port()), name="no-token.yaml")
        cfg = self.terminate(0, admin={"listen": remote, "allow_remote": True, "token_file": "admin.token"})
        with EchoServer() as backend:
            cfg["listeners"][0]["connect"]["address"] = f"127.0.0.1:{backend.port}"
            with self.daemon(cfg) as gate:
                for path in ("/metrics", "/status", "/connections"):
                    with self.subTest(path=path):
                        status, headers, body = http_get(self.admin, path)
                        self.assertEqual(status, 401, body)
                        self.assertEqual(headers["WWW-Authenticate"], 'Bearer realm="tlsgate"')
                        self.assertNotIn("tlsgate_", body)
                        self.assertEqual(http_get(self.admin, path, token="not-the-token")[0], 401)
                        self.assertEqual(http_get(self.admin, path, token=TOKEN + "x")[0], 401)
                        status, _, body = http_get(self.admin, path, token=TOKEN)
                        self.assertEqual(status, 200, body)
                self.assertIn("tlsgate_connections_total", http_get(self.admin, "/metrics", token=TOKEN)[2])
                self.assertEqual(http_get(self.admin, "/healthz")[::2], (200, "ok\n"))

                ok = self.tlsgate("status", "--admin", self.admin, "--token-file", self.file("admin.token"))
                self.assertEqual(ok.returncode, 0, ok.stderr)
                self.assertRegex(ok.stdout, r"^tlsgate 0\.1\.0, generation 1, 1 listener, 0 connections\n")
                # Address and token both from the config, from another directory.
                ok = self.tlsgate("status", "-c", gate.config_path, cwd="/")
                self.assertEqual(ok.returncode, 0, ok.stderr)
                self.assertRegex(ok.stdout, r"^tlsgate 0\.1\.0, generation 1")

                refused = self.tlsgate("status", "--admin", self.admin, "-c", no_token)
                self.assertEqual(refused.returncode, 1, refused.stdout)
                self.assertIn("token", refused.stderr)
                self.assertEqual(refused.stdout, "")
                wrong = self.tlsgate("status", "--admin", self.admin, "--token-file", self.file("wrong.token"))
                self.assertEqual(wrong.returncode, 1, wrong.stdout)
                self.assertIn("refused the token", wrong.stderr)
                health = self.tlsgate("health", "--admin", self.admin, "-c", no_token)
                self.assertEqual((health.returncode, health.stderr), (0, ""))

    # ------------------------------------------------------------------ unix socket

    def test_unix_socket_endpoint(self):
        sock_path = self.file("admin.sock")
        address = f"unix:{sock_path}"
        with EchoServer() as backend, self.daemon(self.terminate(backend.port, admin={"listen": address})):
            info = os.stat(sock_path)
            self.assertTrue(stat.S_ISSOCK(info.st_mode))
            self.assertEqual(stat.S_IMODE(info.st_mode), 0o600, oct(info.st_mode))
            health = self.tlsgate("health", "--admin", address)
            self.assertEqual((health.returncode, health.stderr), (0, ""))
            status = self.tlsgate("status", "--admin", address)
            self.assertEqual(status.returncode, 0, status.stderr)
            self.assertEqual(status.stdout, "tlsgate 0.1.0, generation 1, 1 listener, 0 connections\n")
            # Nothing on TCP.
            self.assertTrue(harness.refuses(self.admin_port))
        self.assertFalse(os.path.exists(sock_path), "the socket file outlived the daemon")
        health = self.tlsgate("health", "--admin", address)
        self.assertEqual(health.returncode, 1)


if __name__ == "__main__":
    unittest.main()
