"""Real third-party servers and proxies for the end-to-end tests, each started
privately on free loopback ports under a temporary directory of its own:
Exim (SMTP), PostgreSQL, Dovecot (IMAP and POP3), haproxy, tinyproxy and
microsocks; plus scripted servers for the protocol edge cases no real server
produces on demand, a recorder of PROXY protocol headers, and echo servers on
unix sockets and IPv6.

Each peer is a context manager: it writes its own configuration, starts the
program in the foreground, waits (bounded) until the program is ready, and on
exit stops it and removes its directory. When the test fails (or
TLSGATE_TEST_SHOW_LOGS is set) the peer's output and log files are printed.
A peer program that is not installed skips the test (harness.tool()). The
system instances that the Debian packages install are never used.
"""

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness
from harness import IO_TIMEOUT, TlsConn, free_port, wait_until

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def is_root():
    return os.geteuid() == 0


def listening(port, host="127.0.0.1"):
    """True when a TCP socket is in LISTEN state on host:port. Reads
    /proc/net/tcp{,6} instead of connecting, so a readiness check leaves no
    connection in any log."""
    try:
        packed = socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    if len(packed) == 4:
        files, want = ["/proc/net/tcp"], struct.unpack("<I", packed)[0]
        want = f"{want:08X}"
    else:
        files = ["/proc/net/tcp6"]
        want = "".join(f"{w:08X}" for w in struct.unpack("<4I", packed))
    for path in files:
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state = fields[1], fields[3]
                    addr, _, hexport = local.partition(":")
                    if state == "0A" and int(hexport, 16) == port and addr in (want, "0" * len(want)):
                        return True
        except OSError:
            continue
    return False


def can_bind(host):
    """True when this machine can bind a TCP socket on host (127.0.0.2, ::1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
        return True
    except OSError:
        return False


def free_port_on(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def service_user(*names):
    """(uid, gid, name) of the first of these system users that exists."""
    for name in names:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid, name
    raise unittest.SkipTest(f"none of the system users {', '.join(names)} exists (is the package installed?)")


def nobody():
    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


# --------------------------------------------------------------------------
# Process-based peers


class Peer:
    """A program started in the foreground with its output captured line by
    line; subclasses write the configuration (prepare), name the command
    (argv) and say when it is ready (ready)."""

    name = "peer"
    stop_signal = signal.SIGTERM

    def __init__(self):
        self.dir = None
        self.proc = None
        self.lines = []
        self.cond = threading.Condition()
        self.reader = None

    # What subclasses provide.
    def prepare(self):
        pass

    def argv(self):
        raise NotImplementedError

    def popen_extra(self):
        return {}

    def ready(self):
        return True

    def log_files(self):
        return []

    # Lifecycle.
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def start(self):
        self.dir = tempfile.mkdtemp(prefix=f"tlsgate-{self.name}-")
        # Services that drop privileges must reach their files below it.
        os.chmod(self.dir, 0o755)
        try:
            self.prepare()
            argv = self.argv()
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, cwd=self.dir, **self.popen_extra())
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()

            def up():
                if self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited with {self.proc.returncode} before it was ready")
                return self.ready()

            wait_until(up, READY_TIMEOUT, interval=0.05, what=f"{self.name} to be ready")
        except BaseException:
            self.dump("did not start")
            self._terminate()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        return self

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _terminate(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(self.stop_signal)
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.reader:
            self.reader.join(5)
        if self.proc.stdout and not (self.reader and self.reader.is_alive()):
            self.proc.stdout.close()

    def stop(self):
        self._terminate()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.dump(f"test failed with {exc_type.__name__}")
        elif os.environ.get("TLSGATE_TEST_SHOW_LOGS"):
            self.dump("end of test")
        self.stop()
        return False

    # Output and logs.
    def output(self):
        with self.cond:
            return "\n".join(self.lines)

    def read_log(self, path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def text(self):
        parts = [self.output()]
        for path in self.log_files():
            parts.append(f"[{path}]\n" + self.read_log(path))
        return "\n".join(parts)

    def dump(self, why):
        sys.stderr.write(f"\n----- {self.name} output ({why}) -----\n{self.text()}\n----- end of {self.name} -----\n")
        sys.stderr.flush()

    def wait_for_output(self, pattern, timeout=IO_TIMEOUT):
        """Wait for a line of the program's own output matching pattern."""
        rx = re.compile(pattern)
        return wait_until(lambda: next(filter(None, map(rx.search, list(self.lines))), None), timeout,
                          what=f"{self.name} to print /{pattern}/")

    def wait_for_log(self, pattern, path=None, timeout=IO_TIMEOUT, flags=re.M):
        """Wait for pattern to match in a log file (default: the first of
        log_files()); returns the re.Match."""
        path = path or self.log_files()[0]
        rx = re.compile(pattern, flags)
        return wait_until(lambda: rx.search(self.read_log(path)), timeout,
                          what=f"/{pattern}/ in {os.path.basename(path)} of {self.name}")

    def copy_key_pair(self, cert, key, owner=None):
        """The certificate and key copied into the peer's directory (key mode
        0600), owned by `owner` (uid, gid) when running as root."""
        cert_copy, key_copy = self.path("server.pem"), self.path("server.key")
        shutil.copyfile(cert, cert_copy)
        shutil.copyfile(key, key_copy)
        os.chmod(cert_copy, 0o644)
        os.chmod(key_copy, 0o600)
        if owner and is_root():
            os.chown(cert_copy, *owner)
            os.chown(key_copy, *owner)
        return cert_copy, key_copy


