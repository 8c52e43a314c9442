"""A TLS 1.3 client that writes its own records after a real handshake.

Python's ssl module (an SSLObject over memory BIOs, pumped over a loopback
socket) does the handshake. Its key log gives CLIENT_TRAFFIC_SECRET_0 and
SERVER_TRAFFIC_SECRET_0; from there this module takes the socket over and
builds every record itself with python3-cryptography (RFC 8446 section 5.2,
keys per section 7.3, HKDF-Expand-Label per section 7.1), so a test can send
what no TLS library would: KeyUpdates in odd shapes, bad padding, alerts of
the wrong length, plaintext records after the handshake. It reads and
decrypts what the server sends back (NewSessionTicket, KeyUpdate,
application data, alerts), tracking sequence numbers and key updates in both
directions.
"""

import ctypes
import os
import select
import socket
import ssl
import struct
import tempfile
import time

import _ssl
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

# Content types (RFC 8446, section 5.1).
CHANGE_CIPHER_SPEC = 20
ALERT = 21
HANDSHAKE = 22
APPLICATION_DATA = 23

# Handshake message types (section 4).
CLIENT_HELLO = 1
NEW_SESSION_TICKET = 4
CERTIFICATE_REQUEST = 13
FINISHED = 20
KEY_UPDATE = 24

UPDATE_NOT_REQUESTED = 0
UPDATE_REQUESTED = 1

WARNING = 1
FATAL = 2

MAX_PLAINTEXT = 1 << 14
MAX_CIPHERTEXT = MAX_PLAINTEXT + 256
TAG_SIZE = 16

ALERT_NAMES = {
    0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 22: "record_overflow",
    40: "handshake_failure", 42: "bad_certificate", 47: "illegal_parameter", 50: "decode_error",
    51: "decrypt_error", 70: "protocol_version", 80: "internal_error", 90: "user_canceled",
    109: "missing_extension", 110: "unsupported_extension", 116: "certificate_required",
}

# suite name: (AEAD class, key length, hash)
SUITES = {
    "TLS_AES_128_GCM_SHA256": (AESGCM, 16, hashes.SHA256),
    "TLS_AES_256_GCM_SHA384": (AESGCM, 32, hashes.SHA384),
    "TLS_CHACHA20_POLY1305_SHA256": (ChaCha20Poly1305, 32, hashes.SHA256),
    "TLS_AES_128_CCM_SHA256": (AESCCM, 16, hashes.SHA256),
}


def alert_name(description):
    return ALERT_NAMES.get(description, f"alert_{description}")


def hkdf_expand_label(hash_cls, secret, label, context, length):
    """HKDF-Expand-Label (RFC 8446, section 7.1)."""
    full = b"tls13 " + label
    info = struct.pack("!H", length) + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(hash_cls(), length, info).derive(secret)


def inner_plaintext(content, content_type, padding=0):
    """TLSInnerPlaintext: content, the real type, then zeros (section 5.2)."""
    return bytes(content) + bytes([content_type]) + bytes(padding)


def handshake_message(msg_type, body):
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + bytes(body)


def key_update(request=UPDATE_NOT_REQUESTED):
    return handshake_message(KEY_UPDATE, bytes([request]))


def alert(level, description):
    return bytes([level, description])


def plaintext_record(content_type, content):
    """An unprotected TLSPlaintext record."""
    return bytes([content_type, 3, 3]) + struct.pack("!H", len(content)) + bytes(content)


