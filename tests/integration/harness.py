"""Shared machinery for the tlsgate end-to-end tests.

Every test starts the real daemon on loopback and talks to it with peers that
were written elsewhere (openssl, curl, Python's ssl module, tclsh with TclTLS).
Nothing here sleeps to synchronise: every wait polls a condition with a bound.
"""

import contextlib
import hashlib
import http.server
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 20.0
IO_TIMEOUT = float(os.environ.get("TLSGATE_TEST_IO_TIMEOUT", "15"))


def _raise_fd_limit():
    # 500 concurrent connections need about 1000 descriptors in this process
    # (client + backend ends) and as many in the daemon, which inherits this.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


_raise_fd_limit()


def binary():
    path = os.environ.get("TLSGATE_BINARY") or os.path.join(SOURCE_ROOT, "build", "daemon", "tlsgate")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"tlsgate binary not found at {path} (set TLSGATE_BINARY)")
    return path


def tool(name):
    path = shutil.which(name)
    if path is None:
        raise unittest.SkipTest(f"{name} is not installed")
    return path


def _ephemeral_ports():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = (int(n) for n in f.read().split())
            return low, high
    except (OSError, ValueError):
        return 32768, 60999


def free_port():
    """A port that nothing listens on, for a program the test starts.

    It is picked below the kernel's ephemeral range: a port taken from that
    range (bind to 0) can become the source port of any outgoing connection,
    from this test or one running beside it, before the program binds it."""
    low, high = _ephemeral_ports()
    if low > 11000:
        bottom, top = 10000, low - 1
    elif high < 64535:
        bottom, top = high + 1, 65535
    else:  # the whole range is ephemeral: the kernel's pick is as good
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(bottom, top)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port between {bottom} and {top}")


