#include "tls/handshake_summary.h"

#include <openssl/x509.h>

namespace tlsgate {
namespace {

std::string derOf(X509* cert) {
  if (cert == nullptr) {
    return {};
  }
  const int length = i2d_X509(cert, nullptr);
  if (length <= 0) {
    return {};
  }
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &out);
  return der;
}

}  // namespace

HandshakeSummary summarizeHandshake(const SSL* ssl) {
  HandshakeSummary summary;
  summary.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    summary.cipher = SSL_CIPHER_get_name(cipher);
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_length);
  summary.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  if (const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)) {
    summary.servername = name;
  }
  summary.resumed = SSL_session_reused(ssl) == 1;
  if (X509* peer = SSL_get0_peer_certificate(ssl)) {
    summary.peer = identityOf(peer);
    summary.peer_der = derOf(peer);
  }
  return summary;
}

}  // namespace tlsgate
