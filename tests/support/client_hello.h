// The bytes a real OpenSSL client sends first: its ClientHello, framed in
// as many records as OpenSSL chooses, for tests of what reads them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace tlsgate::test {

struct ClientHelloOptions {
  std::string sni;  // empty: no server_name extension
  std::vector<std::string> alpn;
  int max_version = 0;               // e.g. TLS1_2_VERSION; 0: whatever OpenSSL offers
  std::size_t custom_extension = 0;  // bytes of an extra extension, to make the hello large
  bool padding = false;              // SSL_OP_TLSEXT_PADDING
};

// Empty if OpenSSL did not stop to wait for the ServerHello.
std::string openSslClientHello(const ClientHelloOptions& options = {});

}  // namespace tlsgate::test
