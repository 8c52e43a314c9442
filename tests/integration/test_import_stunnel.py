"""`tlsgate import stunnel` against the real stunnel: each test writes a
stunnel.conf, runs Debian's stunnel4 on it, runs tlsgate on what `tlsgate
import stunnel` made of the same file, and drives the same clients through
both. The outcomes must be the same: the certificate served, a refusal and
its alert, the TLS version, and the exact bytes that reach the backend (or
the TLS server behind a client service).

The two copies of a stunnel.conf differ only in their accept ports, so that
both programs run side by side."""

import contextlib
import grp
import hashlib
import os
import pwd
import re
import shutil
import smtplib
import socket
import ssl
import unittest

import harness
import peers
from harness import IntegrationTest, TlsClient, TlsServer, free_port, recv_until_eof

SAMPLE = "/usr/share/doc/stunnel4/examples/stunnel.conf-sample"
# The warning of every conversion whose TLS 1.2 services set no ciphers.
CIPHER_DEFAULT_WARNING = (
    "no ciphers line: stunnel's default TLS 1.2 cipher list, HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK, also "
    "admits CBC suites (LUCKY13); tlsgate's default admits only ECDHE+AESGCM:ECDHE+CHACHA20, for "
    "this and every other service without ciphers. To keep stunnel's list, set cipher: "
    "\"HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK\"")

# Both programs stay in the foreground and log to stderr only.
GLOBAL = "foreground = yes\nsyslog = no\ndebug = info\n\n"

# Every byte value, CR LF pairs and lone CRs, so that neither program can
# rewrite anything unnoticed.
PAYLOAD = bytes(range(256)) + b"\r\nline two\rno newline\r\n\x00" * 3


class Stunnel(peers.Peer):
    """stunnel4 in the foreground on a configuration the test wrote; ready
    when each of `ports` is in LISTEN state (read from /proc, so no probe
    connection reaches a backend)."""

    name = "stunnel"

    def __init__(self, conf, ports, paths=(), log=None):
        super().__init__()
        self.program = harness.tool("stunnel4")
        self.conf = conf
        self.ports = list(ports)
        self.paths = list(paths)
        self.log = log

    def argv(self):
        return [self.program, self.conf]

    def ready(self):
        return all(peers.listening(port) for port in self.ports) and all(os.path.exists(p) for p in self.paths)

    def text(self):
        with open(self.conf) as f:
            text = f"[{self.conf}]\n{f.read()}\n" + super().text()
        if self.log and os.path.exists(self.log):
            with open(self.log, errors="replace") as f:
                text += f"\n[{self.log}]\n" + f.read()
        return text


class RecordingServer(harness._ThreadedServer):
    """Records, per connection, every byte it receives (in handle())."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.received = []

    def record(self):
        """A new connection's list of chunks, to append to."""
        chunks = []
        with self.lock:
            self.received.append(chunks)
        return chunks

    def connections(self):
        with self.lock:
            return len(self.received)

    def since(self, mark):
        """The bytes of each connection after the first `mark` ones."""
        with self.lock:
            return [b"".join(chunks) for chunks in self.received[mark:]]


class RecordingEchoServer(RecordingServer):
    """Echoes every byte and records it; on EOF it shuts down its write
    side."""

    def handle(self, conn, peer):
        chunks = self.record()
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


class RecordingSmtpServer(RecordingServer):
    """A plaintext SMTP server that answers just enough for smtplib's
    sendmail and records every byte it received, per connection."""

    GREETING = b"220 mx.recording.test ESMTP recording server\r\n"

    def handle(self, conn, peer):
        chunks = self.record()
        conn.sendall(self.GREETING)
        buf = b""
        in_data = False
        while True:
            data = conn.recv(65536)
            if not data:
                return
            chunks.append(data)
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if in_data:
                    if line == b".\r":
                        in_data = False
                        conn.sendall(b"250 2.0.0 queued\r\n")
                    continue
                word = line.strip().split(b" ", 1)[0].upper()
                if word in (b"EHLO", b"HELO"):
                    conn.sendall(b"250-mx.recording.test\r\n250-8BITMIME\r\n250 HELP\r\n")
                elif word == b"DATA":
                    in_data = True
                    conn.sendall(b"354 go ahead\r\n")
                elif word == b"QUIT":
                    conn.sendall(b"221 2.0.0 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 2.1.0 ok\r\n")


def await_verdict(client):
    """In TLS 1.3 the client's handshake ends before the server has judged
    the client's certificate; its verdict is the next thing it sends, a
    session ticket or an alert. Wait for it before sending data: a server
    that closes with the client's data unread resets the connection, and the
    reset could overtake the alert."""
    if client.version != "TLSv1.3":
        return
    while True:
        try:
            data = client.obj.read(1)
        except ssl.SSLWantReadError:
            session = client.obj.session
            if session is not None and session.has_ticket:
                return
            if client.tcp_eof:
                raise ConnectionAbortedError("closed before a session ticket or an alert")
            client._fill()
            continue
        raise AssertionError(f"the server sent {data!r} before any session ticket")


def connect_to(where):
    """A plaintext connection to a port on 127.0.0.1, or to a unix socket
    given by its path."""
    if isinstance(where, int):
        return socket.create_connection(("127.0.0.1", where), timeout=harness.IO_TIMEOUT)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(harness.IO_TIMEOUT)
    sock.connect(where)
    return sock


def refusal(error):
    """What a refused connection looks like to the client, in words both
    programs can be compared by."""
    if isinstance(error, ssl.SSLError):
        return f"tls alert: {error.reason}"
    if isinstance(error, (ConnectionError, OSError)):
        return "connection closed"
    raise error


class UnixRecordingEchoServer(RecordingEchoServer):
    """A RecordingEchoServer on a unix socket at `path`."""

    def __init__(self, path):
        super().__init__()
        self.sock.close()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.path = path


class ProxyLines:
    """A peers.ProxyHeaderRecorder seen as a recording backend: each
    connection's PROXY v1 line with its ports left out."""

    def __init__(self, recorder):
        self.recorder = recorder

    def connections(self):
        with self.recorder.lock:
            return len(self.recorder.headers)

    def since(self, mark):
        with self.recorder.lock:
            return [re.sub(rb" \d+ \d+\r\n$", b" PORT PORT\r\n", h["raw"]) for h in self.recorder.headers[mark:]]


class ListeningTlsgate(harness.Tlsgate):
    """tlsgate on a converted file that logs to a file: ready when its
    ports and unix sockets listen."""

    def __init__(self, config_path, ports, paths=(), log=None):
        super().__init__(config_path)
        self.ports, self.paths, self.log = list(ports), list(paths), log

    def text(self):
        text = super().text()
        if self.log and os.path.exists(self.log):
            with open(self.log, errors="replace") as f:
                text += f"\n[{self.log}]\n" + f.read()
        return text

    def _wait_ready(self):
        harness.wait_until(lambda: all(peers.listening(p) for p in self.ports)
                           and all(os.path.exists(p) for p in self.paths),
                           self.ready_timeout, what="tlsgate's listeners")


def pgsql_script(s):
    """A PostgreSQL server as far as the SSLRequest: 'S', TLS, then lines
    answered as peers.reply_over_tls does."""
    s.read_exactly(8)
    s.send(b"S")
    if s.start_tls():
        peers.reply_over_tls(s)