def wait_until(predicate, timeout, interval=0.02, what="condition"):
    """Poll predicate() until it returns a truthy value; fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_for_port(port, timeout=10.0, host="127.0.0.1"):
    def accepting():
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            return False

    wait_until(accepting, timeout, interval=0.05, what=f"{host}:{port} to accept connections")


def run(args, timeout=60, check=True, **kw):
    proc = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args!r} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# --------------------------------------------------------------------------
# Certificates


class Pki:
    """A CA, a server certificate for localhost/127.0.0.1, a client
    certificate, and a self-signed certificate nobody trusts."""

    # `openssl req` arguments for a new P-256 key, unencrypted.
    NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]

    def __init__(self, directory):
        self.dir = directory
        self.ca = self.path("ca.pem")
        self.ca_key = self.path("ca.key")
        self.server_cert = self.path("server.pem")
        self.server_key = self.path("server.key")
        self.client_cert = self.path("client.pem")
        self.client_key = self.path("client.key")
        self.untrusted_cert = self.path("untrusted.pem")
        self.untrusted_key = self.path("untrusted.key")

    def path(self, name):
        return os.path.join(self.dir, name)

    def generate(self):
        openssl = tool("openssl")
        run([openssl, "req", "-x509", *self.NEW_KEY, "-keyout", self.ca_key, "-out", self.ca, "-days", "30",
             "-subj", "/O=tlsgate tests/CN=tlsgate test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        self._leaf("server", "/CN=localhost",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                   "extendedKeyUsage=serverAuth\n")
        self._leaf("client", "/O=tlsgate tests/CN=tlsgate test client",
                   "extendedKeyUsage=clientAuth\n")
        run([openssl, "req", "-x509", *self.NEW_KEY, "-keyout", self.untrusted_key, "-out", self.untrusted_cert,
             "-days", "30", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        return self

    def extra_server_cert(self, name, dns_name):
        """Another CA-signed server certificate, for `dns_name`; returns
        (cert path, key path)."""
        self._leaf(name, f"/CN={dns_name}",
                   f"subjectAltName=DNS:{dns_name}\nextendedKeyUsage=serverAuth\n")
        return self.path(f"{name}.pem"), self.path(f"{name}.key")

    def extra_client_cert(self, name, common_name):
        """Another CA-signed client certificate; returns (cert path, key
        path)."""
        self._leaf(name, f"/O=tlsgate tests/CN={common_name}",
                   "extendedKeyUsage=clientAuth\n")
        return self.path(f"{name}.pem"), self.path(f"{name}.key")

    def revocation_list(self, revoked, name="clients.crl"):
        """A CRL signed by the CA with `openssl ca`, revoking the certificates
        at the paths in `revoked`; returns its path."""
        openssl = tool("openssl")
        database = self.path("ca-index.txt")
        open(database, "w").close()
        with open(self.path("ca-crlnumber"), "w") as f:
            f.write("01\n")
        config = self.path("ca.cnf")
        with open(config, "w") as f:
            f.write("[ca]\ndefault_ca = test_ca\n[test_ca]\n"
                    f"database = {database}\ncrlnumber = {self.path('ca-crlnumber')}\n"
                    f"certificate = {self.ca}\nprivate_key = {self.ca_key}\n"
                    "default_md = sha256\ndefault_crl_days = 1\n")
        for cert in revoked:
            run([openssl, "ca", "-config", config, "-revoke", cert, "-crl_reason", "keyCompromise"])
        run([openssl, "ca", "-config", config, "-gencrl", "-out", self.path(name)])
        return self.path(name)

    def _leaf(self, name, subject, extensions):
        openssl = tool("openssl")
        csr = self.path(f"{name}.csr")
        ext = self.path(f"{name}.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature\n" + extensions)
        run([openssl, "req", "-new", *self.NEW_KEY, "-keyout", self.path(f"{name}.key"), "-out", csr, "-subj", subject])
        run([openssl, "x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "30",
             "-extfile", ext, "-out", self.path(f"{name}.pem")])

    def client_context(self, server_hostname_check=True, cert=False):
        ctx = ssl.create_default_context(cafile=self.ca)
        ctx.check_hostname = server_hostname_check
        if cert:
            ctx.load_cert_chain(self.client_cert, self.client_key)
        return ctx

    def server_context(self, untrusted=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if untrusted:
            ctx.load_cert_chain(self.untrusted_cert, self.untrusted_key)
        else:
            ctx.load_cert_chain(self.server_cert, self.server_key)
        return ctx


# --------------------------------------------------------------------------
# Configuration


class Octal(int):
    """An integer written in octal with a leading zero (file modes: 0660)."""

    def __repr__(self):
        return f"0{int(self):o}"


def _yaml_scalar(value):
    if isinstance(value, Octal):
        return repr(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


def to_yaml(value, indent=0):
    """Block-style YAML for dicts, lists and scalars (enough for configs)."""
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict) and item:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 2))
            elif isinstance(item, list) and item and any(isinstance(x, (dict, list)) for x in item):
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(item, indent + 2))
            elif isinstance(item, list):
                lines.append(f"{pad}{key}: [{', '.join(_yaml_scalar(x) for x in item)}]")
            elif isinstance(item, dict):
                lines.append(f"{pad}{key}: {{}}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)):
                body = to_yaml(item, indent + 2)
                lines.append(f"{pad}- " + body[indent + 2:])
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return "\n".join(lines)


def server_tls(pki, **extra):
    tls = {"certificates": [{"cert": os.path.basename(pki.server_cert), "key": os.path.basename(pki.server_key)}]}
    tls.update(extra)
    return tls


def client_tls(pki, **extra):
    tls = {"cafile": os.path.basename(pki.ca), "servername": "localhost"}
    tls.update(extra)
    return tls


def address(where):
    """A config address: a port number means 127.0.0.1:port; a string (host:port,
    [v6]:port, unix:/path) or a list of them is used as written."""
    if isinstance(where, int):
        return f"127.0.0.1:{where}"
    if isinstance(where, (list, tuple)):
        return [address(w) for w in where]
    return where


def listener(name, listen_port, backend_port, accept_tls=None, connect_tls=None, accept=None, connect=None,
             routes=None):
    """One listener. The ports may also be full addresses (see address());
    `accept` and `connect` add keys to those sides (proxy_protocol, starttls,
    via, balance, ...) and `routes` is the listener's route list."""
    accept_side = {"address": address(listen_port)}
    accept_side.update(accept or {})
    if accept_tls is not None:
        accept_side["tls"] = accept_tls
    connect_side = {"address": address(backend_port)}
    connect_side.update(connect or {})
    if connect_tls is not None:
        connect_side["tls"] = connect_tls
    entry = {"name": name, "accept": accept_side, "connect": connect_side}
    if routes is not None:
        entry["routes"] = routes
    return entry


def config(listeners, **global_overrides):
    glob = {"workers": 2, "log": {"level": "info"}}
    glob.update(global_overrides)
    return {"global": glob, "listeners": listeners}


# --------------------------------------------------------------------------
# Log lines


