// Fuzzes a server TlsSession on bytes from a client that says anything: a
// ClientHello and whatever may follow it. The first byte picks the server
// and how the rest arrives:
//
//   bits 0-1  the server context: 0 TLS 1.2 and 1.3 with ALPN and a client
//             certificate request, 1 TLS 1.2 only, 2 TLS 1.3 with only
//             the CCM suite, 3 the same as 0
//   bits 2-7  the piece size, in 16-byte steps; 0 delivers the input whole
//
// After each piece the server runs its handshake; at the end the transport
// ends, as a client that hangs up does. The session must never crash, and
// it stays within its states: a failed session has a reason, and no
// handshake completes, since the input cannot hold the client's Finished
// under a key exchanged with this server.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>

#include "tls/server_tls_context.h"
#include "tls/tls_session.h"
#include "tls_fuzz_pki.h"

namespace tlsgate {
namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

std::shared_ptr<const TlsContext> makeServer(int kind) {
  ServerTlsConfig config;
  CertificateConfig certificate;
  certificate.cert.value = fuzz::fuzzPki().server.cert_path;
  certificate.key.value = fuzz::fuzzPki().server.key_path;
  config.certificates.push_back(certificate);
  config.session.cache_size = 0;  // each input is a stranger: no state across runs
  switch (kind) {
    case 1:
      config.protocols = {TlsProtocol::tls1_2};
      break;
    case 2:
      config.protocols = {TlsProtocol::tls1_3};
      config.ciphersuites = "TLS_AES_128_CCM_SHA256";
      break;
    default:
      config.alpn = {"h2", "http/1.1"};
      config.client_certs.mode = ClientCertMode::request;
      config.cafile.value = fuzz::fuzzPki().pki.caPath();
      break;
  }
  return ServerTlsContext::create(config);
}

const std::shared_ptr<const TlsContext>& server(int kind) {
  static const std::array<std::shared_ptr<const TlsContext>, 3> kServers = {
      makeServer(0), makeServer(1), makeServer(2)};
  return kServers[static_cast<std::size_t>(kind == 3 ? 0 : kind)];
}

void step(TlsSession& session, ByteQueue& out) {
  std::array<std::byte, 512> plaintext{};
  session.handshake();
  session.read(plaintext);
  out.clear();  // what the server answers goes nowhere
  if (session.state() == TlsState::failed) {
    check(!session.failureReason().empty());
  }
  check(!session.handshakeDone());
}

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  if (size == 0) {
    return 0;
  }
  static BufferPool pool(4096, 64);
  ByteQueue in(pool);
  ByteQueue out(pool);
  const std::unique_ptr<TlsSession> session = TlsSession::create(server(data[0] & 3), in, out);
  const std::size_t piece = (data[0] >> 2) == 0 ? size : std::size_t{16} * (data[0] >> 2);
  std::span<const uint8_t> rest(data + 1, size - 1);
  while (!rest.empty() && session->state() != TlsState::failed) {
    const std::size_t n = std::min(piece, rest.size());
    in.append(std::as_bytes(rest.first(n)));
    rest = rest.subspan(n);
    step(*session, out);
  }
  session->setInputEnded();
  step(*session, out);
  return 0;
}