class TrafficKeys:
    """One direction's AEAD key, IV and sequence number (section 7.3); update()
    moves to the next generation of the secret (section 7.2)."""

    def __init__(self, suite, secret):
        self.aead_cls, self.key_len, self.hash_cls = SUITES[suite]
        self.suite = suite
        self.generation = 0
        self._install(secret)

    def _install(self, secret):
        self.secret = secret
        key = hkdf_expand_label(self.hash_cls, secret, b"key", b"", self.key_len)
        self.iv = hkdf_expand_label(self.hash_cls, secret, b"iv", b"", 12)
        self.aead = self.aead_cls(key) if self.aead_cls is not AESCCM else AESCCM(key, tag_length=TAG_SIZE)
        self.seq = 0

    def update(self):
        digest = self.hash_cls.digest_size
        self._install(hkdf_expand_label(self.hash_cls, self.secret, b"traffic upd", b"", digest))
        self.generation += 1

    def _nonce(self):
        padded = bytes(4) + self.seq.to_bytes(8, "big")
        return bytes(a ^ b for a, b in zip(self.iv, padded))

    def seal(self, inner, length=None, version=0x0303):
        """A TLSCiphertext record around `inner` (a whole TLSInnerPlaintext);
        `length` and `version` override the header's fields, which are
        authenticated as sent."""
        if length is None:
            length = len(inner) + TAG_SIZE
        header = bytes([APPLICATION_DATA]) + struct.pack("!HH", version, length)
        body = self.aead.encrypt(self._nonce(), bytes(inner), header)
        self.seq += 1
        return header + body

    def open(self, header, body):
        """The TLSInnerPlaintext of a record; raises InvalidTag."""
        inner = self.aead.decrypt(self._nonce(), bytes(body), bytes(header))
        self.seq += 1
        return inner


def set_tls13_ciphersuites(context, suites):
    """SSL_CTX_set_ciphersuites on a Python SSLContext: the ssl module has no
    call for TLS 1.3 suites. The SSL_CTX pointer is the first field after
    the object header of CPython's PySSLContext."""
    lib = ctypes.CDLL(_ssl.__file__)
    lib.SSL_CTX_set_ciphersuites.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.SSL_CTX_set_ciphersuites.restype = ctypes.c_int
    ctx_ptr = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not ctx_ptr or lib.SSL_CTX_set_ciphersuites(ctx_ptr, suites.encode()) != 1:
        raise AssertionError(f"cannot restrict the client to {suites}")


def read_keylog(path):
    """{label: secret} from an NSS key log file of one connection."""
    secrets = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                secrets[parts[0]] = bytes.fromhex(parts[2])
    return secrets


class Event:
    """Something the server did, as the client saw it: kind is one of
    ticket, key_update, data, alert, eof, reset, plaintext, undecryptable."""

    def __init__(self, kind, value=None):
        self.kind = kind
        self.value = value

    def __repr__(self):
        return f"{self.kind}({self.value!r})" if self.value is not None else self.kind


