#!/usr/bin/env python3
"""Opens many TLS connections to a proxy and holds them open.

Each connection completes a non-blocking handshake, sends one small HTTP
request and reads the whole response, so the proxy has set up both sides
and moved bytes through its buffers. Then the script prints `READY <n>` and
holds every connection until its standard input closes (or it is killed).

Used by run.sh for the idle-memory phase; it can also be run by hand:

    idle_clients.py --port 18443 --count 2000 --path /small
"""

import argparse
import resource
import selectors
import socket
import ssl
import sys
import time


class Client:
    def __init__(self, context, host, port, request):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setblocking(False)
        self.sock = context.wrap_socket(raw, do_handshake_on_connect=False,
                                        server_hostname="localhost")
        self.sock.connect_ex((host, port))  # EINPROGRESS; the selector says when
        self.request = request
        self.sent = 0
        self.response = b""
        self.state = "handshake"

    def step(self):
        """Advances as far as possible; returns the events to wait for, or None when done."""
        try:
            if self.state == "handshake":
                self.sock.do_handshake()
                self.state = "send"
            if self.state == "send":
                while self.sent < len(self.request):
                    self.sent += self.sock.send(self.request[self.sent:])
                self.state = "receive"
            if self.state == "receive":
                while not self.complete():
                    data = self.sock.recv(65536)
                    if not data:
                        raise ConnectionError("closed before the response was complete")
                    self.response += data
                self.state = "held"
                return None
        except ssl.SSLWantReadError:
            return selectors.EVENT_READ
        except ssl.SSLWantWriteError:
            return selectors.EVENT_WRITE
        except BlockingIOError:
            return selectors.EVENT_READ | selectors.EVENT_WRITE
        return None

    def complete(self):
        head, sep, body = self.response.partition(b"\r\n\r\n")
        if not sep:
            return False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return len(body) >= int(value)
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--path", default="/small")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, args.count + 256)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    request = ("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % args.path).encode()

    selector = selectors.DefaultSelector()
    deadline = time.monotonic() + args.timeout
    pending = 0
    clients = []
    # Open in batches so the listen backlog is never the limit.
    batch = 200
    while len(clients) < args.count or pending:
        while len(clients) < args.count and pending < batch:
            client = Client(context, args.host, args.port, request)
            clients.append(client)
            selector.register(client.sock, selectors.EVENT_WRITE, client)
            pending += 1
        for key, _ in selector.select(timeout=1.0):
            client = key.data
            events = client.step()
            if events is None:
                selector.unregister(client.sock)
                pending -= 1
            else:
                selector.modify(client.sock, events, client)
        if time.monotonic() > deadline:
            done = sum(1 for c in clients if c.state == "held")
            sys.exit("idle_clients: only %d of %d connections finished in %.0fs"
                     % (done, args.count, args.timeout))

    print("READY %d" % len(clients), flush=True)
    sys.stdin.read()  # hold until run.sh closes our input
    for client in clients:
        client.sock.close()


if __name__ == "__main__":
    main()