LOGFMT_PAIR = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|\S*)')


def logfmt(line):
    """key=value pairs of a log line; quoted values are unquoted."""
    fields = {}
    for key, value in LOGFMT_PAIR.findall(line):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        fields[key] = value
    return fields


def all_of(*patterns):
    """A regex matching a line that contains every pattern, in any order."""
    return "".join(f"(?=.*(?:{p}))" for p in patterns)


# --------------------------------------------------------------------------
# The daemon


class Tlsgate:
    """Runs `tlsgate run -c CONFIG` and captures its output line by line."""

    def __init__(self, config_path, env=None, ready_timeout=READY_TIMEOUT, expect_exit=0):
        self.config_path = config_path
        self.env = env
        self.ready_timeout = ready_timeout
        self.expect_exit = expect_exit
        self.lines = []
        self.cond = threading.Condition()
        self.proc = None
        self.reader = None
        self.returncode = None
        self.signalled = None

    # -- lifecycle --

    def send_signal(self, sig):
        """Send a signal; a later stop() waits without signalling again
        (a second SIGTERM would mean "exit now")."""
        self.signalled = sig
        self.proc.send_signal(sig)

    def start(self):
        env = dict(os.environ)
        env.pop("SSLKEYLOGFILE", None)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(self._argv(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                     cwd=os.path.dirname(self.config_path), **self._popen_extra())
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        try:
            self._wait_ready()
        except AssertionError:
            self._kill()
            self.dump("daemon did not report ready")
            raise
        return self

    # What subclasses that start the daemon another way change.
    def _argv(self):
        return [binary(), "run", "-c", self.config_path]

    def _popen_extra(self):
        return {}

    def _wait_ready(self):
        self.wait_for_log(r"\bready\b", self.ready_timeout)

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.returncode = self.proc.returncode if self.proc else None

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal the daemon and wait (bounded) for it to exit; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            if self.signalled is None or sig == signal.SIGKILL:
                self.send_signal(sig)
            sig = self.signalled
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                self.dump(f"daemon did not exit within {timeout}s of {sig.name}; killed")
                raise AssertionError(f"tlsgate did not exit within {timeout}s after {sig.name}")
        if self.reader:
            self.reader.join(5)
        if self.proc.stdout and not self.reader.is_alive():
            self.proc.stdout.close()
        self.returncode = self.proc.returncode
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        try:
            code = self.stop()
        except AssertionError:
            if exc_type is None:
                raise
            return False
        if exc_type is not None:
            self.dump(f"test failed with {exc_type.__name__}")
            return False
        if os.environ.get("TLSGATE_TEST_SHOW_LOGS"):
            self.dump(f"exit code {code}")
        if self.expect_exit is not None and code != self.expect_exit:
            self.dump(f"exit code {code}")
            how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
            when = f"after {self.signalled.name}" if self.signalled else "on its own, before any signal"
            raise AssertionError(f"tlsgate {how} {when}, expected exit {self.expect_exit}")
        return False

    # -- logs --

    def text(self):
        with self.cond:
            return "\n".join(self.lines)

    def dump(self, why):
        sys.stderr.write(f"\n----- tlsgate output ({why}); config {self.config_path} -----\n")
        try:
            with open(self.config_path) as f:
                sys.stderr.write(f.read() + "\n-----\n")
        except OSError:
            pass
        sys.stderr.write(self.text() + "\n----- end of tlsgate output -----\n")
        sys.stderr.flush()

    def wait_for_log(self, pattern, timeout=IO_TIMEOUT, start=0, flags=0):
        """Wait for a line (index >= start) matching pattern; return the re.Match."""
        rx = re.compile(pattern, flags)
        deadline = time.monotonic() + timeout
        with self.cond:
            index = start
            while True:
                while index < len(self.lines):
                    m = rx.search(self.lines[index])
                    if m:
                        return m
                    index += 1
                if self.proc.poll() is not None and (self.reader is None or not self.reader.is_alive()):
                    raise AssertionError(f"tlsgate exited ({self.proc.returncode}) before logging /{pattern}/")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no log line matching /{pattern}/ within {timeout}s")
                self.cond.wait(min(remaining, 0.2))

    def mark(self):
        """Index to pass as start= so only later lines are considered."""
        with self.cond:
            return len(self.lines)

    def connection_line(self, client_port, timeout=IO_TIMEOUT):
        """The close line of the connection whose client side used client_port."""
        m = self.wait_for_log(rf"\bclient=\S*:{client_port}(?!\d).*\boutcome=", timeout)
        return m.string


# --------------------------------------------------------------------------
# Backends


class _ThreadedServer:
    """A TCP listener on 127.0.0.1 that hands each connection to handle()."""

    def __init__(self, port=0, backlog=1024):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.errors = []
        self.lock = threading.Lock()
        self.threads = []
        self.stopping = False
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def start(self):
        self.acceptor.start()
        return self

    def _accept_loop(self):
        while not self.stopping:
            try:
                conn, peer = self.sock.accept()
            except OSError:
                return
            if self.stopping:
                conn.close()
                return
            with self.lock:
                self.accepted += 1
            t = threading.Thread(target=self._guard, args=(conn, peer), daemon=True)
            t.start()
            with self.lock:
                self.threads.append(t)

    def _guard(self, conn, peer):
        try:
            conn.settimeout(60)
            self.handle(conn, peer)
        except Exception as e:  # recorded for the test to assert on
            with self.lock:
                self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            conn.close()

    def handle(self, conn, peer):
        raise NotImplementedError

    def stop(self):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.acceptor.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class EchoServer(_ThreadedServer):
    """Echoes every byte; on EOF from the peer, shuts down its write side."""

    def handle(self, conn, peer):
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


class ReplyAfterEofServer(_ThreadedServer):
    """Reads until EOF, then sends a reply describing what it read, then closes.

    The reply is b"got <n> bytes sha256=<hex>\\n" followed by `tail`.
    """

    def __init__(self, tail=b"", **kw):
        super().__init__(**kw)
        self.tail = tail
        self.received = []

    def handle(self, conn, peer):
        h = hashlib.sha256()
        n = 0
        while True:
            data = conn.recv(65536)
            if not data:
                break
            h.update(data)
            n += len(data)
        with self.lock:
            self.received.append((n, h.hexdigest()))
        conn.sendall(f"got {n} bytes sha256={h.hexdigest()}\n".encode() + self.tail)
        conn.shutdown(socket.SHUT_WR)


class GreetThenReadServer(_ThreadedServer):
    """Sends `greeting`, shuts down its write side (FIN), then keeps reading
    until EOF and records what it read."""

    def __init__(self, greeting=b"hello from the backend\n", **kw):
        super().__init__(**kw)
        self.greeting = greeting
        self.received = []

    def handle(self, conn, peer):
        conn.sendall(self.greeting)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
        with self.lock:
            self.received.append(b"".join(chunks))


def pattern_chunks(total, seed, chunk=256 * 1024):
    """Deterministic, incompressible-looking data: `total` bytes in chunks,
    each chunk distinct (its index is mixed in) so reordering is detected."""
    base = hashlib.shake_256(seed).digest(chunk)
    sent = 0
    index = 0
    while sent < total:
        n = min(chunk, total - sent)
        prefix = index.to_bytes(8, "big") + seed[:8].ljust(8, b"\0")
        yield (prefix + base[16:])[:n]
        sent += n
        index += 1


def pattern_digest(total, seed):
    h = hashlib.sha256()
    for c in pattern_chunks(total, seed):
        h.update(c)
    return h.hexdigest()


class SinkSourceServer(_ThreadedServer):
    """Concurrently sends `send_total` pattern bytes and reads everything the
    peer sends until EOF; records (bytes_read, sha256) per connection.
    With `read_gate` (a threading.Event) it reads nothing until the event is
    set. bytes_sent / bytes_read show progress while it runs."""

    def __init__(self, send_total, seed=b"backend-source", read_gate=None, **kw):
        super().__init__(**kw)
        self.send_total = send_total
        self.seed = seed
        self.read_gate = read_gate
        self.results = []
        self.bytes_sent = 0
        self.bytes_read = 0

    def handle(self, conn, peer):
        errors = []
        conn.settimeout(180)

        def source():
            try:
                for chunk in pattern_chunks(self.send_total, self.seed):
                    conn.sendall(chunk)
                    self.bytes_sent += len(chunk)
            except Exception as e:
                errors.append(e)

        t = threading.Thread(target=source, daemon=True)
        t.start()
        if self.read_gate is not None:
            self.read_gate.wait(180)
        h = hashlib.sha256()
        while True:
            data = conn.recv(262144)
            if not data:
                break
            h.update(data)
            self.bytes_read += len(data)
        t.join(180)
        if errors:
            raise errors[0]
        with self.lock:
            self.results.append((self.bytes_read, h.hexdigest()))
        conn.shutdown(socket.SHUT_WR)


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def sanitized(pid):
    """True when the process runs with AddressSanitizer, whose quarantine
    keeps freed memory resident: its RSS says nothing about what it holds."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def wait_for_stall(progress, quiet=1.0, timeout=30.0):
    """Wait until progress() stops changing for `quiet` seconds; return its
    value. Fails if it keeps changing for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = progress()
    since = time.monotonic()
    while True:
        time.sleep(0.05)
        now = time.monotonic()
        value = progress()
        if value != last:
            last, since = value, now
        elif now - since >= quiet:
            return value
        if now >= deadline:
            raise AssertionError(f"progress never stalled within {timeout}s (at {value})")


class HttpBackend:
    """A tiny HTTP/1.1 server (http.server in a thread)."""

    def __init__(self, body=b"hello from the backend\n"):
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                backend.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(backend.body)))
                self.send_header("X-Seen-Path", self.path)
                self.end_headers()
                self.wfile.write(backend.body)

            def log_message(self, *args):
                pass

        self.body = body
        self.requests = []
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        return False


