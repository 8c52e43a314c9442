// Fuzzes a server TlsSession after a completed handshake: the records a
// client sends, as a script of steps. The first byte picks the server's
// record path: even, TLS 1.3 with AES-128-GCM, which tlsgate's RecordLayer
// carries; odd, TLS 1.3 with only TLS_AES_128_CCM_SHA256, which stays on
// OpenSSL. Its bits 1 to 3 are the steps OpenSSL carries before the
// hand-over is tried (0: at once, as with limits.record_layer_after: 0s;
// then after every step until it happens). Then each step is an op byte
// and a length byte; ops 0 to 3 take that many bytes after it:
//
//   0  raw: the bytes go to the server as they are
//   1  write: the client sends the bytes as application data
//   2  tamper: as 1, with one byte of the records flipped
//   3  split: as 1, but only part of the records arrives; 4 sends the rest
//   5  close: the client sends close_notify
//   6  buffer: the server reads into a buffer of 1 + 67 * length bytes
//   7  end: the transport ends
//
// After each step the server reads all it can. Whatever it delivers must be
// a prefix of what the client wrote: no record can be forged without the
// keys, so a raw or damaged record may only end the session.
//
// Each input costs a full handshake (ECDHE and ECDSA on P-256), about 1 ms;
// OpenSSL cannot copy an SSL object that has finished its handshake.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tls/client_tls_context.h"
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

std::shared_ptr<const TlsContext> makeServer(const std::string& suites) {
  ServerTlsConfig config;
  CertificateConfig certificate;
  certificate.cert.value = fuzz::fuzzPki().server.cert_path;
  certificate.key.value = fuzz::fuzzPki().server.key_path;
  config.certificates.push_back(certificate);
  config.protocols = {TlsProtocol::tls1_3};
  config.ciphersuites = suites;
  config.session.cache_size = 0;
  return ServerTlsContext::create(config);
}

std::shared_ptr<const TlsContext> makeClient() {
  ClientTlsConfig config;
  config.cafile.value = fuzz::fuzzPki().pki.caPath();
  config.servername = "localhost";
  config.protocols = {TlsProtocol::tls1_3};
  config.ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_128_CCM_SHA256";
  config.session.resume = false;  // every input starts with a full handshake
  return ClientTlsContext::create(config);
}

void move(ByteQueue& from, ByteQueue& to) {
  while (!from.empty()) {
    auto bytes = from.front();
    to.append(bytes);
    from.consume(bytes.size());
  }
}

std::vector<std::byte> take(ByteQueue& queue) {
  std::vector<std::byte> out;
  while (!queue.empty()) {
    auto bytes = queue.front();
    out.insert(out.end(), bytes.begin(), bytes.end());
    queue.consume(bytes.size());
  }
  return out;
}

class Connection {
 public:
  explicit Connection(bool on_openssl)
      : server_(
            TlsSession::create(on_openssl ? ccmServer() : gcmServer(), server_in_, server_out_)),
        client_(TlsSession::create(client(), client_in_, client_out_)) {}

  bool handshake() {
    for (int round = 0; round < 10; ++round) {
      client_->handshake();
      server_->handshake();
      move(client_out_, server_in_);
      move(server_out_, client_in_);
      if (client_->handshakeDone() && server_->handshakeDone()) {
        return true;
      }
    }
    return false;
  }

  bool onRecordLayer() const { return server_->usesRecordLayer(); }

  bool handOver() { return server_->handOver(); }

  void run(std::span<const uint8_t> script, int hand_over_after) {
    for (int step = 1; script.size() >= 2 && server_->state() != TlsState::failed; ++step) {
      const uint8_t op = script[0] % 8;
      const uint8_t length = script[1];
      // Only the ops that send bytes take them from the script.
      const std::size_t taken = op < 4 ? std::min<std::size_t>(length, script.size() - 2) : 0;
      apply(op, length, std::as_bytes(script.subspan(2, taken)));
      script = script.subspan(2 + taken);
      serverReads();
      if (step >= hand_over_after && server_->mayHandOver()) {
        server_->handOver();
      }
    }
  }