def line_talk(port, lines, final):
    """A plaintext client: waits for each reply matching `final` (a regex)
    before the next line. Returns every reply, then what came before EOF."""
    replies = []
    with peers.LineClient(port) as client:
        for line in lines:
            if line is not None:
                client.send(line)
            replies.append(client.read_reply(final))
        replies.append(client.read_until_eof())
    return replies


def smtp_talk(port):
    return line_talk(port, [None, b"EHLO client.test\r\n", b"NOOP\r\n", b"QUIT\r\n"], rb"^\d{3} ")


def pgsql_talk(port):
    return line_talk(port, [b"HELLO postgres\r\n", b"QUIT\r\n"], rb"^\d{3} ")


class ImportStunnelTest(IntegrationTest):

    def setUp(self):
        harness.tool("stunnel4")
        super().setUp()
        # Certificates by fingerprint, so that outcomes name the file served.
        self.cert_names = {}
        self.name_cert(self.pki.server_cert)
        self.name_cert(self.pki.untrusted_cert)

    def name_cert(self, path):
        self.cert_names[harness.cert_sha256(path)] = os.path.basename(path)
        return path

    # ------------------------------------------------------------------ running both

    def write(self, name, text):
        path = self.file(name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def convert(self, conf, expect_exit=0):
        """`tlsgate import stunnel CONF -o CONF.yaml`; returns (yaml path, stderr)."""
        return self.convert_to(conf, conf + ".yaml", expect_exit)

    def convert_to(self, conf, out, expect_exit=0):
        """expect_exit=0 also takes 3 when the one warning is about the TLS 1.2
        cipher default, a difference that test_tls12_cbc_only_client pins."""
        proc = harness.run([self.binary, "import", "stunnel", conf, "-o", out], check=False)
        warnings = [line for line in proc.stderr.splitlines() if ": warning: " in line]
        only_cipher_default = len(warnings) == 1 and warnings[0].endswith(CIPHER_DEFAULT_WARNING)
        if expect_exit == 0 and proc.returncode == 3 and only_cipher_default:
            return out, proc.stderr
        self.assertEqual(proc.returncode, expect_exit, f"import of {conf}:\n{proc.stderr}")
        return out, proc.stderr

    @contextlib.contextmanager
    def both(self, services, names, expect_exit=0):
        """Run stunnel on GLOBAL + services(ports) and tlsgate on the
        conversion of the same text with other accept ports. `names` are
        the accept ports the text needs; yields {"stunnel": ports,
        "tlsgate": ports}, each a dict by name."""
        ports = {side: {name: free_port() for name in names} for side in ("stunnel", "tlsgate")}
        original = self.write("stunnel.conf", GLOBAL + services(ports["stunnel"]))
        copy = self.write("tlsgate-source.conf", GLOBAL + services(ports["tlsgate"]))
        converted, _ = self.convert(copy, expect_exit)
        with Stunnel(original, ports["stunnel"].values()), harness.Tlsgate(converted):
            yield ports

    # ------------------------------------------------------------------ probes

    def client_context(self, cert=None, key=None, max_version=None):
        """A client that accepts any server certificate (the outcome names
        the one served), optionally with a certificate of its own."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if cert:
            ctx.load_cert_chain(cert, key)
        if max_version:
            ctx.maximum_version = max_version
        return ctx

    def tls_probe(self, port, ctx, backend, server_hostname="localhost", payload=PAYLOAD):
        """One TLS connection: the payload, close_notify, read to the end.
        Returns what happened: the certificate served, the version, the
        echo, a refusal, and what reached the backend."""
        mark = backend.connections()
        outcome = {}
        try:
            with TlsClient(port, ctx, server_hostname=server_hostname) as client:
                client.handshake()
                der = client.obj.getpeercert(binary_form=True)
                outcome["certificate"] = self.cert_names.get(hashlib.sha256(der).hexdigest(), "unknown")
                outcome["version"] = client.version
                await_verdict(client)
                client.sendall(payload)
                client.close_notify()
                outcome["echo_ok"] = client.recv_until_eof() == payload
                outcome["end"] = client.tls_eof
        except (ssl.SSLError, OSError) as e:
            outcome["refused"] = refusal(e)
        outcome["backend"] = backend.since(mark)
        return outcome

    def probe_both(self, ports, name, *args, **kw):
        """tls_probe through stunnel and through tlsgate; asserts that the
        outcomes are equal and returns the one outcome."""
        seen = {side: self.tls_probe(ports[side][name], *args, **kw) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["tlsgate"], seen["stunnel"], f"[{name}]: tlsgate differs from stunnel")
        return seen["stunnel"]

    def assert_passed(self, outcome, certificate="server.pem", version="TLSv1.3"):
        self.assertEqual(outcome, {"certificate": certificate, "version": version, "echo_ok": True,
                                   "end": "close_notify", "backend": [PAYLOAD]})

    def assert_refused(self, outcome, reason):
        self.assertRegex(outcome.get("refused", ""), reason, outcome)
        self.assertEqual(outcome["backend"], [], "a refused client reached the backend")

    # ------------------------------------------------------------------ 1. plain server service

    def plain_service(self, backend):
        """A server service in front of `backend`, as services(ports) for both()."""
        def conf(ports):
            return (f"[plain]\naccept = 127.0.0.1:{ports['plain']}\nconnect = 127.0.0.1:{backend.port}\n"
                    f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\n")
        return conf

    def test_server_service_relays_the_same_bytes(self):
        with RecordingEchoServer() as backend:
            with self.both(self.plain_service(backend), ["plain"]) as ports:
                self.assert_passed(self.probe_both(ports, "plain", self.client_context(), backend))

    # ------------------------------------------------------------------ 2. client certificates

    def test_verify_chain_requires_a_client_certificate_from_cafile(self):
        os.mkdir(self.file("other-ca"))
        other = harness.Pki(self.file("other-ca")).generate()
        with RecordingEchoServer() as backend:
            def conf(ports):
                return (f"[clients]\naccept = 127.0.0.1:{ports['clients']}\nconnect = 127.0.0.1:{backend.port}\n"
                        f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\n"
                        f"verifyChain = yes\nCAfile = {self.pki.ca}\n")
            with self.both(conf, ["clients"]) as ports:
                without = self.probe_both(ports, "clients", self.client_context(), backend)
                self.assert_refused(without, r"CERTIFICATE_REQUIRED")
                foreign = self.probe_both(ports, "clients", self.client_context(other.client_cert, other.client_key),
                                          backend)
                self.assert_refused(foreign, r"UNKNOWN_CA")
                good = self.probe_both(ports, "clients",
                                       self.client_context(self.pki.client_cert, self.pki.client_key), backend)
                self.assert_passed(good)

    # ------------------------------------------------------------------ 3. sni secondaries

    def test_sni_secondary_services_serve_the_same_certificates(self):
        other_cert, other_key = self.pki.extra_server_cert("other", "other.test")
        self.name_cert(other_cert)
        with RecordingEchoServer() as primary_backend, RecordingEchoServer() as other_backend:
            def conf(ports):
                return (f"[primary]\naccept = 127.0.0.1:{ports['primary']}\n"
                        f"connect = 127.0.0.1:{primary_backend.port}\n"
                        f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\n\n"
                        f"[other]\nsni = primary:other.test\nconnect = 127.0.0.1:{other_backend.port}\n"
                        f"cert = {other_cert}\nkey = {other_key}\n")
            with self.both(conf, ["primary"]) as ports:
                ctx = self.client_context()
                named = self.probe_both(ports, "primary", ctx, other_backend, server_hostname="other.test")
                self.assert_passed(named, certificate="other.pem")
                for unnamed in ("unknown.test", None):
                    outcome = self.probe_both(ports, "primary", ctx, primary_backend, server_hostname=unnamed)
                    self.assert_passed(outcome)
                self.assertEqual(other_backend.connections(), 2, "only other.test goes to [other]'s backend")

    # ------------------------------------------------------------------ 4. protocol versions

    def test_a_tls12_client_with_and_without_ssl_version_min(self):
        with RecordingEchoServer() as backend:
            def conf(ports):
                return (f"[any]\naccept = 127.0.0.1:{ports['any']}\nconnect = 127.0.0.1:{backend.port}\n"
                        f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\n\n"
                        f"[modern]\naccept = 127.0.0.1:{ports['modern']}\nconnect = 127.0.0.1:{backend.port}\n"
                        f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\nsslVersionMin = TLSv1.3\n")
            with self.both(conf, ["any", "modern"]) as ports:
                tls12 = self.client_context(max_version=ssl.TLSVersion.TLSv1_2)
                self.assert_passed(self.probe_both(ports, "any", tls12, backend), version="TLSv1.2")
                self.assert_refused(self.probe_both(ports, "modern", tls12, backend), r"PROTOCOL_VERSION")
                self.assert_passed(self.probe_both(ports, "modern", self.client_context(), backend))

    # ------------------------------------------------------------------ 5. protocol = smtp

    def smtp_upgrade_probe(self, port, backend):
        """smtplib to a server service with protocol = smtp: greeting, EHLO,
        STARTTLS, EHLO again, one message, QUIT. Returns what the client saw
        and what the plaintext backend received."""
        mark = backend.connections()
        client = smtplib.SMTP(timeout=harness.IO_TIMEOUT)
        try:
            code, greeting = client.connect("127.0.0.1", port)
            outcome = {"greeting": (code, greeting)}
            client.ehlo("client.test")
            outcome["offered_starttls"] = client.has_extn("starttls")
            client._host = "localhost"  # the name smtplib's starttls sends as SNI
            client.starttls(context=self.client_context())
            der = client.sock.getpeercert(binary_form=True)
            outcome["certificate"] = self.cert_names.get(hashlib.sha256(der).hexdigest(), "unknown")
            outcome["version"] = client.sock.version()
            outcome["after_tls"] = client.ehlo("client.test")
            outcome["refused"] = client.sendmail("alice@example.test", ["bob@example.test"],
                                                 b"Subject: through protocol = smtp\r\n\r\n" + PAYLOAD[32:127])
            outcome["quit"] = client.quit()
        finally:
            client.close()
        harness.wait_until(lambda: backend.connections() > mark, harness.IO_TIMEOUT, what="the backend connection")
        outcome["backend"] = backend.since(mark)
        return outcome

    def test_protocol_smtp_server_offers_starttls(self):
        with RecordingSmtpServer() as backend:
            def conf(ports):
                return (f"[smtps]\naccept = 127.0.0.1:{ports['smtps']}\nconnect = 127.0.0.1:{backend.port}\n"
                        f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\nprotocol = smtp\n")
            with self.both(conf, ["smtps"]) as ports:
                seen = {side: self.smtp_upgrade_probe(ports[side]["smtps"], backend)
                        for side in ("stunnel", "tlsgate")}
                # The one difference: stunnel connects to the backend first and
                # passes its greeting on with "stunnel for" put in; tlsgate
                # greets with its own host name and connects after the upgrade.
                self.assertEqual(seen["stunnel"].pop("greeting"),
                                 (220, b"mx.recording.test stunnel for ESMTP recording server"))
                code, greeting = seen["tlsgate"].pop("greeting")
                self.assertEqual(code, 220)
                self.assertRegex(greeting, rb"^\S+ ESMTP ready$")
                self.assertEqual(seen["tlsgate"], seen["stunnel"])
                self.assertTrue(seen["stunnel"]["offered_starttls"])
                self.assertEqual(len(seen["stunnel"]["backend"]), 1)
                self.assertRegex(seen["stunnel"]["backend"][0], rb"^ehlo client\.test\r\nmail FROM:")
                self.assertEqual(seen["stunnel"]["version"], "TLSv1.3")

    def exim_relay_probe(self, port, exim, subject):
        """A plaintext smtplib client through a client service with protocol
        = smtp to Exim, which offers STARTTLS: one message. Returns what the
        client saw and how Exim received the message."""
        client = smtplib.SMTP(timeout=harness.IO_TIMEOUT)
        try:
            code, greeting = client.connect("127.0.0.1", port)
            # Exim's greeting carries the time of day.
            outcome = {"greeting": (code, re.sub(rb", \d.*", b"", greeting))}
            code, features = client.ehlo("client.test")
            outcome["ehlo"] = (code, features)
            outcome["refused"] = client.sendmail("alice@example.test", ["bob@example.test"],
                                                 f"Subject: {subject}\r\n\r\nrelayed by a client service\r\n")
            outcome["quit"] = client.quit()
        finally:
            client.close()
        message = exim.wait_for_message(subject)
        received = re.search(r"^Received: (.*?)\n\S", message, re.M | re.S).group(1)
        received = re.sub(r"id \S+.*", "", received, flags=re.S)
        # The suite differs: tlsgate puts TLS_AES_128_GCM_SHA256 first, stunnel
        # OpenSSL's order (test_tls13_suite_choice_differs).
        received = re.sub(r" tls \S+", " tls SUITE", received)
        outcome["received"] = re.sub(r"\s+", " ", received).strip()
        outcome["body"] = message.split("\n\n", 1)[1]
        return outcome

    def test_protocol_smtp_client_upgrades_at_exim(self):
        with peers.Exim(self.pki) as exim:
            def conf(ports):
                return (f"[submit]\nclient = yes\naccept = 127.0.0.1:{ports['submit']}\n"
                        f"connect = localhost:{exim.port}\nprotocol = smtp\n"
                        f"verifyChain = yes\nCAfile = {self.pki.ca}\ncheckHost = localhost\n")
            with self.both(conf, ["submit"]) as ports:
                seen = {side: self.exim_relay_probe(ports[side]["submit"], exim, f"relayed by {side}")
                        for side in ("stunnel", "tlsgate")}
                self.assertEqual(seen["tlsgate"], seen["stunnel"])
                self.assertRegex(seen["stunnel"]["received"], r"with esmtps \(TLS1\.3\)")

    # ------------------------------------------------------------------ 6. client services

    def plain_probe(self, port, server, payload=PAYLOAD):
        """A plaintext client through a client service to `server`: the
        payload, FIN, read to the end. Returns what the client got and what
        the TLS server saw."""
        with server.lock:
            events, errors, names = len(server.events), len(server.errors), len(server.server_names)
        with connect_to(port) as sock:
            try:
                sock.sendall(payload)
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            data, how = recv_until_eof(sock)
        # stunnel's `reset = yes` (its default) ends a failed connection with
        # an RST, tlsgate with a FIN; for the client both say "closed".
        how = "closed" if how in ("eof", "reset") else how
        # The server's record of this connection is written before it closes.
        harness.wait_until(lambda: len(server.events) > events or len(server.errors) > errors,
                           harness.IO_TIMEOUT, what="the TLS server to finish the connection")
        with server.lock:
            return {"reply": data, "how": how, "server_saw": server.events[events:],
                    "server_errors": [re.sub(r"\(_ssl\.c:\d+\)", "", e) for e in server.errors[errors:]],
                    "sni": server.server_names[names:]}

    def plain_probe_both(self, ports, name, server):
        seen = {side: self.plain_probe(ports[side][name], server) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["tlsgate"], seen["stunnel"], f"[{name}]: tlsgate differs from stunnel")
        return seen["stunnel"]

    def test_client_service_verifies_the_server(self):
        good_ctx = self.pki.server_context()
        bad_ctx = self.pki.server_context(untrusted=True)
        with TlsServer(good_ctx, mode="echo") as good, TlsServer(bad_ctx, mode="echo") as bad:
            def conf(ports):
                return "".join(f"[{name}]\nclient = yes\naccept = 127.0.0.1:{ports[name]}\n"
                               f"connect = localhost:{server.port}\n"
                               f"verifyChain = yes\nCAfile = {self.pki.ca}\ncheckHost = localhost\n\n"
                               for name, server in (("good", good), ("bad", bad)))
            with self.both(conf, ["good", "bad"]) as ports:
                passed = self.plain_probe_both(ports, "good", good)
                digest = hashlib.sha256(PAYLOAD).hexdigest()
                self.assertEqual(passed["reply"], PAYLOAD)
                self.assertEqual(passed["server_saw"], [("close_notify", len(PAYLOAD), digest)])
                self.assertEqual(passed["sni"], ["localhost"])
                refused = self.plain_probe_both(ports, "bad", bad)
                self.assertEqual(refused["reply"], b"")
                self.assertEqual(refused["server_saw"], [])
                self.assertEqual(len(refused["server_errors"]), 1, refused)
                self.assertRegex(refused["server_errors"][0], r"UNKNOWN_CA")

    def test_client_service_to_an_ip_address_sends_no_sni(self):
        """A difference: stunnel sends a literal IP address as SNI,
        which RFC 6066 section 3 forbids; tlsgate sends none."""
        with TlsServer(self.pki.server_context(), mode="echo") as server:
            def conf(ports):
                return (f"[by-ip]\nclient = yes\naccept = 127.0.0.1:{ports['by-ip']}\n"
                        f"connect = 127.0.0.1:{server.port}\n"
                        f"verifyChain = yes\nCAfile = {self.pki.ca}\ncheckHost = localhost\n")
            with self.both(conf, ["by-ip"]) as ports:
                seen = {side: self.plain_probe(ports[side]["by-ip"], server) for side in ("stunnel", "tlsgate")}
                self.assertEqual(seen["stunnel"].pop("sni"), ["127.0.0.1"])
                self.assertEqual(seen["tlsgate"].pop("sni"), [None])
                self.assertEqual(seen["tlsgate"], seen["stunnel"])
                self.assertEqual(seen["tlsgate"]["reply"], PAYLOAD)

    # ------------------------------------------------------------------ 7. Debian's sample

    SAMPLE_WARNINGS = [f"{SAMPLE}:62: warning: {CIPHER_DEFAULT_WARNING}"] + [
        f"{SAMPLE}:{line}: warning: OCSPaia = yes left out: tlsgate does not check peer certificates "
        "with OCSP" for line in (69, 78, 87)]

    def sample(self):
        if not os.path.exists(SAMPLE):
            raise unittest.SkipTest(f"{SAMPLE} is not installed (stunnel4's examples)")
        with open(SAMPLE, encoding="utf-8") as f:
            return f.read()

    def test_debian_sample_converts_with_three_ocsp_warnings(self):
        self.sample()
        converted, stderr = self.convert_to(SAMPLE, self.file("sample.yaml"), expect_exit=3)
        warnings = [line for line in stderr.splitlines() if ": warning: " in line]
        self.assertEqual(warnings, self.SAMPLE_WARNINGS)
        check = harness.run([self.binary, "check", "-c", converted], check=False)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("ok (3 listener(s))", check.stdout + check.stderr)

    def adapted_sample(self, ports, servers, capath):
        """The sample with only its ports and addresses changed, CApath
        pointed at the test CA, and `;foreground = yes` taken out of its
        comment so that both programs stay under the test's control."""
        text = self.sample()
        text, n = re.subn(r"(?m)^;foreground = yes$", "foreground = yes", text)
        self.assertEqual(n, 1)
        for name, server in servers.items():
            section = re.escape(f"[gmail-{name}]")
            text, n = re.subn(rf"(?s)({section}.*?^accept = )127\.0\.0\.1:\d+$", rf"\g<1>127.0.0.1:{ports[name]}",
                              text, count=1, flags=re.M)
            self.assertEqual(n, 1, name)
            text, n = re.subn(rf"(?s)({section}.*?^connect = )\S+$", rf"\g<1>localhost:{server.port}",
                              text, count=1, flags=re.M)
            self.assertEqual(n, 1, name)
        text, n = re.subn(r"(?m)^CApath = /etc/ssl/certs$", f"CApath = {capath}", text)
        self.assertEqual(n, 3)
        return text

    def test_debian_sample_adapted_behaves_the_same(self):
        capath = self.file("capath")
        os.mkdir(capath)
        shutil.copy(self.pki.ca, os.path.join(capath, "test-ca.pem"))
        harness.run([harness.tool("openssl"), "rehash", capath])
        pop = self.pki.extra_server_cert("pop", "pop.gmail.com")
        os.mkdir(self.file("other-ca"))
        other = harness.Pki(self.file("other-ca")).generate()
        smtp = other.extra_server_cert("smtp", "smtp.gmail.com")

        def context(cert, key):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            return ctx

        # pop: the right name from the test CA; imap: a certificate for
        # pop.gmail.com (checkHost refuses it); smtp: the right name from
        # another CA (CApath refuses it).
        with TlsServer(context(*pop)) as pop_server, TlsServer(context(*pop)) as imap_server, \
                TlsServer(context(*smtp)) as smtp_server:
            servers = {"pop3": pop_server, "imap": imap_server, "smtp": smtp_server}
            ports = {side: {name: free_port() for name in servers} for side in ("stunnel", "tlsgate")}
            original = self.write("stunnel.conf", self.adapted_sample(ports["stunnel"], servers, capath))
            copy = self.write("tlsgate-source.conf", self.adapted_sample(ports["tlsgate"], servers, capath))
            converted, stderr = self.convert(copy, expect_exit=3)
            self.assertEqual([line for line in stderr.splitlines() if ": warning: " in line],
                             [w.replace(SAMPLE, copy) for w in self.SAMPLE_WARNINGS])
            with Stunnel(original, ports["stunnel"].values()), harness.Tlsgate(converted):
                passed = self.plain_probe_both(ports, "pop3", pop_server)
                self.assertEqual(passed["reply"], PAYLOAD)
                self.assertEqual(passed["server_saw"],
                                 [("close_notify", len(PAYLOAD), hashlib.sha256(PAYLOAD).hexdigest())])
                # A chain from another CA: the same alert from both.
                refused = self.plain_probe_both(ports, "smtp", smtp_server)
                self.assertEqual(refused["reply"], b"")
                self.assertEqual(refused["server_saw"], [])
                self.assertEqual(len(refused["server_errors"]), 1, refused)
                self.assertRegex(refused["server_errors"][0], r"UNKNOWN_CA")
                # The wrong name: both refuse, with different alerts. stunnel
                # checks checkHost in its verify callback and ends with
                # internal_error; tlsgate has OpenSSL check the name and sends
                # bad_certificate.
                seen = {side: self.plain_probe(ports[side]["imap"], imap_server) for side in ("stunnel", "tlsgate")}
                self.assertRegex(seen["stunnel"].pop("server_errors")[0], r"ALERT_INTERNAL_ERROR")
                self.assertRegex(seen["tlsgate"].pop("server_errors")[0], r"ALERT_BAD_CERTIFICATE")
                self.assertEqual(seen["tlsgate"], seen["stunnel"])
                self.assertEqual(seen["tlsgate"]["reply"], b"")
                self.assertEqual(seen["tlsgate"]["server_saw"], [])


    # ------------------------------------------------------------------ cipher defaults

    def cipher_probe(self, port, ctx):
        try:
            with TlsClient(port, ctx) as client:
                client.handshake()
                return client.version, client.cipher[0]
        except (ssl.SSLError, OSError) as e:
            return refusal(e)

    def test_tls13_suite_choice_differs(self):
        """Where the client lists AES-256 first (Python, OpenSSL), stunnel
        follows the client and tlsgate its own order, AES-128 first (see
        docs/configuration.md, ciphersuites). Both are TLS 1.3 AEAD suites;
        the import does not carry stunnel's order over."""
        with RecordingEchoServer() as backend, self.both(self.plain_service(backend), ["plain"]) as ports:
            ctx = self.client_context()
            stunnel, tlsgate = (self.cipher_probe(ports[side]["plain"], ctx) for side in ("stunnel", "tlsgate"))
            self.assertEqual(stunnel, ("TLSv1.3", "TLS_AES_256_GCM_SHA384"))
            self.assertEqual(tlsgate, ("TLSv1.3", "TLS_AES_128_GCM_SHA256"))

    def test_tls12_cbc_only_client_is_refused_by_tlsgate_as_the_import_warns(self):
        """stunnel's default `ciphers` is HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK,
        which admits CBC suites; tlsgate keeps its own AEAD-only default and
        the import says so. A TLS 1.2 client that offers only
        ECDHE-ECDSA-AES128-SHA passes stunnel and is refused by tlsgate; with
        the `cipher` the warning suggests, tlsgate accepts it too."""
        with RecordingEchoServer() as backend:
            conf = self.write("cbc.conf", GLOBAL + self.plain_service(backend)({"plain": free_port()}))
            _, stderr = self.convert_to(conf, conf + ".yaml", expect_exit=3)
            self.assertIn(CIPHER_DEFAULT_WARNING, stderr)
            ctx = self.client_context(max_version=ssl.TLSVersion.TLSv1_2)
            ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA")
            with self.both(self.plain_service(backend), ["plain"]) as ports:
                stunnel, tlsgate = (self.cipher_probe(ports[side]["plain"], ctx) for side in ("stunnel", "tlsgate"))
            self.assertEqual(stunnel, ("TLSv1.2", "ECDHE-ECDSA-AES128-SHA"))
            self.assertNotEqual(tlsgate, stunnel)
            kept = lambda ports: self.plain_service(backend)(ports) + 'ciphers = HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK\n'
            with self.both(kept, ["plain"]) as ports:
                stunnel, tlsgate = (self.cipher_probe(ports[side]["plain"], ctx) for side in ("stunnel", "tlsgate"))
            self.assertEqual(tlsgate, stunnel)

    # ------------------------------------------------------------------ 8. every option

    # What the import says about EVERY_OPTION, line by line: the warnings that
    # docs/migrating-from-stunnel.md names, and no other. {source} is the
    # converted file, {included} the file of the include directory.
    EVERY_OPTION_WARNINGS = [
        "{source}:6: warning: log = overwrite: tlsgate appends to its log file",
        "{source}:39: warning: TIMEOUTidle = 600 for [server]: tlsgate's timeouts are the same for every "
        "listener, and "
        "the longest one, 12h, applies",
        "{included}:1: warning: " + CIPHER_DEFAULT_WARNING,
        "{source}:57: warning: ticketKeySecret = (not shown) left out: tlsgate reads ticket keys from a file: "
        "write one base64 80-byte key per line and set session.ticket_keys",
        "{source}:58: warning: ticketMacSecret = (not shown) left out: tlsgate reads ticket keys from a file: "
        "write one base64 80-byte key per line and set session.ticket_keys",
        "{source}:59: warning: OCSP = http://127.0.0.1:9/ left out: tlsgate does not check peer certificates "
        "with OCSP",
        "{source}:60: warning: OCSPflag = NOCERTS left out: tlsgate does not check peer certificates with OCSP",
        "{source}:62: warning: PSKsecrets = (not shown) left out: tlsgate does not do TLS with pre-shared keys; "
        "use certificates",
        "{source}:63: warning: debug = 5 left out: tlsgate has one log level for the whole process, "
        "global.log.level",
        "{source}:74: warning: checkEmail = client@example.test left out: tlsgate cannot admit client "
        "certificates by e-mail address; pin them (allow.sha256) or name them (allow.subject_cn)",
        "{source}:111: warning: logId = sequential left out: tlsgate numbers connections itself (the id field "
        "of each log line)",
        "{source}:112: warning: socket = l:SO_KEEPALIVE=yes left out: tlsgate sets SO_REUSEADDR on listening "
        "sockets and TCP_NODELAY on connections, and no other socket option",
        "{source}:141: warning: local = 127.0.0.1 left out: tlsgate takes the source address of backend "
        "connections from the routing table",
        "{source}:154: warning: CRLpath = {dir}/crls left out: tlsgate reads CRLs from one file "
        "(client_certs.crl), not from a hashed directory",
        "{source}:172: warning: protocolUsername = proxyuser left out: tlsgate reads proxy credentials from a "
        "file: put 'user:password' on its first line and set via.auth_file",
        "{source}:173: warning: protocolPassword = (not shown) left out: tlsgate reads proxy credentials from "
        "a file: put 'user:password' on its first line and set via.auth_file",
        "{source}:174: warning: protocolAuthentication = basic left out: tlsgate authenticates to an HTTP "
        "proxy with Basic only",
        "{source}:175: warning: protocolHeader = X-Everyopt: yes left out: tlsgate sends no extra headers to "
        "an HTTP proxy",
        "{source}:5: warning: pid = {dir}/{side}.pid left out: tlsgate writes no PID file: it runs in the "
        "foreground and systemd tracks it",
        "{source}:7: warning: chroot = / left out: tlsgate does not chroot itself; systemd's sandboxing does "
        "more (see docs/deployment.md)",
        "{source}:9: warning: service = everyopt left out: tlsgate has no inetd mode; systemd socket "
        "activation does that job",
        "{source}:10: warning: engine = auto left out: tlsgate loads keys from files only, not from OpenSSL "
        "engines",
    ]

    def every_option_files(self):
        """The certificates, CRLs, CA directory and PSK file that
        EVERY_OPTION names."""
        pki = self.pki
        # A client certificate that checkHost, checkIP and checkEmail admit,
        # and one like it that the CRL revokes.
        for name in ("named-client", "revoked-client"):
            pki._leaf(name, f"/CN={name}.test", "subjectAltName=DNS:client.test,IP:127.0.0.1,"
                      "email:client@example.test\nextendedKeyUsage=clientAuth\n")
        crl = pki.revocation_list([pki.path("revoked-client.pem")])
        other_cert, other_key = pki.extra_server_cert("other", "other.test")
        self.name_cert(other_cert)
        for directory, files in (("capath", [pki.ca]), ("crls", [crl])):
            os.mkdir(self.file(directory))
            for path in files:
                shutil.copy(path, self.file(directory))
            harness.run([harness.tool("openssl"), "rehash", self.file(directory)])
        for side in ("stunnel", "tlsgate"):
            os.mkdir(self.file(f"conf.d-{side}"))
        psk = self.write("psk.txt", "everyopt:0123456789abcdef0123456789abcdef\n")
        os.chmod(psk, 0o600)
        return {"crl": crl, "other_cert": other_cert, "other_key": other_key, "psk": psk}

    def every_option(self, ports, side, backends, files):
        """A stunnel.conf with every option of docs/migrating-from-stunnel.md
        that stunnel 5.68 starts with (line numbers matter: see
        EVERY_OPTION_WARNINGS). Left out because stunnel 5.68 refuses them
        here: compression (this OpenSSL has no compression methods), TIMEOUTocsp
        and OCSPrequire (not in 5.68), EGD (needs an entropy daemon), engineId,
        engineNum, engineCtrl, engineDefault and CAengine (no engine with keys),
        sessiond (needs a session cache server), exec, execArgs, pty and config
        (no network backend), redirect (stunnel then completes the handshake
        of a refused client and connects it elsewhere), ident (waits for an IDENT reply from the client),
        protocolDomain (NTLM only), socks/ldap/nntp/cifs/capwin (no peer for
        them here) and a global setuid/setgid (the test's files are root's
        only). Not used: syslog = yes and foreground = no (the test reads
        both programs' logs), and the server side of protocol = smtp, which
        test_protocol_smtp_server_offers_starttls covers."""
        pki, d = self.pki, self.dir
        cert = f"cert = {pki.server_cert}\nkey = {pki.server_key}\n"
        with open(self.file(f"conf.d-{side}/10-included.conf"), "w") as f:
            f.write(f"[included]\naccept = 127.0.0.1:{ports['included']}\n"
                    f"connect = 127.0.0.1:{backends['main'].port}\n{cert}")
        return (
            # 1-16: global options, and defaults for every service
            f"foreground = yes\nsyslog = no\ndebug = daemon.info\noutput = {d}/{side}.log\n"
            f"pid = {d}/{side}.pid\nlog = overwrite\nchroot = /\nfips = no\nservice = everyopt\n"
            f"engine = auto\nRNDbytes = 64\nRNDfile = /dev/urandom\nRNDoverwrite = no\n"
            f"TIMEOUTbusy = 20\nTIMEOUTconnect = 4\nTIMEOUTclose = 2\n"
            # 17
            f"include = {d}/conf.d-{side}\n\n"
            # 19: a server service with two backends, the first one down
            f"[server]\naccept = 127.0.0.1:{ports['server']}\nconnect = 127.0.0.1:1\n"
            f"connect = 127.0.0.1:{backends['main'].port}\nfailover = prio\ndelay = no\n{cert}"
            "ciphers = ECDHE+AESGCM\nciphersuites = TLS_AES_256_GCM_SHA384\ncurves = P-256\n"
            "securityLevel = 2\nsslVersionMin = TLSv1.2\nsslVersionMax = TLSv1.3\noptions = NO_SSLv3\n"
            "options = CIPHER_SERVER_PREFERENCE\noptions = NO_RENEGOTIATION\nrenegotiation = no\n"
            "sessionCacheSize = 100\nsessionCacheTimeout = 60\nTIMEOUTidle = 600\n"
            "socket = a:SO_REUSEADDR=yes\nsocket = l:TCP_NODELAY=yes\n\n"
            # 42: its SNI secondary
            f"[other]\nsni = server:other.test\nconnect = 127.0.0.1:{backends['other'].port}\n"
            f"cert = {files['other_cert']}\nkey = {files['other_key']}\n\n"
            # 47: TLS 1.2 only, without tickets or resumption
            f"[tls12]\naccept = 127.0.0.1:{ports['tls12']}\nconnect = 127.0.0.1:{backends['main'].port}\n{cert}"
            "sslVersion = TLSv1.2\noptions = NO_TICKET\nsessionResume = no\n"
            "ticketKeySecret = 6c:39:3f:99:e8:4b:7e:ee:ec:cc:ae:b7:4b:56:0b:5d\n"
            "ticketMacSecret = 6c:39:3f:99:e8:4b:7e:ee:ec:cc:ae:b7:4b:56:0b:5d:"
            "6c:39:3f:99:e8:4b:7e:ee:ec:cc:ae:b7:4b:56:0b:5d\n"
            "OCSP = http://127.0.0.1:9/\nOCSPflag = NOCERTS\nOCSPnonce = no\n"
            f"PSKsecrets = {files['psk']}\ndebug = 5\n\n"
            # 60: client certificates from the CA, by name, not revoked
            f"[clients]\naccept = 127.0.0.1:{ports['clients']}\nconnect = 127.0.0.1:{backends['main'].port}\n"
            f"{cert}verify = 2\nCAfile = {pki.ca}\nCRLfile = {files['crl']}\ncheckHost = client.test\n"
            "checkEmail = client@example.test\nOCSPaia = no\n\n"
            # 73: a certificate is optional, but checked by address when sent
            f"[request]\naccept = 127.0.0.1:{ports['request']}\nconnect = 127.0.0.1:{backends['main'].port}\n"
            f"{cert}verifyChain = yes\nrequireCert = no\nCAfile = {pki.ca}\ncheckIP = 127.0.0.1\n\n"
            # 82: stunnel asks for a certificate and ignores it
            f"[ignored]\naccept = 127.0.0.1:{ports['ignored']}\nconnect = 127.0.0.1:{backends['main'].port}\n"
            f"{cert}verify = 0\nCAfile = {pki.ca}\n\n"
            # 89: one self-signed client certificate, pinned
            f"[pinned]\naccept = 127.0.0.1:{ports['pinned']}\nconnect = 127.0.0.1:{backends['main'].port}\n"
            f"{cert}verify = 3\nCAfile = {pki.untrusted_cert}\nverifyPeer = yes\n\n"
            # 97: a PROXY v1 header to the backend
            f"[proxy]\naccept = 127.0.0.1:{ports['proxy']}\nconnect = 127.0.0.1:{backends['proxy'].port}\n"
            f"{cert}protocol = proxy\nreset = no\nlogId = sequential\nsocket = l:SO_KEEPALIVE=yes\n"
            "socket = r:TCP_NODELAY=yes\n\n"
            # 108: a server service to a unix socket
            f"[to-unix]\naccept = 127.0.0.1:{ports['to-unix']}\nconnect = {backends['unix'].path}\n{cert}\n"
            # 114: a client service on a unix socket, with a client certificate
            f"[client-unix]\nclient = yes\naccept = {d}/{side}-client.sock\nsetuid = nobody\nsetgid = nogroup\n"
            f"connect = localhost:{backends['tls'].port}\nsni = localhost\nverifyChain = yes\n"
            f"CAfile = {pki.ca}\ncheckHost = localhost\ncert = {pki.client_cert}\nkey = {pki.client_key}\n"
            "sessionResume = no\nlibwrap = no\ntransparent = none\n\n"
            # 126: by IP address
            f"[by-ip]\nclient = yes\naccept = 127.0.0.1:{ports['by-ip']}\n"
            f"connect = 127.0.0.1:{backends['tls'].port}\nlocal = 127.0.0.1\nretry = no\n"
            f"verify = 2\nCAfile = {pki.ca}\ncheckIP = 127.0.0.1\n\n"
            # 133: STARTTLS at an SMTP server
            f"[smtp]\nclient = yes\naccept = 127.0.0.1:{ports['smtp']}\nconnect = localhost:{backends['smtp'].port}\n"
            f"protocol = smtp\nverifyChain = yes\nCApath = {d}/capath\nCRLpath = {d}/crls\n"
            "checkHost = localhost\n\n"
            # 140: PostgreSQL's SSLRequest
            f"[pgsql]\nclient = yes\naccept = 127.0.0.1:{ports['pgsql']}\n"
            f"connect = localhost:{backends['pgsql'].port}\nprotocol = pgsql\nverifyChain = yes\n"
            f"CAfile = {pki.ca}\ncheckHost = localhost\n\n"
            # 147: through an HTTP proxy
            f"[via]\nclient = yes\naccept = 127.0.0.1:{ports['via']}\nconnect = 127.0.0.1:{backends['proxy_http'].port}\n"
            f"protocol = connect\nprotocolHost = localhost:{backends['tls'].port}\nprotocolUsername = proxyuser\n"
            "protocolPassword = proxysecret\nprotocolAuthentication = basic\nprotocolHeader = X-Everyopt: yes\n"
            f"verifyChain = yes\nCAfile = {pki.ca}\ncheckHost = localhost\n")

    def test_every_option_converts_and_behaves_the_same(self):
        """Every stunnel option that the migration guide names, in one
        file: stunnel runs it, tlsgate its conversion, and one client per
        service gets the same outcome from both."""
        pki = self.pki
        files = self.every_option_files()
        tls_context = pki.server_context()
        tls_context.verify_mode = ssl.CERT_OPTIONAL
        tls_context.load_verify_locations(pki.ca)
        names = ["included", "server", "tls12", "clients", "request", "ignored", "pinned", "proxy", "to-unix",
                 "by-ip", "smtp", "pgsql", "via"]
        ports = {side: {name: free_port() for name in names} for side in ("stunnel", "tlsgate")}
        client_socket = {side: self.file(f"{side}-client.sock") for side in ("stunnel", "tlsgate")}
        with contextlib.ExitStack() as stack:
            backends = {
                "main": stack.enter_context(RecordingEchoServer()),
                "other": stack.enter_context(RecordingEchoServer()),
                "proxy": stack.enter_context(peers.ProxyHeaderRecorder()),
                "unix": stack.enter_context(UnixRecordingEchoServer(self.file("backend.sock"))),
                "tls": stack.enter_context(TlsServer(tls_context, mode="echo")),
                "smtp": stack.enter_context(peers.ScriptedServer(peers.smtp_script(), pki.server_context())),
                "pgsql": stack.enter_context(peers.ScriptedServer(pgsql_script, pki.server_context())),
            }
            backends["proxy_http"] = stack.enter_context(peers.Tinyproxy([backends["tls"].port]))
            original = self.write("stunnel.conf", self.every_option(ports["stunnel"], "stunnel", backends, files))
            copy = self.write("tlsgate-source.conf", self.every_option(ports["tlsgate"], "tlsgate", backends, files))
            converted, stderr = self.convert(copy, expect_exit=3)
            expected = [w.format(source=copy, included=self.file("conf.d-tlsgate/10-included.conf"), dir=self.dir,
                                 side="tlsgate") for w in self.EVERY_OPTION_WARNINGS]
            self.assertEqual([line for line in stderr.splitlines() if ": warning: " in line], expected)
            stack.enter_context(Stunnel(original, ports["stunnel"].values(), [client_socket["stunnel"]],
                                        log=self.file("stunnel.log")))
            stack.enter_context(ListeningTlsgate(converted, ports["tlsgate"].values(), [client_socket["tlsgate"]],
                                                 log=self.file("tlsgate.log")))
            self.every_option_probes(ports, client_socket, backends)

    def assert_wrong_name_refused(self, ports, name, ctx, backend):
        """A certificate whose names checkHost or checkIP do not admit: both
        refuse it, stunnel with internal_error (its verify callback fails)
        and tlsgate with bad_certificate, as for a backend's certificate."""
        seen = {side: self.tls_probe(ports[side][name], ctx, backend) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["stunnel"].pop("refused"), "tls alert: TLSV1_ALERT_INTERNAL_ERROR", name)
        self.assertEqual(seen["tlsgate"].pop("refused"), "tls alert: SSLV3_ALERT_BAD_CERTIFICATE", name)
        self.assertEqual(seen["tlsgate"], seen["stunnel"], name)
        self.assertEqual(seen["stunnel"]["backend"], [], name)

    def every_option_probes(self, ports, client_socket, backends):
        pki = self.pki
        ctx = self.client_context
        main = backends["main"]
        # [server]: the first backend is down, the second one gets the bytes.
        self.assert_passed(self.probe_both(ports, "server", ctx(), main))
        seen = {side: self.cipher_probe(ports[side]["server"], ctx()) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["stunnel"], ("TLSv1.3", "TLS_AES_256_GCM_SHA384"))
        self.assertEqual(seen["tlsgate"], seen["stunnel"])
        tls12 = ctx(max_version=ssl.TLSVersion.TLSv1_2)
        seen = {side: self.cipher_probe(ports[side]["server"], tls12) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["tlsgate"], seen["stunnel"])
        self.assertEqual(seen["stunnel"][0], "TLSv1.2")
        # [other]: picked by SNI.
        self.assert_passed(self.probe_both(ports, "server", ctx(), backends["other"], server_hostname="other.test"),
                           certificate="other.pem")
        self.assert_passed(self.probe_both(ports, "included", ctx(), main))
        self.assert_passed(self.probe_both(ports, "tls12", ctx(), main), version="TLSv1.2")
        tls13 = ctx()
        tls13.minimum_version = ssl.TLSVersion.TLSv1_3
        self.assert_refused(self.probe_both(ports, "tls12", tls13, main), r"PROTOCOL_VERSION")
        named = ctx(pki.path("named-client.pem"), pki.path("named-client.key"))
        revoked = ctx(pki.path("revoked-client.pem"), pki.path("revoked-client.key"))
        unnamed = ctx(pki.client_cert, pki.client_key)
        self_signed = ctx(pki.untrusted_cert, pki.untrusted_key)
        # [clients]
        self.assert_refused(self.probe_both(ports, "clients", ctx(), main), r"CERTIFICATE_REQUIRED")
        self.assert_refused(self.probe_both(ports, "clients", revoked, main), r"REVOKED")
        self.assert_wrong_name_refused(ports, "clients", unnamed, main)
        self.assert_passed(self.probe_both(ports, "clients", named, main))
        # [request]
        self.assert_passed(self.probe_both(ports, "request", ctx(), main))
        self.assert_passed(self.probe_both(ports, "request", named, main))
        self.assert_wrong_name_refused(ports, "request", unnamed, main)
        # [ignored]
        self.assert_passed(self.probe_both(ports, "ignored", ctx(), main))
        self.assert_passed(self.probe_both(ports, "ignored", named, main))
        # [pinned]
        self.assert_passed(self.probe_both(ports, "pinned", self_signed, main))
        self.assert_refused(self.probe_both(ports, "pinned", unnamed, main), r".")
        # [proxy]: the same PROXY v1 line, but for the ports.
        seen = self.probe_both(ports, "proxy", ctx(), ProxyLines(backends["proxy"]))
        self.assertEqual(seen.pop("backend"), [b"PROXY TCP4 127.0.0.1 127.0.0.1 PORT PORT\r\n"])
        self.assertEqual(seen, {"certificate": "server.pem", "version": "TLSv1.3", "echo_ok": True,
                                "end": "close_notify"})
        for index, side in enumerate(("stunnel", "tlsgate")):
            line = backends["proxy"].header(index)["line"]
            self.assertRegex(line, rf"^PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ {ports[side]['proxy']}\r\n$")
        # [to-unix]
        self.assert_passed(self.probe_both(ports, "to-unix", ctx(), backends["unix"]))
        # [client-unix]: a client certificate, SNI from `sni`.
        tls = backends["tls"]
        digest = hashlib.sha256(PAYLOAD).hexdigest()
        seen = {side: self.plain_probe(client_socket[side], tls) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["tlsgate"], seen["stunnel"])
        self.assertEqual(seen["stunnel"]["reply"], PAYLOAD)
        self.assertEqual(seen["stunnel"]["server_saw"], [("close_notify", len(PAYLOAD), digest)])
        self.assertEqual(seen["stunnel"]["sni"], ["localhost"])
        subjects = [dict(field[0] for field in cert["subject"])["commonName"] for cert in tls.peer_certs]
        self.assertEqual(subjects, ["tlsgate test client"] * 2)
        for side in ("stunnel", "tlsgate"):
            self.assertEqual(os.stat(client_socket[side]).st_uid, pwd.getpwnam("nobody").pw_uid, side)
            self.assertEqual(os.stat(client_socket[side]).st_gid, grp.getgrnam("nogroup").gr_gid, side)
        # [by-ip]: the difference of test_client_service_to_an_ip_address_sends_no_sni.
        seen = {side: self.plain_probe(ports[side]["by-ip"], tls) for side in ("stunnel", "tlsgate")}
        self.assertEqual(seen["stunnel"].pop("sni"), ["127.0.0.1"])
        self.assertEqual(seen["tlsgate"].pop("sni"), [None])
        self.assertEqual(seen["tlsgate"], seen["stunnel"])
        self.assertEqual(seen["stunnel"]["reply"], PAYLOAD)
        # [via]: CONNECT through tinyproxy. The client waits for the echo
        # before it closes: tinyproxy ends a tunnel at the first FIN, and
        # tlsgate sends one after its close_notify where stunnel does not.
        seen = []
        for side in ("stunnel", "tlsgate"):
            with connect_to(ports[side]["via"]) as sock:
                sock.sendall(PAYLOAD)
                echo = b""
                while len(echo) < len(PAYLOAD):
                    data = sock.recv(65536)
                    if not data:
                        break
                    echo += data
            seen.append(echo)
        self.assertEqual(seen, [PAYLOAD, PAYLOAD])
        self.assertEqual(backends["proxy_http"].connect_requests(), [f"localhost:{tls.port}"] * 2)
        # [smtp] and [pgsql]: STARTTLS and the SSLRequest.
        for name, talk in (("smtp", smtp_talk), ("pgsql", pgsql_talk)):
            server = backends[name]
            seen = {}
            for index, side in enumerate(("stunnel", "tlsgate")):
                reply = talk(ports[side][name])
                exchange = server.exchange(index)
                harness.wait_until(lambda: exchange.over_tls and exchange.received[-1][1].startswith(b"QUIT"),
                                   harness.IO_TIMEOUT, what=f"QUIT over TLS at the {name} server")
                seen[side] = {"reply": reply, "server_received": list(exchange.received)}
            if name == "smtp":
                # A difference: with no protocolHost, stunnel says EHLO
                # localhost; tlsgate gives its host name, and has no option
                # for another.
                self.assertEqual(seen["stunnel"]["server_received"].pop(0), (False, b"EHLO localhost\r\n"))
                self.assertEqual(seen["tlsgate"]["server_received"].pop(0),
                                 (False, f"EHLO {socket.gethostname()}\r\n".encode()))
            self.assertEqual(seen["tlsgate"], seen["stunnel"], name)
            self.assertEqual(seen["stunnel"]["server_received"][-1], (True, b"QUIT\r\n"), name)

    def test_a_global_timeout_that_a_service_overrides_warns_once_per_service(self):
        """TIMEOUTbusy = 20 in the global section and 30 in one service: one
        warning at the global line, naming the services that kept 20."""
        def conf(ports):
            return "TIMEOUTbusy = 20\n\n" + "".join(
                f"[{name}]\naccept = 127.0.0.1:{ports[name]}\nconnect = 127.0.0.1:9\n"
                f"cert = {self.pki.server_cert}\nkey = {self.pki.server_key}\nciphers = ECDHE+AESGCM\n"
                + ("TIMEOUTbusy = 30\n" if name == "slow" else "") + "\n"
                for name in ("a", "b", "c", "slow"))
        source = self.write("timeouts.conf", GLOBAL + conf({name: free_port() for name in ("a", "b", "c", "slow")}))
        _, stderr = self.convert(source, expect_exit=3)
        warnings = [line for line in stderr.splitlines() if ": warning: " in line]
        self.assertEqual(len(warnings), len(set(warnings)), "\n".join(warnings))
        timeouts = [w for w in warnings if "TIMEOUTbusy" in w]
        self.assertEqual(len(timeouts), 1, "\n".join(warnings))
        self.assertIn("TIMEOUTbusy = 20 for [a], [b], [c]: ", timeouts[0])


if __name__ == "__main__":
    unittest.main()