class TlsServer:
    """A Python ssl server on 127.0.0.1. Per connection, by mode:
      echo  - echo everything until the peer's end of stream;
      reply - read until the peer's end of stream, then send
              b"tls-server got <n> bytes sha256=<hex>\\n";
      greet - send `greeting` and close_notify first, then read until the
              peer's end of stream.
    Then it sends close_notify (unless already sent) and closes. For each
    connection it records (how the peer ended, bytes read, sha256), where
    `how` is "close_notify" or "eof without close_notify"; and the SNI the
    client sent."""

    def __init__(self, context, mode="echo", greeting=b"hello from the tls server\n"):
        self.context = context
        self.mode = mode
        self.greeting = greeting
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.events = []
        self.errors = []
        self.server_names = []
        self.peer_certs = []
        self.handshakes = 0
        self.stopping = False
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)

        def sni(sslobj, name, ctx):
            with self.lock:
                self.server_names.append(name)

        context.sni_callback = sni

    def _accept_loop(self):
        while not self.stopping:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            conn = TlsConn(raw, self.context, server_side=True, timeout=30)
            try:
                conn.handshake()
            except (ssl.SSLError, OSError) as e:
                with self.lock:
                    self.errors.append(f"handshake: {e}")
                return
            with self.lock:
                self.handshakes += 1
                self.peer_certs.append(conn.obj.getpeercert())
            if self.mode == "greet":
                conn.sendall(self.greeting)
                conn.close_notify()
            h = hashlib.sha256()
            n = 0
            while True:
                data = conn.recv()
                if not data:
                    break
                h.update(data)
                n += len(data)
                if self.mode == "echo":
                    conn.sendall(data)
            with self.lock:
                self.events.append((conn.tls_eof, n, h.hexdigest()))
            if self.mode == "reply":
                conn.sendall(f"tls-server got {n} bytes sha256={h.hexdigest()}\n".encode())
            if self.mode != "greet":
                conn.close_notify()
        except Exception as e:
            with self.lock:
                self.errors.append(f"{type(e).__name__}: {e}")
        finally:
            raw.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
        return False