# --------------------------------------------------------------------------
# Exim


class Exim(Peer):
    """Exim's daemon (`exim4 -bdf -C CONFIG`, a configuration of its own) on
    127.0.0.1:port. It accepts mail for `domain` from loopback and delivers
    every message into one maildir. With `pki`, TLS is on and STARTTLS is
    advertised with the Pki's server certificate; without, the server speaks
    plaintext only.

    Exim refuses -C for users other than root (or the Exim user); running
    the daemon as root with -C is allowed, and Exim then runs the
    deliveries as the Exim user, which is what the configuration asks for."""

    name = "exim"

    def __init__(self, pki=None, domain="example.test", hostname="mx.example.test"):
        super().__init__()
        self.pki = pki
        self.domain = domain
        self.hostname = hostname
        self.port = free_port()
        self.exim = shutil.which("exim4") or shutil.which("exim")
        if self.exim is None:
            raise unittest.SkipTest("exim4 is not installed")
        if not is_root():
            raise unittest.SkipTest("the private Exim daemon needs root (Exim allows -C only for root)")
        self.uid, self.gid, self.user = service_user("Debian-exim", "exim")

    @property
    def mainlog(self):
        return self.path("log", "mainlog")

    @property
    def maildir(self):
        return self.path("maildir")

    def log_files(self):
        return [self.mainlog, self.path("log", "paniclog"), self.path("log", "rejectlog")]

    def prepare(self):
        for sub in ("spool", "log", "maildir"):
            os.mkdir(self.path(sub))
            os.chown(self.path(sub), self.uid, self.gid)
        if self.pki:
            cert, key = self.copy_key_pair(self.pki.server_cert, self.pki.server_key, (self.uid, self.gid))
            tls = (f"tls_advertise_hosts = *\n"
                   f"tls_certificate = {cert}\n"
                   f"tls_privatekey = {key}\n")
        else:
            tls = "tls_advertise_hosts =\n"
        config = f"""\
keep_environment =
primary_hostname = {self.hostname}
domainlist local_domains = {self.domain}
local_interfaces = 127.0.0.1
daemon_smtp_ports = {self.port}
exim_user = {self.user}
exim_group = {self.user}
spool_directory = {self.path('spool')}
log_file_path = {self.path('log')}/%slog
pid_file_path = {self.path('exim.pid')}
{tls}\
acl_smtp_rcpt = acl_check_rcpt
log_selector = +tls_cipher +tls_peerdn +received_recipients +smtp_connection +smtp_protocol_error
host_lookup =
rfc1413_hosts =

begin acl

acl_check_rcpt:
  accept domains = +local_domains
  deny message = relay not permitted

begin routers

local_delivery:
  driver = accept
  domains = +local_domains
  transport = to_maildir

begin transports

to_maildir:
  driver = appendfile
  directory = {self.maildir}
  maildir_format
  create_directory
  envelope_to_add
  return_path_add
  user = {self.user}
  group = {self.user}
  mode = 0644
"""
        self.config = self.path("exim.conf")
        with open(self.config, "w") as f:
            f.write(config)
        # Exim insists that its configuration belongs to root and that
        # nobody else may write it.
        os.chmod(self.config, 0o644)

    def argv(self):
        return [self.exim, "-bdf", "-C", self.config, "-oP", self.path("exim.pid")]

    def ready(self):
        return listening(self.port) and re.search(r"daemon started", self.read_log(self.mainlog))

    def messages(self):
        """The delivered messages' texts, oldest first."""
        found = []
        for sub in ("new", "cur"):
            for path in glob.glob(os.path.join(self.maildir, sub, "*")):
                found.append((os.stat(path).st_mtime, self.read_log(path)))
        return [text for _, text in sorted(found)]

    def wait_for_message(self, needle, timeout=IO_TIMEOUT):
        """The delivered message containing `needle`."""
        return wait_until(lambda: next((m for m in self.messages() if needle in m), None), timeout,
                          what=f"a message containing {needle!r} in Exim's maildir")

    def received_line(self, message_id_or_needle, timeout=IO_TIMEOUT):
        """Exim's `<=` mainlog line of the message whose line contains the needle."""
        m = self.wait_for_log(rf"^.* <= .*{re.escape(message_id_or_needle)}.*$", timeout=timeout)
        return m.group(0)


