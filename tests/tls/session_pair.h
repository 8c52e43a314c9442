// A client TlsSession and a server TlsSession joined in memory: what one
// writes to its ciphertext_out the pump delivers to the other's
// ciphertext_in. No sockets are involved.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "support/test_pki.h"
#include "tls/client_tls_context.h"
#include "tls/server_tls_context.h"
#include "tls/tls_session.h"

namespace tlsgate::test {

// A certificate entry for `issued`.
inline CertificateConfig certificate(const IssuedCertificate& issued) {
  CertificateConfig out;
  out.cert.value = issued.cert_path;
  out.key.value = issued.key_path;
  return out;
}

// A server config with `issued` as its certificate.
inline ServerTlsConfig serverConfig(const IssuedCertificate& issued) {
  ServerTlsConfig config;
  config.certificates.push_back(certificate(issued));
  return config;
}

// A client config that trusts `ca_path` and verifies `servername`.
inline ClientTlsConfig clientConfig(const std::string& ca_path, const std::string& servername) {
  ClientTlsConfig config;
  config.cafile.value = ca_path;
  config.servername = servername;
  return config;
}

class SessionPair {
 public:
  SessionPair(const ServerTlsConfig& server_config, const ClientTlsConfig& client_config)
      : SessionPair(ServerTlsContext::create(server_config),
                    ClientTlsContext::create(client_config)) {}

  // Sessions on existing contexts, e.g. a second connection that resumes.
  SessionPair(std::shared_ptr<TlsContext> server_ctx, std::shared_ptr<TlsContext> client_ctx)
      : server_context(std::move(server_ctx)),
        client_context(std::move(client_ctx)),
        server(TlsSession::create(server_context, server_in, server_out, "test server")),
        client(TlsSession::create(client_context, client_in, client_out, "test client")) {}

  // Moves all pending ciphertext both ways; true if anything moved.
  bool pump() {
    bool moved = !client_out.empty() || !server_out.empty();
    transfer(client_out, server_in);
    transfer(server_out, client_in);
    return moved;
  }

  // Drives both handshakes until both finish or one fails.
  bool handshake() {
    for (int round = 0; round < 20; ++round) {
      TlsResult c = client->handshake();
      TlsResult s = server->handshake();
      pump();
      if (c.status == TlsStatus::failed || s.status == TlsStatus::failed) {
        return false;
      }
      if (client->handshakeDone() && server->handshakeDone()) {
        server->handOver();  // at once, as with limits.record_layer_after: 0s
        return true;
      }
    }
    return false;
  }

  // Lets the client read what the server sent after the handshake: TLS 1.3
  // session tickets arrive then.
  void readPostHandshake() {
    pump();
    std::byte buffer[256];
    client->read(buffer);
    server->read(buffer);
    pump();
  }

  BufferPool pool{std::size_t{16} * 1024, 64};
  ByteQueue client_in{pool};
  ByteQueue client_out{pool};
  ByteQueue server_in{pool};
  ByteQueue server_out{pool};
  std::shared_ptr<TlsContext> server_context;
  std::shared_ptr<TlsContext> client_context;
  std::unique_ptr<TlsSession> server;
  std::unique_ptr<TlsSession> client;

 private:
  static void transfer(ByteQueue& from, ByteQueue& to) {
    while (!from.empty()) {
      auto bytes = from.front();
      to.append(bytes);
      from.consume(bytes.size());
    }
  }
};

}  // namespace tlsgate::test