# --------------------------------------------------------------------------
# Clients


def recv_until_eof(sock, timeout=IO_TIMEOUT, limit=1 << 26):
    """Read a plain socket until EOF (or reset); return (data, how)."""
    sock.settimeout(timeout)
    chunks = []
    total = 0
    try:
        while total < limit:
            data = sock.recv(65536)
            if not data:
                return b"".join(chunks), "eof"
            chunks.append(data)
            total += len(data)
    except ConnectionResetError:
        return b"".join(chunks), "reset"
    except socket.timeout:
        return b"".join(chunks), "timeout"
    return b"".join(chunks), "limit"


def recv_line(sock, timeout=IO_TIMEOUT):
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(b"\n"):
        data = sock.recv(4096)
        if not data:
            break
        buf += data
    return buf


class TlsConn:
    """TLS on an SSLObject over a plain socket, so that close_notify
    (half-close) and concurrent send/receive are fully under the test's
    control without threads. Works for either side."""

    def __init__(self, sock, context, server_side=False, server_hostname=None, timeout=IO_TIMEOUT, session=None):
        self.timeout = timeout
        self.sock = sock
        self.sock.settimeout(timeout)
        self.local_port = self.sock.getsockname()[1]
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.obj = context.wrap_bio(self.incoming, self.outgoing, server_side=server_side,
                                    server_hostname=server_hostname, session=session)
        self.tcp_eof = False
        self.tls_eof = None  # "close_notify" or "eof without close_notify"

    def _flush(self):
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            data = b""
        if data:
            self.incoming.write(data)
        else:
            self.tcp_eof = True
            self.incoming.write_eof()

    def handshake(self):
        while True:
            try:
                self.obj.do_handshake()
                self._flush()
                return self
            except ssl.SSLWantReadError:
                self._flush()
                if self.tcp_eof:
                    raise ConnectionAbortedError("connection closed during handshake")
                self._fill()
            except ssl.SSLError:
                # Deliver our alert to the peer before reporting the failure.
                try:
                    self._flush()
                except OSError:
                    pass
                raise

    def sendall(self, data):
        view = memoryview(data)
        while view:
            n = self.obj.write(view[:65536])
            view = view[n:]
            self._flush()

    def recv(self, n=65536):
        """Application data, or b'' at the end of the stream (sets tls_eof)."""
        while True:
            try:
                data = self.obj.read(n)
                if not data:
                    self.tls_eof = "close_notify"
                return data
            except ssl.SSLWantReadError:
                self._flush()
                if self.tcp_eof:
                    self.tls_eof = "eof without close_notify"
                    return b""
                self._fill()
            except ssl.SSLZeroReturnError:
                self.tls_eof = "close_notify"
                return b""
            except ssl.SSLEOFError:
                self.tls_eof = "eof without close_notify"
                return b""

    def recv_exactly(self, n):
        buf = bytearray()
        while len(buf) < n:
            data = self.recv(n - len(buf))
            if not data:
                break
            buf += data
        return bytes(buf)

    def recv_line(self):
        buf = bytearray()
        while not buf.endswith(b"\n"):
            data = self.recv(1)
            if not data:
                break
            buf += data
        return bytes(buf)

    def recv_until_eof(self):
        chunks = []
        while True:
            data = self.recv()
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def _send_close_notify(self):
        # SSLObject.unwrap() calls SSL_shutdown() twice; the second call
        # waits for the peer's close_notify and fails if it meets application
        # data. Hide the unread ciphertext from it so that only our
        # close_notify goes out, then put it back for recv() to read.
        stash = self.incoming.read()
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        finally:
            if stash:
                self.incoming.write(stash)

    def close_notify(self):
        """Send close_notify (our write side ends); reading continues."""
        self._send_close_notify()
        self._flush()

    def exchange(self, chunks, timeout=120.0):
        """Send every chunk from the iterable while concurrently reading.
        After the last chunk, send close_notify. Read until the peer's end of
        stream. Returns (received_bytes_count, sha256_hex)."""
        self.sock.setblocking(False)
        deadline = time.monotonic() + timeout
        h = hashlib.sha256()
        received = 0
        it = iter(chunks)
        pending = b""
        wbuf = bytearray()
        sending = True
        try:
            while True:
                # Produce ciphertext while the socket-bound buffer is small.
                while sending and len(wbuf) < 512 * 1024:
                    if not pending:
                        pending = next(it, None)
                        if pending is None:
                            sending = False
                            self._send_close_notify()
                            wbuf += self.outgoing.read()
                            break
                    n = self.obj.write(pending[:65536])
                    pending = pending[n:]
                    wbuf += self.outgoing.read()
                # Consume plaintext already decrypted.
                while self.tls_eof is None:
                    try:
                        data = self.obj.read(262144)
                    except ssl.SSLWantReadError:
                        if self.tcp_eof:
                            self.tls_eof = "eof without close_notify"
                        break
                    except ssl.SSLZeroReturnError:
                        self.tls_eof = "close_notify"
                        break
                    except ssl.SSLEOFError:
                        self.tls_eof = "eof without close_notify"
                        break
                    if not data:
                        self.tls_eof = "close_notify"
                        break
                    h.update(data)
                    received += len(data)
                wbuf += self.outgoing.read()
                if self.tls_eof and not sending and not wbuf:
                    return received, h.hexdigest()
                if self.tcp_eof and wbuf:
                    raise AssertionError(f"peer closed the TCP connection with {len(wbuf)} bytes unsent "
                                         f"(received {received} bytes)")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"exchange timed out after {timeout}s (received {received} bytes, "
                                         f"sending={sending})")
                r, w, _ = select.select([] if self.tcp_eof else [self.sock],
                                        [self.sock] if wbuf else [], [], min(remaining, 1.0))
                if w:
                    try:
                        sent = self.sock.send(wbuf[:262144])
                        del wbuf[:sent]
                    except BlockingIOError:
                        pass
                if r:
                    try:
                        data = self.sock.recv(262144)
                    except BlockingIOError:
                        continue
                    except ConnectionResetError:
                        data = b""
                    if data:
                        self.incoming.write(data)
                    else:
                        self.tcp_eof = True
                        self.incoming.write_eof()
        finally:
            self.sock.settimeout(self.timeout)

    @property
    def version(self):
        return self.obj.version()

    @property
    def cipher(self):
        return self.obj.cipher()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class TlsClient(TlsConn):
    """A TLS client connection to 127.0.0.1:port (handshake not yet done)."""

    def __init__(self, port, context, server_hostname="localhost", host="127.0.0.1", timeout=IO_TIMEOUT,
                 session=None):
        sock = socket.create_connection((host, port), timeout=timeout)
        super().__init__(sock, context, server_side=False, server_hostname=server_hostname, timeout=timeout,
                         session=session)


