// The relay's reading rules that keep memory bounded when a peer does
// not play along: a TLS peer that sends but never reads, and a watermark
// smaller than one TLS record.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <string>

#include "proxy/memory_port.h"
#include "proxy/relay.h"
#include "tls/session_pair.h"

namespace tlsgate::test {
namespace {

constexpr std::size_t kHighWatermark = std::size_t{64} * 1024;
constexpr int kMaxRounds = 50000;

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// A TLS 1.3 client made straight from OpenSSL, over memory BIOs, that can
// ask for key updates: TlsSession has no call for that. Every KeyUpdate
// with update_requested obliges the other side to answer with its own.
// tlsgate's own record layer answers any number of KeyUpdate requests once
// and refuses a long run of them (record_layer.h); OpenSSL answers each. A
// CCM suite keeps the server on OpenSSL, where the answers pile up.
constexpr const char* kOpenSslPathSuite = "TLS_AES_128_CCM_SHA256";

class KeyUpdateClient {
 public:
  explicit KeyUpdateClient(MemoryPort& port) : port_(port) {
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_3_VERSION);
    SSL_CTX_set_ciphersuites(ctx_.get(), kOpenSslPathSuite);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_bio(ssl_.get(), BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(ssl_.get());
  }

  // Completes the handshake with the port's server session, in memory.
  bool handshake() {
    for (int round = 0; round < 20; ++round) {
      SSL_do_handshake(ssl_.get());
      toPort();
      port_.tls->handshake();
      fromPort(port_.out);
      if (SSL_is_init_finished(ssl_.get()) != 0 && port_.tls->handshakeDone()) {
        // The session tickets the server sends after the handshake.
        fromPort(port_.out);
        return true;
      }
    }
    return false;
  }

  // Sends one KeyUpdate(update_requested) if the port reads; true if it did.
  bool requestKeyUpdate() {
    if (!port_.isReading()) {
      return false;
    }
    if (SSL_key_update(ssl_.get(), SSL_KEY_UPDATE_REQUESTED) != 1 ||
        SSL_do_handshake(ssl_.get()) != 1) {
      return false;
    }
    toPort();
    return true;
  }

 private:
  void toPort() {
    BIO* out = SSL_get_wbio(ssl_.get());
    std::array<std::byte, 4096> bytes{};
    for (int n = 0; (n = BIO_read(out, bytes.data(), static_cast<int>(bytes.size()))) > 0;) {
      port_.in.append(std::span(bytes).first(static_cast<std::size_t>(n)));
    }
  }
  void fromPort(ByteQueue& queue) {
    while (!queue.empty()) {
      std::span<const std::byte> bytes = queue.front();
      BIO_write(SSL_get_rbio(ssl_.get()), bytes.data(), static_cast<int>(bytes.size()));
      queue.consume(bytes.size());
    }
    std::array<std::byte, 256> ignored{};
    SSL_read(ssl_.get(), ignored.data(), static_cast<int>(ignored.size()));
  }

  MemoryPort& port_;
  std::unique_ptr<SSL_CTX, SslDeleter> ctx_{SSL_CTX_new(TLS_client_method())};
  std::unique_ptr<SSL, SslDeleter> ssl_;
};

class RelayBackpressureTest : public ::testing::Test {
 protected:
  TestPki pki;
  IssuedCertificate certificate_ = pki.issue("server", "localhost", {"localhost"}, {"127.0.0.1"});
  std::shared_ptr<TlsContext> server_context = ServerTlsContext::create(serverConfig(certificate_));
  std::shared_ptr<TlsContext> openssl_path_context = ServerTlsContext::create([this] {
    ServerTlsConfig config = serverConfig(certificate_);
    config.ciphersuites = kOpenSslPathSuite;
    return config;
  }());
  std::shared_ptr<TlsContext> client_context =
      ClientTlsContext::create(clientConfig(pki.caPath(), "localhost"));

  BufferPool pool{kTestChunkSize, 64};
  std::array<std::byte, TlsSession::kReadRoom> scratch{};
  MemoryPort client{pool};
  MemoryPort backend{pool};
};

// A client that keeps asking for key updates and never reads: each of our
// answers waits in its output. Reading it stops once that output is at the
// watermark, so what waits stays bounded however long it goes on.
TEST_F(RelayBackpressureTest, ATlsPeerThatNeverReadsStopsBeingReadAtTheWatermark) {
  client.tls = TlsSession::create(openssl_path_context, client.in, client.out, "relay port");
  KeyUpdateClient peer(client);
  ASSERT_TRUE(peer.handshake()) << client.tls->failureReason();
  Relay relay(scratch, kHighWatermark);
  client.write_step = 0;  // the client's socket buffer is full: nothing leaves
  relay.updateReading(client, backend);
  ASSERT_TRUE(client.isReading());

  int sent = 0;
  for (int i = 0; i < kMaxRounds && client.isReading(); ++i) {
    for (int j = 0; j < 100 && peer.requestKeyUpdate(); ++j) {
      ++sent;
    }
    ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  }

  EXPECT_FALSE(client.isReading())
      << sent << " key updates, " << client.out.size() << " bytes of answers waiting";
  EXPECT_GE(client.out.size(), kHighWatermark);
  // Bounded by the watermark plus what one read's worth of input answers.
  EXPECT_LT(client.out.size(), kHighWatermark + kTestChunkSize);
  const std::size_t waiting = client.out.size();
  for (int i = 0; i < 50; ++i) {
    ASSERT_FALSE(peer.requestKeyUpdate());
    ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  }
  EXPECT_EQ(client.out.size(), waiting);

  // The client reads again: below half the watermark, so do we.
  client.write_step = client.out.size() - kHighWatermark / 2 + 1;
  client.flush();
  ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  EXPECT_TRUE(client.isReading());
}

// A plaintext backend that is busy writing is still read while it does not
// take what we send it: stopping it would deadlock a server that writes
// before it reads again.
TEST_F(RelayBackpressureTest, APlaintextPeerIsReadWhateverItsOwnOutputHolds) {
  Relay relay(scratch, kHighWatermark);
  backend.write_step = 0;
  backend.out.append(bytesOf(randomPayload(2 * kHighWatermark, 7)));
  relay.updateReading(backend, client);
  EXPECT_TRUE(backend.isReading());
}

// limits.buffer_size: 4k and a client that sends an 8000-byte record in
// two pieces: the relay must read past the watermark until the record is
// whole, or the record never completes and nothing moves.
TEST_F(RelayBackpressureTest, AWatermarkBelowOneRecordStillReadsAWholeRecord) {
  constexpr std::size_t kSmallWatermark = 4096;
  Relay relay(scratch, kSmallWatermark);
  MemoryPeer client_peer(client, pool);
  MemoryPeer backend_peer(backend, pool);
  ASSERT_TRUE(client_peer.handshake(server_context, client_context));
  const std::string up = randomPayload(8000, 8);
  client_peer.deliver_step = 5000;  // the record arrives as 5000 bytes, then the rest
  client_peer.send(up);

  for (int i = 0; i < 200 && backend_peer.received.size() < up.size(); ++i) {
    client_peer.step();
    ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
    backend_peer.step();
  }

  EXPECT_EQ(backend_peer.received.size(), up.size());
  EXPECT_EQ(backend_peer.received, up);
}

}  // namespace
}  // namespace tlsgate::test
