// Names the protocol that a connection's first bytes belong to, so that a
// parser which expected something else can say what arrived instead: a
// TLS ClientHello on a PROXY-protocol listener, plaintext HTTP on a TLS
// port, and so on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace tlsgate {

enum class FirstBytes {
  unknown,
  tls_handshake,  // 0x16 0x03: a TLS handshake record, which opens with a ClientHello
  tls_other,      // another TLS record: alert, change cipher spec, application data
  sslv2_hello,    // an SSLv2-format ClientHello
  http,           // an HTTP/1 request line or the HTTP/2 preface
  proxy_v1,       // "PROXY "
  proxy_v2,       // the PROXY v2 signature
  ssh,            // "SSH-"
};

// Decides from as few bytes as have arrived, and says unknown rather than
// guess when there are too few to tell.
FirstBytes identifyFirstBytes(std::span<const std::uint8_t> bytes);

// Up to `max` of the bytes for a failure reason: quoted with C escapes when
// they are text ("GET / HTTP/1.1\r\n..."), in hex otherwise
// (16 03 01 02 00 ...).
std::string showFirstBytes(std::span<const std::uint8_t> bytes, std::size_t max = 24);

}  // namespace tlsgate