# --------------------------------------------------------------------------
# Test case base


class IntegrationTest(unittest.TestCase):
    """Gives every test its own directory with fresh certificates and a
    helper to write a config and start the daemon on it."""

    maxDiff = None

    def setUp(self):
        self.binary = binary()
        self.dir = tempfile.mkdtemp(prefix="tlsgate-it-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.pki = Pki(self.dir).generate()

    def write_config(self, cfg, name="tlsgate.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(cfg if isinstance(cfg, str) else to_yaml(cfg) + "\n")
        return path

    def daemon(self, cfg, **kw):
        """Context manager: `with self.daemon(cfg) as gate:`."""
        return Tlsgate(self.write_config(cfg), **kw)

    def file(self, name):
        return os.path.join(self.dir, name)


@contextlib.contextmanager
def process(args, ready=None, timeout=10.0, **kw):
    """Run a helper process (stdout captured line by line). If `ready` is a
    regex, wait (bounded) for a stdout line matching it and hand back the
    match as proc.ready_match."""
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    proc.lines = []
    cond = threading.Condition()

    def reader():
        for raw in iter(proc.stdout.readline, b""):
            with cond:
                proc.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                cond.notify_all()
        with cond:
            cond.notify_all()

    t = threading.Thread(target=reader, daemon=True)
    t.start()

    def wait_line(pattern, wait=timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + wait
        with cond:
            i = 0
            while True:
                while i < len(proc.lines):
                    m = rx.search(proc.lines[i])
                    if m:
                        return m
                    i += 1
                if not t.is_alive():
                    raise AssertionError(f"{args[0]} exited ({proc.poll()}) before printing /{pattern}/:\n"
                                         + "\n".join(proc.lines))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{args[0]} did not print /{pattern}/ within {wait}s:\n"
                                         + "\n".join(proc.lines))
                cond.wait(min(left, 0.2))

    proc.wait_line = wait_line
    try:
        if ready:
            proc.ready_match = wait_line(ready)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        t.join(5)
        if not t.is_alive():
            proc.stdout.close()
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass


# --------------------------------------------------------------------------
# Reloads, signals, systemd and process resources


def reload(gate, timeout=IO_TIMEOUT):
    """Send SIGHUP (without making it the signal stop() waits on) and wait for
    the reload's outcome; returns the match of the success line (group
    "generation") or of the failure line (group "error")."""
    mark = gate.mark()
    gate.proc.send_signal(signal.SIGHUP)
    return gate.wait_for_log(r"reload: config generation (?P<generation>\d+) in force: .*"
                             r"|reload failed; config generation (?P<kept>\d+) stays in force: (?P<error>.*)",
                             timeout, start=mark)


def no_log_within(gate, pattern, window, start=0):
    """Fail if a line (index >= start) matching pattern appears within
    `window` seconds; for behaviour that must not happen."""
    try:
        m = gate.wait_for_log(pattern, window, start=start)
    except AssertionError as e:
        if "within" in str(e):
            return
        raise
    raise AssertionError(f"unexpected log line: {m.string}")


def cert_sha256(path):
    """SHA-256 of the first certificate in a PEM file (DER)."""
    with open(path) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def served_cert_sha256(port, cafile, server_hostname="localhost", timeout=IO_TIMEOUT):
    """SHA-256 of the certificate a TLS server on 127.0.0.1:port serves."""
    ctx = ssl.create_default_context(cafile=cafile)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def refuses(port, host="127.0.0.1"):
    """True when nothing listens on host:port any more."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True
    except (ConnectionResetError, socket.timeout):
        # Caught mid-close (the backlog of a closing socket is reset): ask again.
        return False


def echo_round_trip(port, context, message=b"ping\n", server_hostname="localhost"):
    """One TLS connection: send a line, read the echo, close_notify, read to
    the end; returns (echoed bytes, client port)."""
    with TlsClient(port, context, server_hostname=server_hostname) as client:
        client.handshake()
        client.sendall(message)
        got = client.recv_exactly(len(message))
        client.close_notify()
        client.recv_until_eof()
        return got, client.local_port


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def file_limit(n):
    """preexec_fn that sets the child's soft and hard RLIMIT_NOFILE to n."""
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


class LaunchedTlsgate(Tlsgate):
    """Tlsgate started another way: `argv` instead of `tlsgate run -c
    CONFIG`, extra Popen arguments (preexec_fn, pass_fds, ...), and, when the
    daemon logs to a file, `ready_file`: where to look for "ready"."""

    def __init__(self, config_path, argv=None, popen=None, ready_file=None, **kw):
        super().__init__(config_path, **kw)
        self.argv = argv or [binary(), "run", "-c", config_path]
        self.popen = popen or {}
        self.ready_file = ready_file

    def _argv(self):
        return self.argv

    def _popen_extra(self):
        return self.popen

    def _wait_ready(self):
        if not self.ready_file:
            super()._wait_ready()
            return

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"tlsgate exited ({self.proc.returncode}) before it was ready")
            if not os.path.exists(self.ready_file):
                return False
            with open(self.ready_file, errors="replace") as f:
                return re.search(r"\bready\b", f.read())
        wait_until(ready, self.ready_timeout, what=f"'ready' in {self.ready_file}")

    def text(self):
        out = super().text()
        if self.ready_file and os.path.exists(self.ready_file):
            with open(self.ready_file, errors="replace") as f:
                out += f"\n[{self.ready_file}]\n" + f.read()
        return out


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET;
    collects every message with its arrival time (time.monotonic())."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.1)
        self.messages = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.closed:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cond:
                self.messages.append((time.monotonic(), data.decode("utf-8", "replace")))
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.messages)

    def texts(self):
        with self.cond:
            return [text for _, text in self.messages]

    def wait_for(self, pattern, timeout=IO_TIMEOUT, start=0):
        """Wait for a message (index >= start) matching pattern; returns
        (index, re.Match)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            index = start
            while True:
                while index < len(self.messages):
                    m = rx.search(self.messages[index][1])
                    if m:
                        return index, m
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no notify message matching /{pattern}/ within {timeout}s; got "
                                         f"{[t for _, t in self.messages]!r}")
                self.cond.wait(min(remaining, 0.2))

    def close(self):
        self.closed = True
        self.thread.join(5)
        self.sock.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def main_loop_barrier(gate, timeout=IO_TIMEOUT):
    """Send SIGUSR1 and wait for its log line. The daemon handles signals on
    its main loop one after another, so once this returns, whatever that loop
    was doing before (finishing start-up, a reload and the file watch it
    re-arms) is done. With log.file unset, SIGUSR1 reopens nothing."""
    mark = gate.mark()
    gate.proc.send_signal(signal.SIGUSR1)
    gate.wait_for_log(r"SIGUSR1: log file reopened", timeout, start=mark)


class PingPong:
    """Keeps one TLS connection busy (a line out, its echo back, again) so a
    drain never finds it idle; never sleeps."""

    def __init__(self, port, context):
        self.client = TlsClient(port, context, timeout=30)
        self.client.handshake()
        self.local_port = self.client.local_port
        self.round_trips = 0
        self.ended = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                message = f"round trip {self.round_trips}\n".encode()
                self.client.sendall(message)
                if self.client.recv_exactly(len(message)) != message:
                    self.ended = f"connection ended after {self.round_trips} round trips ({self.client.tls_eof})"
                    return
                self.round_trips += 1
        except Exception as e:
            self.ended = f"{type(e).__name__}: {e}"

    def close(self):
        self.client.close()
        self.thread.join(10)
