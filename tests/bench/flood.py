#!/usr/bin/env python3
"""The client side of the flood phase of run.sh.

    flood.py stalled --port P --count N
        opens N connections that each send the first 10 bytes of a
        ClientHello and stall; prints `READY <n>` and holds them until its
        standard input closes.
    flood.py probe --port P --seconds S
        for S seconds, on one kept TLS connection, sends a small HTTP request
        and reads the response, back to back, recording each round trip;
        and, ten times a second, makes a new TLS connection and records how
        long its handshake took. Prints one line:
        `rtt_p50_ms=.. rtt_p99_ms=.. rtts=.. hs_p50_ms=.. hs_p99_ms=.. handshakes=..`
"""

import argparse
import resource
import socket
import ssl
import sys
import threading
import time


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def stalled(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    outgoing = ssl.MemoryBIO()
    obj = context.wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    head = outgoing.read()[:10]
    held = []
    for _ in range(args.count):
        s = socket.create_connection(("127.0.0.1", args.port))
        s.sendall(head)
        held.append(s)
    print(f"READY {len(held)}", flush=True)
    sys.stdin.read()


def probe(args):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = f"GET {args.path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    handshakes = []
    stop = time.monotonic() + args.seconds

    def handshaker():
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", args.port), timeout=30) as raw:
                    with context.wrap_socket(raw, server_hostname="localhost"):
                        handshakes.append((time.monotonic() - started) * 1000)
            except OSError:
                handshakes.append(float("inf"))
            time.sleep(0.1)  # the probe's rate, not a synchronisation

    thread = threading.Thread(target=handshaker, daemon=True)
    thread.start()
    rtts = []
    with socket.create_connection(("127.0.0.1", args.port), timeout=30) as raw:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with context.wrap_socket(raw, server_hostname="localhost") as s:
            while time.monotonic() < stop:
                started = time.monotonic()
                s.sendall(request)
                response = b""
                while b"\r\n\r\n" not in response:
                    response += s.recv(65536)
                header, _, body = response.partition(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                while len(body) < length:
                    body += s.recv(65536)
                rtts.append((time.monotonic() - started) * 1000)
    thread.join()
    print(f"rtt_p50_ms={percentile(rtts, 50):.3f} rtt_p99_ms={percentile(rtts, 99):.3f} rtts={len(rtts)} "
          f"hs_p50_ms={percentile(handshakes, 50):.3f} hs_p99_ms={percentile(handshakes, 99):.3f} "
          f"handshakes={len(handshakes)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("stalled")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, default=5000)
    p = sub.add_parser("probe")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--path", default="/small")
    args = parser.parse_args()
    stalled(args) if args.mode == "stalled" else probe(args)


if __name__ == "__main__":
    main()