 private:
  static const std::shared_ptr<const TlsContext>& gcmServer() {
    static const auto kContext = makeServer("TLS_AES_128_GCM_SHA256");
    return kContext;
  }
  static const std::shared_ptr<const TlsContext>& ccmServer() {
    static const auto kContext = makeServer("TLS_AES_128_CCM_SHA256");
    return kContext;
  }
  static const std::shared_ptr<const TlsContext>& client() {
    static const auto kContext = makeClient();
    return kContext;
  }

  void send(std::span<const std::byte> bytes) {
    if (client_->state() == TlsState::failed || client_->closeSent()) {
      return;
    }
    client_->write(bytes);
    written_.insert(written_.end(), bytes.begin(), bytes.end());
  }

  void apply(uint8_t op, uint8_t length, std::span<const std::byte> bytes) {
    switch (op) {
      case 0:
        server_in_.append(bytes);
        return;
      case 1:
        send(bytes);
        move(client_out_, server_in_);
        return;
      case 2: {
        send(bytes);
        std::vector<std::byte> records = take(client_out_);
        if (!records.empty()) {
          const std::size_t at = (std::size_t{length} * 131 + bytes.size()) % records.size();
          records[at] ^= std::byte{1} << (length % 8);
          server_in_.append(records);
        }
        return;
      }
      case 3: {
        send(bytes);
        std::vector<std::byte> records = take(client_out_);
        const std::size_t cut = records.empty() ? 0 : length % records.size();
        server_in_.append(std::span(records).first(cut));
        held_.insert(held_.end(), records.begin() + static_cast<std::ptrdiff_t>(cut),
                     records.end());
        return;
      }
      case 4:
        server_in_.append(held_);
        held_.clear();
        return;
      case 5:
        client_->shutdown();
        move(client_out_, server_in_);
        return;
      case 6:
        buffer_size_ = 1 + std::size_t{67} * length;
        return;
      default:
        server_->setInputEnded();
        return;
    }
  }

  void serverReads() {
    std::vector<std::byte> buffer(buffer_size_);
    for (int i = 0; i < 64; ++i) {
      const TlsResult result = server_->read(buffer);
      check(result.bytes <= buffer.size());
      if (result.status == TlsStatus::failed) {
        check(!server_->failureReason().empty());
      }
      if (result.status != TlsStatus::ok || result.bytes == 0) {
        break;
      }
      read_.insert(read_.end(), buffer.begin(),
                   buffer.begin() + static_cast<std::ptrdiff_t>(result.bytes));
    }
    check(read_.size() <= written_.size() &&
          std::equal(read_.begin(), read_.end(), written_.begin()));
    // The server's answers (alerts, KeyUpdate) go back to the client.
    move(server_out_, client_in_);
    std::array<std::byte, 1024> sink{};
    for (int i = 0; i < 64 && client_->read(sink).status == TlsStatus::ok; ++i) {
    }
  }

  BufferPool pool_{std::size_t{16} * 1024, 16};
  ByteQueue client_in_{pool_};
  ByteQueue client_out_{pool_};
  ByteQueue server_in_{pool_};
  ByteQueue server_out_{pool_};
  std::unique_ptr<TlsSession> server_;
  std::unique_ptr<TlsSession> client_;
  std::vector<std::byte> written_;
  std::vector<std::byte> read_;
  std::vector<std::byte> held_;
  std::size_t buffer_size_ = TlsSession::kReadRoom;
};

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  if (size == 0) {
    return 0;
  }
  const bool on_openssl = (data[0] & 1) != 0;
  const int hand_over_after = (data[0] >> 1) & 7;
  Connection connection(on_openssl);
  check(connection.handshake());
  if (hand_over_after == 0) {
    connection.handOver();
    check(connection.onRecordLayer() == !on_openssl);
  }
  connection.run(std::span(data + 1, size - 1), hand_over_after);
  return 0;
}
