"""Many simultaneous TLS connections through one listener."""

import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

import harness
from harness import EchoServer, IntegrationTest, TlsClient, free_port, listener

CONNECTIONS = 500


class ConcurrencyTest(IntegrationTest):

    def test_500_concurrent_connections(self):
        port = free_port()
        threading.stack_size(512 * 1024)
        with EchoServer() as backend:
            cfg = harness.config([listener("many", port, backend.port, accept_tls=harness.server_tls(self.pki))])
            with self.daemon(cfg) as gate:
                ctx = self.pki.client_context()

                def open_one(i):
                    client = TlsClient(port, ctx, timeout=60)
                    client.handshake()
                    return client

                # Handshakes from 16 threads at once; every connection stays open.
                with ThreadPoolExecutor(16) as pool:
                    clients = list(pool.map(open_one, range(CONNECTIONS)))
                try:
                    self.assertEqual(len(clients), CONNECTIONS)
                    harness.wait_until(lambda: backend.accepted >= CONNECTIONS, 30,
                                       what=f"{CONNECTIONS} backend connections (have {backend.accepted})")
                    messages = [f"message {i:04d} {'x' * (i % 97)}\n".encode() for i in range(CONNECTIONS)]
                    for client, message in zip(clients, messages):
                        client.sendall(message)
                    for i, (client, message) in enumerate(zip(clients, messages)):
                        self.assertEqual(client.recv_exactly(len(message)), message, f"connection {i}")
                    self.assertEqual(backend.accepted, CONNECTIONS)
                    for client in clients:
                        client.close_notify()
                    for i, client in enumerate(clients):
                        self.assertEqual(client.recv_until_eof(), b"", f"connection {i}")
                finally:
                    for client in clients:
                        client.close()
                self.assertEqual(backend.errors, [])

                def close_lines():
                    return [l for l in gate.text().splitlines() if "listener=many" in l and "outcome=" in l]
                harness.wait_until(lambda: len(close_lines()) >= CONNECTIONS, 30,
                                   what=f"{CONNECTIONS} connection log lines")
                lines = close_lines()
                self.assertEqual(len(lines), CONNECTIONS)
                failed = [l for l in lines if "outcome=ok" not in l]
                self.assertEqual(failed, [])


if __name__ == "__main__":
    unittest.main()