# --------------------------------------------------------------------------
# PostgreSQL


def postgres_bin():
    """The bin directory of the newest installed PostgreSQL server (15 on Debian 12)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not candidates:
        raise unittest.SkipTest("the PostgreSQL server is not installed (/usr/lib/postgresql/*/bin/initdb)")
    return os.path.dirname(candidates[-1])


class Postgres(Peer):
    """A PostgreSQL server initialised into a temporary directory, listening
    on 127.0.0.1:port and on a unix socket in that directory. With `pki`,
    ssl=on with the Pki's server certificate and pg_hba.conf admits only
    `hostssl` connections, so the server itself refuses plaintext; without,
    only plaintext (`host`) ones.

    initdb and the server refuse to run as root, so as root both run as the
    `postgres` user (the directory then belongs to it)."""

    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: do not wait for clients

    def __init__(self, pki=None, user="postgres"):
        super().__init__()
        self.pki = pki
        self.port = free_port()
        self.bindir = postgres_bin()
        self.db_user = user
        if is_root():
            self.uid, self.gid, self.os_user = service_user("postgres")
        else:
            self.uid, self.gid, self.os_user = os.getuid(), os.getgid(), None

    def popen_extra(self):
        extra = {"env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}}
        if self.os_user:
            extra.update(user=self.uid, group=self.gid, extra_groups=[])
        return extra

    def prepare(self):
        if self.os_user:
            os.chown(self.dir, self.uid, self.gid)
        data = self.path("data")
        harness.run([os.path.join(self.bindir, "initdb"), "-D", data, "-A", "trust", "-U", self.db_user,
                     "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"],
                    cwd=self.dir, timeout=120, **self.popen_extra())
        method = "hostssl" if self.pki else "host"
        with open(os.path.join(data, "pg_hba.conf"), "w") as f:
            f.write(f"{method} all all 127.0.0.1/32 trust\n")
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": self.port,
            "unix_socket_directories": self.dir,
            "log_connections": "on",
            "log_disconnections": "on",
            "logging_collector": "off",
            "fsync": "off",
            "full_page_writes": "off",
            "synchronous_commit": "off",
            "shared_buffers": "16MB",
            "max_connections": 20,
            "ssl": "off",
        }
        if self.pki:
            cert, key = self.copy_key_pair(self.pki.server_cert, self.pki.server_key, (self.uid, self.gid))
            settings.update(ssl="on", ssl_cert_file=cert, ssl_key_file=key, ssl_min_protocol_version="TLSv1.2")
        with open(os.path.join(data, "postgresql.auto.conf"), "a") as f:
            for key, value in settings.items():
                f.write(f"{key} = '{value}'\n")
        if self.os_user:
            for root, dirs, files in os.walk(self.dir):
                for name in dirs + files:
                    os.chown(os.path.join(root, name), self.uid, self.gid)

    def argv(self):
        return [os.path.join(self.bindir, "postgres"), "-D", self.path("data")]

    def ready(self):
        return listening(self.port) and "database system is ready to accept connections" in self.output()

    def psql(self, port=None, sslmode="disable", sql="select 1", extra=(), check=False, timeout=60):
        """`psql` against 127.0.0.1:port (default: this server) with the given
        sslmode; returns the CompletedProcess."""
        conninfo = (f"host=127.0.0.1 port={port or self.port} user={self.db_user} dbname=postgres "
                    f"sslmode={sslmode} connect_timeout=10")
        env = dict(os.environ, PGAPPNAME="tlsgate-tests")
        for var in ("PGSSLMODE", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGSERVICE"):
            env.pop(var, None)
        return harness.run([harness.tool("psql"), "-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1", conninfo,
                            "-c", sql, *extra], check=check, timeout=timeout, env=env)


# --------------------------------------------------------------------------
# Dovecot


class Dovecot(Peer):
    """Dovecot's IMAP and POP3 servers (`dovecot -F -c CONFIG`, a
    configuration of its own) with users from a passwd-file and maildirs in
    the temporary directory.

    With `pki`, STARTTLS is offered with the Pki's certificate and `ssl =
    required` with `disable_plaintext_auth = yes` refuses logins before TLS.
    Dovecot treats a client whose address equals the server's as secure
    whatever the transport, so the TLS server listens on 127.0.0.2 when the
    machine can bind it (clients then come from 127.0.0.1); `host` says where,
    and `refuses_plaintext_login` whether Dovecot itself would refuse a
    plaintext login. Without `pki`: plaintext only, on 127.0.0.1."""

    name = "dovecot"

    def __init__(self, pki=None, users=None):
        super().__init__()
        self.pki = pki
        self.users = users or {"bob": "secret"}
        self.dovecot = harness.tool("dovecot")
        if not is_root():
            raise unittest.SkipTest("the private Dovecot instance needs root (it switches to its own users)")
        service_user("dovecot")
        service_user("dovenull")
        self.host = "127.0.0.2" if pki and can_bind("127.0.0.2") else "127.0.0.1"
        self.refuses_plaintext_login = bool(pki) and self.host != "127.0.0.1"
        self.imap_port = free_port_on(self.host)
        self.pop3_port = free_port_on(self.host)
        self.mail_uid, self.mail_gid = nobody()

    @property
    def log(self):
        return self.path("dovecot.log")

    def log_files(self):
        return [self.log]

    def home(self, user):
        return self.path("home", user)

    def prepare(self):
        os.mkdir(self.path("home"))
        with open(self.path("users"), "w") as f:
            for user, password in self.users.items():
                f.write(f"{user}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{self.home(user)}::\n")
                os.makedirs(os.path.join(self.home(user), "Maildir", "new"))
                os.makedirs(os.path.join(self.home(user), "Maildir", "cur"))
                os.makedirs(os.path.join(self.home(user), "Maildir", "tmp"))
        os.chmod(self.path("users"), 0o644)
        for root, dirs, files in os.walk(self.path("home")):
            os.chown(root, self.mail_uid, self.mail_gid)
        if self.pki:
            cert, key = self.copy_key_pair(self.pki.server_cert, self.pki.server_key)
            ssl_settings = (f"ssl = required\nssl_cert = <{cert}\nssl_key = <{key}\n"
                            "ssl_min_protocol = TLSv1.2\ndisable_plaintext_auth = yes\n")
        else:
            ssl_settings = "ssl = no\ndisable_plaintext_auth = no\n"
        config = f"""\
base_dir = {self.path('run')}
state_dir = {self.path('state')}
log_path = {self.log}
protocols = imap pop3
listen = {self.host}
{ssl_settings}\
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.path('users')}
}}
userdb {{
  driver = passwd-file
  args = {self.path('users')}
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
pop3_uidl_format = %08Xu%08Xv
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = {self.host}
    port = {self.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""
        self.config = self.path("dovecot.conf")
        with open(self.config, "w") as f:
            f.write(config)

    def argv(self):
        return [self.dovecot, "-F", "-c", self.config]

    def ready(self):
        return listening(self.imap_port, self.host) and listening(self.pop3_port, self.host)

    def deliver(self, user, subject, body="hello from the tlsgate tests\n"):
        """Put a message straight into the user's maildir; returns its text."""
        text = (f"From: alice@example.test\r\nTo: {user}@example.test\r\nSubject: {subject}\r\n"
                f"Message-ID: <{os.urandom(6).hex()}@example.test>\r\n\r\n{body}").replace("\r\n", "\n")
        text = text.replace("\n", "\r\n")
        name = f"{time.time():.6f}.{os.urandom(4).hex()}.tlsgate"
        tmp = os.path.join(self.home(user), "Maildir", "tmp", name)
        with open(tmp, "w", newline="") as f:
            f.write(text)
        os.chown(tmp, self.mail_uid, self.mail_gid)
        os.rename(tmp, os.path.join(self.home(user), "Maildir", "new", name))
        return text

    def login_lines(self, user):
        """Dovecot's `Login: user=<...>` log lines for this user."""
        return re.findall(rf"^.*-login: Info: Login: user=<{re.escape(user)}>.*$", self.read_log(self.log), re.M)


# --------------------------------------------------------------------------
# haproxy


HAPROXY_GLOBAL = """\
global
  log stdout format raw local0
  maxconn 200
defaults
  log global
  option dontlognull
  timeout connect 5s
  timeout client 60s
  timeout server 60s
"""


class Haproxy(Peer):
    """haproxy in the foreground (`haproxy -db -f CONFIG`) with the given
    frontends and backends; it logs to its standard output."""

    name = "haproxy"
    stop_signal = signal.SIGTERM  # hard stop: every log line a test waits for is already out

    def __init__(self, sections, ports):
        super().__init__()
        self.haproxy = harness.tool("haproxy")
        self.sections = sections
        self.ports = ports

    def prepare(self):
        self.config = self.path("haproxy.cfg")
        with open(self.config, "w") as f:
            f.write(HAPROXY_GLOBAL + self.sections)
        harness.run([self.haproxy, "-c", "-q", "-f", self.config])

    def argv(self):
        return [self.haproxy, "-db", "-f", self.config]

    def ready(self):
        return all(listening(p) for p in self.ports)

    def log_lines(self, pattern):
        rx = re.compile(pattern)
        return [line for line in list(self.lines) if rx.search(line)]


class HaproxyProxyReceiver(Haproxy):
    """haproxy as the backend of tlsgate, expecting a PROXY header (v1 or v2:
    `accept-proxy` takes both).

    - `http_port`: an HTTP frontend that answers every request itself with
      the body `client=IP:PORT dst=IP:PORT` (the addresses from the PROXY
      header) and logs `seen client=IP:PORT dst=IP:PORT`.
    - `tcp_port` (when `echo_port` is given): a TCP frontend relaying to the
      echo server at echo_port, logging `tcp client=IP:PORT dst=IP:PORT` when
      each connection ends."""

    def __init__(self, echo_port=None):
        self.http_port = free_port()
        self.tcp_port = free_port() if echo_port else None
        sections = f"""\
frontend from_tlsgate_http
  mode http
  bind 127.0.0.1:{self.http_port} accept-proxy
  log-format "seen client=%ci:%cp dst=%fi:%fp"
  http-request return status 200 content-type text/plain lf-string "client=%[src]:%[src_port] dst=%[dst]:%[dst_port]\\n"
"""
        if echo_port:
            sections += f"""\
frontend from_tlsgate_tcp
  mode tcp
  bind 127.0.0.1:{self.tcp_port} accept-proxy
  log-format "tcp client=%ci:%cp dst=%fi:%fp"
  default_backend echo
backend echo
  mode tcp
  server echo 127.0.0.1:{echo_port}
"""
        super().__init__(sections, [p for p in (self.http_port, self.tcp_port) if p])


class HaproxyBalancer(Haproxy):
    """haproxy as a TCP load balancer in front of tlsgate: clients connect to
    `port`; haproxy connects to target_port and sends a PROXY header
    (send-proxy-v2 for version 2, send-proxy for 1). Each connection is
    logged at its end as `lb client=IP:PORT via=IP:PORT` (the client, and
    haproxy's own address towards tlsgate)."""

    def __init__(self, target_port, version=2):
        self.port = free_port()
        self.version = version
        option = "send-proxy-v2" if version == 2 else "send-proxy"
        sections = f"""\
frontend clients
  mode tcp
  bind 127.0.0.1:{self.port}
  log-format "lb client=%ci:%cp via=%bi:%bp"
  default_backend tlsgate
backend tlsgate
  mode tcp
  server s1 127.0.0.1:{target_port} {option}
"""
        super().__init__(sections, [self.port])


# --------------------------------------------------------------------------
# tinyproxy and microsocks


class Tinyproxy(Peer):
    """tinyproxy (HTTP CONNECT) in the foreground on 127.0.0.1:port, allowing
    CONNECT only to `connect_ports`; with `auth` ("user", "password") it
    demands Basic proxy authentication."""

    name = "tinyproxy"

    def __init__(self, connect_ports, auth=None):
        super().__init__()
        self.tinyproxy = harness.tool("tinyproxy")
        self.port = free_port()
        self.connect_ports = list(connect_ports)
        self.auth = auth

    @property
    def log(self):
        return self.path("tinyproxy.log")

    def log_files(self):
        return [self.log]

    def prepare(self):
        lines = [f"Port {self.port}", "Listen 127.0.0.1", "Timeout 60", f'LogFile "{self.log}"',
                 "LogLevel Info", "MaxClients 100", "Allow 127.0.0.1", "DisableViaHeader Yes"]
        lines += [f"ConnectPort {p}" for p in self.connect_ports]
        if self.auth:
            lines.append(f"BasicAuth {self.auth[0]} {self.auth[1]}")
        self.config = self.path("tinyproxy.conf")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def argv(self):
        return [self.tinyproxy, "-d", "-c", self.config]

    def ready(self):
        return listening(self.port) and "Starting main loop" in self.read_log(self.log)

    def connect_requests(self):
        """The CONNECT targets tinyproxy was asked for, in order."""
        return re.findall(r"Request \(file descriptor \d+\): CONNECT (\S+) HTTP", self.read_log(self.log))


class Microsocks(Peer):
    """microsocks (SOCKS5) on 127.0.0.1:port; with `auth` ("user",
    "password") it demands RFC 1929 user/password authentication. It prints
    `client[N] IP: connected to HOST:PORT` for every tunnel."""

    name = "microsocks"

    def __init__(self, auth=None):
        super().__init__()
        self.microsocks = harness.tool("microsocks")
        self.port = free_port()
        self.auth = auth

    def argv(self):
        args = [self.microsocks, "-i", "127.0.0.1", "-p", str(self.port)]
        if self.auth:
            args += ["-u", self.auth[0], "-P", self.auth[1]]
        return args

    def ready(self):
        return listening(self.port)

    def tunnels(self):
        """The HOST:PORT targets microsocks connected to, in order."""
        return re.findall(r"connected to (\S+)", self.output())


# --------------------------------------------------------------------------
# Scripted servers


class ScriptedExchange:
    """One connection to a scripted server: line I/O that can switch to TLS
    (server side) in the middle, with a record of what the client sent."""

    def __init__(self, sock, context):
        self.sock = sock
        self.context = context
        self.buf = b""
        self.tls = None
        self.tls_error = None
        self.received = []  # (over_tls, line)
        self.early_bytes = b""  # bytes the client sent before we started TLS, past the last line

    @property
    def over_tls(self):
        return self.tls is not None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        if self.tls:
            self.tls.sendall(data)
        else:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def readline(self):
        """The next line with its line ending, or b"" at the end of the stream."""
        if self.tls:
            line = self.tls.recv_line()
        else:
            while b"\n" not in self.buf:
                try:
                    if not self._fill():
                        line, self.buf = self.buf, b""
                        break
                except (ConnectionResetError, socket.timeout):
                    line, self.buf = self.buf, b""
                    break
            else:
                line, _, self.buf = self.buf.partition(b"\n")
                line += b"\n"
        if line:
            self.received.append((self.over_tls, line))
        return line

    def read_exactly(self, n):
        while len(self.buf) < n:
            if not self._fill():
                break
        data, self.buf = self.buf[:n], self.buf[n:]
        self.received.append((self.over_tls, data))
        return data

    def read_until_eof(self):
        chunks = []
        try:
            while True:
                data = self.tls.recv() if self.tls else self.sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        except (OSError, ssl.SSLError):
            pass
        return b"".join(chunks)

    def start_tls(self):
        """Run the server side of a TLS handshake on the connection; True when
        it completed (tls_error says why not)."""
        self.early_bytes = self.buf
        conn = TlsConn(self.sock, self.context, server_side=True, timeout=IO_TIMEOUT)
        if self.buf:
            conn.incoming.write(self.buf)
            self.buf = b""
        try:
            conn.handshake()
        except (OSError, ssl.SSLError) as e:
            self.tls_error = f"{type(e).__name__}: {e}"
            return False
        self.tls = conn
        return True


class ScriptedServer(harness._ThreadedServer):
    """A TCP server on 127.0.0.1 that runs script(exchange) for each
    connection (see ScriptedExchange); `context` is the server-side TLS context
    for exchange.start_tls(). The exchanges are kept for the test to inspect."""

    def __init__(self, script, context=None, **kw):
        super().__init__(**kw)
        self.script = script
        self.context = context
        self.exchanges = []

    def handle(self, conn, peer):
        exchange = ScriptedExchange(conn, self.context)
        with self.lock:
            self.exchanges.append(exchange)
        self.script(exchange)

    def exchange(self, index=0, timeout=IO_TIMEOUT):
        wait_until(lambda: len(self.exchanges) > index, timeout, what=f"connection {index + 1} to the scripted server")
        return self.exchanges[index]


def reply_over_tls(exchange, codes=None):
    """After the upgrade: answer each line with `<code> over tls: <line>`
    (code by command word, default 250; QUIT ends with 221)."""
    codes = codes or {}
    while True:
        line = exchange.readline()
        if not line:
            return
        text = line.decode("utf-8", "replace").strip()
        word = text.split(" ", 1)[0].upper()
        if word == "QUIT":
            exchange.send("221 over tls: bye\r\n")
            return
        exchange.send(f"{codes.get(word, 250)} over tls: {text}\r\n")


SMTP_GREETING = b"220-mx.scripted.test ESMTP scripted server\r\n220 mx.scripted.test ready\r\n"
SMTP_EHLO_WITH_STARTTLS = (b"250-mx.scripted.test greets you\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
                           b"250-8BITMIME\r\n250 HELP\r\n")
SMTP_EHLO_WITHOUT_STARTTLS = b"250-mx.scripted.test greets you\r\n250-SIZE 10240000\r\n250 HELP\r\n"
SMTP_STARTTLS_REFUSED = b"454 4.7.0 TLS not available due to temporary reason\r\n"
SMTP_STARTTLS_OK = b"220 2.0.0 Ready to start TLS\r\n"
SMTP_INJECTED = b"250 injected reply after the STARTTLS answer\r\n"


def smtp_script(mode="offer", greeting=SMTP_GREETING):
    """A scripted SMTP server. mode:
      offer   - STARTTLS in the (multi-line) EHLO reply; 220, TLS, then
                reply_over_tls;
      absent  - the EHLO reply has no STARTTLS;
      refuse  - STARTTLS offered but answered with 454;
      inject  - the 220 for STARTTLS comes in one write with another reply
                after it (the STARTTLS command-injection pattern);
      silent  - sends nothing at all and waits for the client to close.
    `greeting` replaces the multi-line 220 greeting (garbage greetings)."""

    def script(s):
        if mode == "silent":
            s.read_until_eof()
            return
        s.send(greeting)
        while True:
            line = s.readline()
            if not line:
                return
            command = line.strip().upper()
            if command.startswith((b"EHLO", b"HELO")):
                s.send(SMTP_EHLO_WITHOUT_STARTTLS if mode == "absent" else SMTP_EHLO_WITH_STARTTLS)
            elif command == b"STARTTLS" and mode in ("offer", "inject"):
                s.send(SMTP_STARTTLS_OK + (SMTP_INJECTED if mode == "inject" else b""))
                if s.start_tls():
                    reply_over_tls(s)
                return
            elif command == b"STARTTLS" and mode == "refuse":
                s.send(SMTP_STARTTLS_REFUSED)
            elif command == b"QUIT":
                s.send(b"221 2.0.0 bye\r\n")
                return
            else:
                s.send(b"503 5.5.1 scripted server: unexpected command\r\n")
    return script


FTP_GREETING = b"220-scripted FTP server\r\n220-this greeting has three lines\r\n220 ready\r\n"


def ftp_script(refuse=False):
    """A scripted FTP control connection: a multi-line 220 greeting, FEAT
    lists AUTH TLS, `AUTH TLS` gets 234 and TLS (or 534 with refuse), then
    reply_over_tls with 331 for USER and 230 for PASS."""

    def script(s):
        s.send(FTP_GREETING)
        while True:
            line = s.readline()
            if not line:
                return
            command = line.strip().upper()
            if command == b"FEAT":
                s.send(b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n UTF8\r\n211 End\r\n")
            elif command == b"AUTH TLS" and refuse:
                s.send(b"534 scripted server: TLS refused by policy\r\n")
            elif command == b"AUTH TLS":
                s.send(b"234 AUTH TLS successful\r\n")
                if s.start_tls():
                    reply_over_tls(s, {"USER": 331, "PASS": 230, "PBSZ": 200, "PROT": 200})
                return
            elif command == b"QUIT":
                s.send(b"221 bye\r\n")
                return
            else:
                s.send(b"530 scripted server: use AUTH TLS first\r\n")
    return script


def imap_script(refuse=False):
    """A scripted IMAP server: greeting with STARTTLS in its capabilities;
    `<tag> STARTTLS` gets OK and TLS (or NO with refuse), then every tagged
    command over TLS gets `<tag> OK over tls: <command>`."""

    def script(s):
        s.send(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] scripted IMAP ready\r\n")
        while True:
            line = s.readline()
            if not line:
                return
            tag, _, command = line.strip().partition(b" ")
            if command.upper() == b"CAPABILITY":
                s.send(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n")
            elif command.upper() == b"STARTTLS" and refuse:
                s.send(tag + b" NO [UNAVAILABLE] scripted refusal of STARTTLS\r\n")
            elif command.upper() == b"STARTTLS":
                s.send(tag + b" OK Begin TLS negotiation now\r\n")
                if s.start_tls():
                    while True:
                        line = s.readline()
                        if not line:
                            return
                        tag, _, command = line.strip().partition(b" ")
                        if command.upper() == b"CAPABILITY":
                            s.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
                        s.send(tag + b" OK over tls: " + command + b"\r\n")
                        if command.upper() == b"LOGOUT":
                            return
                return
            else:
                s.send(tag + b" BAD scripted server: STARTTLS first\r\n")
    return script


POSTGRES_SSLREQUEST = struct.pack("!II", 8, 80877103)


def postgres_refusing_script(s):
    """A scripted PostgreSQL server that answers the SSLRequest with 'N'."""
    s.read_exactly(8)
    s.send(b"N")
    s.read_until_eof()


# --------------------------------------------------------------------------
# PROXY protocol header recorder


PP2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


class ProxyHeaderRecorder(harness._ThreadedServer):
    """A backend that reads a PROXY header (v1 line or v2 binary) byte by
    byte as it arrives, records the raw header and the parsed fields, then
    echoes everything after it. headers[i] is a dict: version, raw, and for
    v1 `line`; for v2 `command`, `family`, `src`, `dst`, `tlvs` (list of
    (type, value))."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.headers = []

    @staticmethod
    def _read(conn, n):
        buf = b""
        while len(buf) < n:
            data = conn.recv(n - len(buf))
            if not data:
                raise AssertionError(f"connection ended inside the PROXY header after {len(buf)} of {n} bytes")
            buf += data
        return buf

    def handle(self, conn, peer):
        first = self._read(conn, 12)
        if first == PP2_SIGNATURE:
            fixed = self._read(conn, 4)
            length = struct.unpack("!H", fixed[2:4])[0]
            rest = self._read(conn, length)
            header = parse_proxy_v2(first + fixed + rest)
        elif first.startswith(b"PROXY "):
            raw = first
            while not raw.endswith(b"\r\n"):
                if len(raw) > 107:
                    raise AssertionError(f"PROXY v1 line longer than 107 bytes: {raw!r}")
                raw += self._read(conn, 1)
            header = {"version": 1, "raw": raw, "line": raw.decode("ascii")}
        else:
            header = {"version": None, "raw": first}
        with self.lock:
            self.headers.append(header)
        if header["version"] is None:
            return
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)

    def header(self, index=0, timeout=IO_TIMEOUT):
        wait_until(lambda: len(self.headers) > index, timeout, what="a PROXY header at the backend")
        return self.headers[index]


def parse_proxy_v2(raw):
    """The fields of a complete v2 header (signature included); checks the
    framing and fails on anything malformed."""
    if raw[:12] != PP2_SIGNATURE:
        raise AssertionError(f"not a PROXY v2 signature: {raw[:12]!r}")
    ver_cmd, fam = raw[12], raw[13]
    length = struct.unpack("!H", raw[14:16])[0]
    if len(raw) != 16 + length:
        raise AssertionError(f"PROXY v2 length field says {length}, header has {len(raw) - 16} bytes after it")
    body = raw[16:]
    header = {"version": ver_cmd >> 4, "command": ver_cmd & 0x0F, "family": fam, "raw": raw, "length": length}
    if fam == 0x11:  # TCP over IPv4
        src, dst, sport, dport = struct.unpack("!4s4sHH", body[:12])
        header["src"] = (socket.inet_ntop(socket.AF_INET, src), sport)
        header["dst"] = (socket.inet_ntop(socket.AF_INET, dst), dport)
        tlv_bytes = body[12:]
    elif fam == 0x21:  # TCP over IPv6
        src, dst, sport, dport = struct.unpack("!16s16sHH", body[:36])
        header["src"] = (socket.inet_ntop(socket.AF_INET6, src), sport)
        header["dst"] = (socket.inet_ntop(socket.AF_INET6, dst), dport)
        tlv_bytes = body[36:]
    elif fam == 0x31:  # unix stream
        header["src"], header["dst"] = body[:108].rstrip(b"\0"), body[108:216].rstrip(b"\0")
        tlv_bytes = body[216:]
    else:
        tlv_bytes = body
    header["tlvs"] = parse_tlvs(tlv_bytes)
    return header


def parse_tlvs(data):
    """[(type, value)] of a TLV sequence; fails when a length overruns."""
    tlvs = []
    i = 0
    while i < len(data):
        if i + 3 > len(data):
            raise AssertionError(f"truncated TLV header at offset {i}: {data[i:]!r}")
        kind, length = data[i], struct.unpack("!H", data[i + 1:i + 3])[0]
        if i + 3 + length > len(data):
            raise AssertionError(f"TLV type 0x{kind:02x} at offset {i} claims {length} bytes, "
                                 f"only {len(data) - i - 3} left")
        tlvs.append((kind, data[i + 3:i + 3 + length]))
        i += 3 + length
    return tlvs


def crc32c(data):
    """CRC-32C (Castagnoli), as PP2_TYPE_CRC32C uses."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


# --------------------------------------------------------------------------
# Echo servers on unix sockets and IPv6, and one that names itself


class NamedEchoServer(harness._ThreadedServer):
    """Sends `<name>\\n` first, then echoes; tells backends apart."""

    def __init__(self, name, **kw):
        super().__init__(**kw)
        self.name = name

    def handle(self, conn, peer):
        conn.sendall(self.name.encode() + b"\n")
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


class FamilyEchoServer(harness.EchoServer):
    """An EchoServer on another address family: AF_UNIX at `unix_path`, or
    AF_INET6 on `host` (e.g. "::1"). `peers` records each client address."""

    def __init__(self, unix_path=None, host=None, port=0, backlog=128):
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            self.port = None
        else:
            self.sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.port = self.sock.getsockname()[1]
        self.sock.listen(backlog)
        self.path = unix_path
        self.accepted = 0
        self.errors = []
        self.peers = []
        self.lock = threading.Lock()
        self.threads = []
        self.stopping = False
        self.acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    def handle(self, conn, peer):
        with self.lock:
            self.peers.append(peer)
        super().handle(conn, peer)

    def stop(self):
        super().stop()
        if self.path:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


# --------------------------------------------------------------------------
# Small clients


class LineClient:
    """A plaintext TCP client with line-buffered reads (CRLF protocols):
    read_reply() collects a multi-line reply up to the line matching a
    regex, without losing bytes that arrive behind it."""

    def __init__(self, port, host="127.0.0.1", source=None, timeout=IO_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.local_port = self.sock.getsockname()[1]
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)

    def readline(self):
        while b"\n" not in self.buf and not self.eof:
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                self.eof = True
            self.buf += data
        if b"\n" in self.buf:
            line, _, self.buf = self.buf.partition(b"\n")
            return line + b"\n"
        line, self.buf = self.buf, b""
        return line

    def read_reply(self, final):
        """Lines up to and including the first matching the regex `final`
        (bytes); fails at the end of the stream."""
        rx = re.compile(final)
        lines = []
        while True:
            line = self.readline()
            if not line:
                raise AssertionError(f"stream ended before a line matching {final!r}; got {b''.join(lines)!r}")
            lines.append(line)
            if rx.search(line):
                return b"".join(lines)

    def command(self, line, final):
        self.send(line if line.endswith("\r\n") else line + "\r\n")
        return self.read_reply(final)

    def read_until_eof(self):
        """What is left until the peer closes; (data, how) as harness.recv_until_eof."""
        data, how = harness.recv_until_eof(self.sock)
        rest, self.buf = self.buf + data, b""
        return rest, how

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def curl_tls_args(pki):
    """curl options shared by the tests: trust the test CA, bounded, verbose."""
    return ["--cacert", pki.ca, "--max-time", "20", "-sS", "-v"]