class RawTls13Client:
    """A TLS 1.3 connection to 127.0.0.1:port whose records after the
    handshake are all built here. `suite` is the only suite offered."""

    def __init__(self, port, cafile, suite="TLS_AES_128_GCM_SHA256", server_hostname="localhost",
                 timeout=15.0, host="127.0.0.1"):
        self.suite = suite
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=cafile)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_3
        set_tls13_ciphersuites(self.context, suite)
        fd, self.keylog = tempfile.mkstemp(prefix="tlsgate-keylog-")
        os.close(fd)
        self.context.keylog_filename = self.keylog
        self.server_hostname = server_hostname
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.write_keys = None
        self.read_keys = None
        self.rx = bytearray()  # ciphertext from the server not yet parsed
        self.handshake_rx = bytearray()  # server handshake bytes not yet a whole message
        self.events = []
        self.tcp_end = None  # "eof" or "reset" once the server's side ended
        self.write_closed = False

    # -- the handshake, by Python's ssl --

    def handshake(self, then=None):
        """Completes the handshake. `then(client)` may return bytes (records
        made with the new keys) to go out in the same write as the client's
        Finished. Returns self."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = self.context.wrap_bio(incoming, outgoing, server_hostname=self.server_hostname)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._send(outgoing.read())
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionAbortedError("server closed the connection during the handshake")
                incoming.write(data)
        if obj.version() != "TLSv1.3" or obj.cipher()[0] != self.suite:
            raise AssertionError(f"negotiated {obj.version()} {obj.cipher()}, wanted TLSv1.3 {self.suite}")
        secrets = read_keylog(self.keylog)
        os.unlink(self.keylog)
        self.write_keys = TrafficKeys(self.suite, secrets["CLIENT_TRAFFIC_SECRET_0"])
        self.read_keys = TrafficKeys(self.suite, secrets["SERVER_TRAFFIC_SECRET_0"])
        self.sock.settimeout(self.timeout)
        finished = outgoing.read()
        extra = then(self) if then else b""
        self._send(finished + (extra or b""))
        # Whatever the ssl module read past the server's Finished is ours.
        self.rx += incoming.read()
        return self

    # -- records out --

    def _send(self, data):
        if data:
            self.sock.sendall(data)

    def record(self, content_type, content, padding=0, version=0x0303):
        """One protected record (bytes, not sent) under the current key."""
        return self.write_keys.seal(inner_plaintext(content, content_type, padding), version=version)

    def record_inner(self, inner):
        """One protected record around a TLSInnerPlaintext given whole."""
        return self.write_keys.seal(inner)

    def key_update_record(self, request=UPDATE_NOT_REQUESTED):
        """A record with one KeyUpdate; our write key moves on after it."""
        rec = self.record(HANDSHAKE, key_update(request))
        self.write_keys.update()
        return rec

    def send(self, data):
        """Raw bytes to the socket; False when the server has gone."""
        try:
            self._send(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def send_data(self, content, padding=0):
        return self.send(self.record(APPLICATION_DATA, content, padding))

    def half_close(self):
        """TCP FIN: our write side ends (no close_notify)."""
        self.write_closed = True
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    # -- records in --

    def _recv(self, timeout):
        """More ciphertext; False once the server's side has ended or on
        timeout."""
        if self.tcp_end:
            return False
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return False
        try:
            data = self.sock.recv(262144)
        except ConnectionResetError:
            self.tcp_end = "reset"
            self.events.append(Event("reset"))
            return False
        if not data:
            self.tcp_end = "eof"
            self.events.append(Event("eof"))
            return False
        self.rx += data
        return True

    def _parse(self):
        """Turns whole records in self.rx into events."""
        while len(self.rx) >= 5:
            outer, length = self.rx[0], struct.unpack("!H", self.rx[3:5])[0]
            if len(self.rx) < 5 + length:
                return
            header, body = bytes(self.rx[:5]), bytes(self.rx[5:5 + length])
            del self.rx[:5 + length]
            if outer != APPLICATION_DATA:
                self.events.append(Event("plaintext", (outer, body)))
                if outer == ALERT and len(body) == 2:
                    self.events.append(Event("alert", (body[0], body[1])))
                continue
            try:
                inner = self.read_keys.open(header, body)
            except InvalidTag:
                self.events.append(Event("undecryptable", length))
                continue
            stripped = inner.rstrip(b"\0")
            content_type, content = (stripped[-1], stripped[:-1]) if stripped else (0, b"")
            if content_type == APPLICATION_DATA:
                self.events.append(Event("data", content))
            elif content_type == ALERT:
                self.events.append(Event("alert", (content[0], content[1]) if len(content) == 2 else content))
            elif content_type == HANDSHAKE:
                self._handshake_bytes(content)
            else:
                self.events.append(Event("plaintext", (content_type, content)))

    def _handshake_bytes(self, content):
        self.handshake_rx += content
        while len(self.handshake_rx) >= 4:
            length = int.from_bytes(self.handshake_rx[1:4], "big")
            if len(self.handshake_rx) < 4 + length:
                return
            msg_type, body = self.handshake_rx[0], bytes(self.handshake_rx[4:4 + length])
            del self.handshake_rx[:4 + length]
            if msg_type == NEW_SESSION_TICKET:
                self.events.append(Event("ticket"))
            elif msg_type == KEY_UPDATE:
                self.events.append(Event("key_update", body[0] if body else None))
                # Records after it come under the server's next key.
                self.read_keys.update()
            else:
                self.events.append(Event("handshake", msg_type))

    def wait_for(self, predicate, timeout=None):
        """Reads until predicate(events) is true, the server's side ends, or
        timeout; returns the predicate's last value."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            self._parse()
            value = predicate(self.events)
            if value or self.tcp_end:
                return value
            if not self._recv(deadline - time.monotonic()):
                if self.tcp_end:
                    continue  # parse what came before the end
                return value

    def wait_for_ticket(self):
        """The server's first NewSessionTicket: proof that it has read our
        Finished and its application keys are in use."""
        return self.wait_for(lambda events: any(e.kind == "ticket" for e in events))

    def received_data(self):
        return b"".join(e.value for e in self.events if e.kind == "data")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        if os.path.exists(self.keylog):
            os.unlink(self.keylog)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
