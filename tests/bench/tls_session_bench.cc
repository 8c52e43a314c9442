// Microbenchmarks of TlsSession pumped in memory: a client and a server
// session joined by byte queues, with no sockets and no event loop, so the
// figures are OpenSSL plus tlsgate's own BIO and queue overhead.
//
//   build-bench/tests/bench/tls_session_bench --benchmark_min_time=2
//
// The handshake benchmarks report `server_us`, the CPU time spent in the
// server session's calls alone: that is the part a proxy pays per accepted
// connection. The total per iteration is both sides together.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/test_pki.h"
#include "tls/record_cipher.h"
#include "tls/session_pair.h"
#include "x509/openssl_ptr.h"

namespace tlsgate::bench {
namespace {

// CPU time of the calling thread, so that other load on the machine does
// not count against the server session.
struct ThreadCpuClock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<ThreadCpuClock>;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  }
};
using Clock = ThreadCpuClock;
using test::IssuedCertificate;
using test::TestPki;

enum class KeyType { ecdsa_p256, rsa_2048 };

std::string drain(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  return {data, static_cast<std::size_t>(size)};
}

std::string certificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    throw std::runtime_error("PEM encoding failed");
  }
  return drain(bio.get());
}

std::string keyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw std::runtime_error("PEM encoding failed");
  }
  return drain(bio.get());
}

// TestPki issues ECDSA P-256 only; the RSA-2048 case is a self-signed
// certificate for "localhost" that the client trusts directly.
IssuedCertificate selfSignedRsa(const TestPki& pki) {
  EvpPkeyPtr key(EVP_RSA_gen(2048));
  X509Ptr cert(X509_new());
  if (!key || !cert) {
    throw std::runtime_error("RSA key generation failed");
  }
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600L);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  X509ExtensionPtr san(X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost"));
  X509_add_ext(cert.get(), san.get(), -1);
  X509_sign(cert.get(), key.get(), EVP_sha256());
  return {pki.writeFile("rsa.pem", certificatePem(cert.get())),
          pki.writeFile("rsa.key", keyPem(key.get()))};
}

// The server's handshake step as a function of its own, so a profiler can
// collect the server side alone:
//   valgrind --tool=callgrind --toggle-collect='*serverHandshakeStep*' ...
[[gnu::noinline]] TlsResult serverHandshakeStep(TlsSession& server) {
  return server.handshake();
}

// One PKI and one pair of configs per key type, made once: key generation
// is not what is measured.
struct Fixture {
  TestPki pki{"tlsgate bench CA"};
  ServerTlsConfig server;
  ClientTlsConfig client;

  explicit Fixture(KeyType type) {
    IssuedCertificate issued;
    std::string trust;
    if (type == KeyType::ecdsa_p256) {
      issued = pki.issue("ecdsa", "localhost", {"localhost"});
      trust = pki.caPath();
    } else {
      issued = selfSignedRsa(pki);
      trust = issued.cert_path;
    }
    server = test::serverConfig(issued);
    client = test::clientConfig(trust, "localhost");
    server.protocols = {TlsProtocol::tls1_3};
    client.protocols = {TlsProtocol::tls1_3};
  }
};

// Made on first use, so a filtered run does not pay for an RSA key.
Fixture& fixture(KeyType type) {
  if (type == KeyType::ecdsa_p256) {
    static Fixture ecdsa(KeyType::ecdsa_p256);
    return ecdsa;
  }
  static Fixture rsa(KeyType::rsa_2048);
  return rsa;
}

// What-if variants: a setting tlsgate does not make (yet), applied to the
// SSL_CTX after TlsContext built it, to price a change before making it.
enum class Tweak {
  none,
  no_tickets,           // SSL_CTX_set_num_tickets(0): no NewSessionTicket after the handshake
  keep_record_buffers,  // SSL_MODE_RELEASE_BUFFERS off: record buffers stay allocated
  aes128_first          // the server prefers TLS_AES_128_GCM_SHA256 over OpenSSL's AES-256 first
};

void apply(Tweak tweak, SSL_CTX* server, SSL_CTX* client) {
  switch (tweak) {
    case Tweak::none:
      return;
    case Tweak::no_tickets:
      SSL_CTX_set_num_tickets(server, 0);
      return;
    case Tweak::keep_record_buffers:
      SSL_CTX_clear_mode(server, SSL_MODE_RELEASE_BUFFERS);
      SSL_CTX_clear_mode(client, SSL_MODE_RELEASE_BUFFERS);
      return;
    case Tweak::aes128_first:
      SSL_CTX_set_ciphersuites(
          server, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
      return;
  }
}

// The server and client SSL_CTX, built once and shared by every session,
// as a listener shares its context across connections.
struct Contexts {
  explicit Contexts(const Fixture& f, Tweak tweak = Tweak::none)
      : server(ServerTlsContext::create(f.server)), client(ClientTlsContext::create(f.client)) {
    apply(tweak, server->native(), client->native());
  }
  std::shared_ptr<TlsContext> server;
  std::shared_ptr<TlsContext> client;
};

// A client and a server session over shared contexts, joined in memory.
class SharedContextPair {
 public:
  // `max_free` 0 makes drained chunks go back to the heap at once.
  explicit SharedContextPair(const Contexts& contexts, std::size_t max_free = 64)
      : pool(16 * 1024, max_free),
        server_context_(contexts.server),
        client_context_(contexts.client) {}

  void reset() {
    server.reset();
    client.reset();
    client_in.clear();
    client_out.clear();
    server_in.clear();
    server_out.clear();
    server = TlsSession::create(server_context_, server_in, server_out);
    client = TlsSession::create(client_context_, client_in, client_out);
  }

  static void transfer(ByteQueue& from, ByteQueue& to) {
    while (!from.empty()) {
      auto bytes = from.front();
      to.append(bytes);
      from.consume(bytes.size());
    }
  }

  // Runs both handshakes to completion; returns the time spent in the
  // server's calls, the hand-over to the record layer included when
  // `hand_over` (limits.record_layer_after: 0s; a connection that ends
  // before limits.record_layer_after never hands over).
  Clock::duration handshake(bool hand_over = true) {
    Clock::duration server_time{};
    for (int round = 0; round < 20; ++round) {
      TlsResult c = client->handshake();
      transfer(client_out, server_in);
      Clock::time_point start = Clock::now();
      TlsResult s = serverHandshakeStep(*server);
      server_time += Clock::now() - start;
      transfer(server_out, client_in);
      if (c.status == TlsStatus::failed || s.status == TlsStatus::failed) {
        throw std::runtime_error("handshake failed: " + client->failureReason() + " / " +
                                 server->failureReason());
      }
      if (client->handshakeDone() && server->handshakeDone()) {
        if (hand_over) {
          start = Clock::now();
          server->handOver();
          server_time += Clock::now() - start;
        }
        // The server's session tickets ride after its Finished; let the
        // client consume them as a real client would.
        std::byte sink[256];
        client->read(sink);
        return server_time;
      }
    }
    throw std::runtime_error("handshake did not finish");
  }

  const std::shared_ptr<TlsContext>& serverContext() const { return server_context_; }

  BufferPool pool{std::size_t{64} * 1024 + 512};  // as a worker's pool: whole records per chunk
  ByteQueue client_in{pool};
  ByteQueue client_out{pool};
  ByteQueue server_in{pool};
  ByteQueue server_out{pool};
  std::unique_ptr<TlsSession> server;
  std::unique_ptr<TlsSession> client;

 private:
  std::shared_ptr<TlsContext> server_context_;
  std::shared_ptr<TlsContext> client_context_;
};

// A full handshake, as a connection that ends before
// limits.record_layer_after pays it; the `_hand_over` variants hand over to
// the record layer at once (limits.record_layer_after: 0s).
enum class HandOver { later, at_once };

void BM_FullHandshake(benchmark::State& state, KeyType type, Tweak tweak, HandOver hand_over) {
  Contexts contexts(fixture(type), tweak);
  SharedContextPair pair(contexts);
  Clock::duration server_time{};
  for (auto _ : state) {
    pair.reset();
    server_time += pair.handshake(hand_over == HandOver::at_once);
    // The SSL is freed either way: in the hand-over, or here at the close.
    const Clock::time_point start = Clock::now();
    pair.server.reset();
    server_time += Clock::now() - start;
  }
  state.counters["server_us"] =
      benchmark::Counter(std::chrono::duration<double, std::micro>(server_time).count() /
                         static_cast<double>(state.iterations()));
  state.counters["handshakes"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_FullHandshake, ecdsa_p256, KeyType::ecdsa_p256, Tweak::none, HandOver::later)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FullHandshake, ecdsa_p256_hand_over, KeyType::ecdsa_p256, Tweak::none,
                  HandOver::at_once)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FullHandshake, rsa_2048, KeyType::rsa_2048, Tweak::none, HandOver::later)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FullHandshake, rsa_2048_hand_over, KeyType::rsa_2048, Tweak::none,
                  HandOver::at_once)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FullHandshake, ecdsa_p256_no_tickets, KeyType::ecdsa_p256, Tweak::no_tickets,
                  HandOver::later)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FullHandshake, ecdsa_p256_aes128_first, KeyType::ecdsa_p256,
                  Tweak::aes128_first, HandOver::later)
    ->Unit(benchmark::kMicrosecond);

// SSL_new plus the BIO and TlsSession around it, with no handshake: the
// fixed cost of an accepted connection before any bytes arrive.
void BM_SessionCreate(benchmark::State& state) {
  Contexts contexts(fixture(KeyType::ecdsa_p256));
  SharedContextPair pair(contexts);
  for (auto _ : state) {
    pair.server = TlsSession::create(pair.serverContext(), pair.server_in, pair.server_out);
    benchmark::DoNotOptimize(pair.server.get());
  }
}
BENCHMARK(BM_SessionCreate);

// One direction of established traffic: the client encrypts a record of
// `size` bytes, the server decrypts it. Bytes/s counts plaintext.
// One side encrypts a record, the other decrypts it. The server side is
// tlsgate's own TLS 1.3 record layer; the client side is OpenSSL's.
enum class Direction { client_to_server, server_to_client };

void BM_RecordWriteRead(benchmark::State& state, Tweak tweak, Direction direction) {
  Contexts contexts(fixture(KeyType::ecdsa_p256), tweak);
  SharedContextPair pair(contexts);
  pair.reset();
  pair.handshake();
  const bool upload = direction == Direction::client_to_server;
  TlsSession& writer = upload ? *pair.client : *pair.server;
  TlsSession& reader = upload ? *pair.server : *pair.client;
  ByteQueue& from = upload ? pair.client_out : pair.server_out;
  ByteQueue& to = upload ? pair.server_in : pair.client_in;
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> plaintext(size, std::byte{'x'});
  std::vector<std::byte> received(TlsSession::kReadRoom);
  for (auto _ : state) {
    TlsResult w = writer.write(plaintext);
    SharedContextPair::transfer(from, to);
    std::size_t got = 0;
    while (got < w.bytes) {
      TlsResult r = reader.read(received);
      if (r.status != TlsStatus::ok) {
        state.SkipWithError("read did not return the record");
        return;
      }
      got += r.bytes;
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(size));
}
BENCHMARK_CAPTURE(BM_RecordWriteRead, default, Tweak::none, Direction::client_to_server)
    ->Arg(100)
    ->Arg(1024)
    ->Arg(16 * 1024);
BENCHMARK_CAPTURE(BM_RecordWriteRead, server_to_client, Tweak::none, Direction::server_to_client)
    ->Arg(100)
    ->Arg(1024)
    ->Arg(16 * 1024);
// Encryption alone: one side writes a record and the ciphertext is dropped.
void BM_RecordWrite(benchmark::State& state, Direction direction) {
  Contexts contexts(fixture(KeyType::ecdsa_p256));
  SharedContextPair pair(contexts);
  pair.reset();
  pair.handshake();
  const bool client = direction == Direction::client_to_server;
  TlsSession& writer = client ? *pair.client : *pair.server;
  ByteQueue& out = client ? pair.client_out : pair.server_out;
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::byte> plaintext(size, std::byte{'x'});
  for (auto _ : state) {
    benchmark::DoNotOptimize(writer.write(plaintext));
    out.clear();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(size));
}
BENCHMARK_CAPTURE(BM_RecordWrite, openssl_client, Direction::client_to_server)
    ->Arg(100)
    ->Arg(16 * 1024);
BENCHMARK_CAPTURE(BM_RecordWrite, tlsgate_server, Direction::server_to_client)
    ->Arg(100)
    ->Arg(16 * 1024);

BENCHMARK_CAPTURE(BM_RecordWriteRead, keep_record_buffers, Tweak::keep_record_buffers,
                  Direction::client_to_server)
    ->Arg(100)
    ->Arg(16 * 1024);
BENCHMARK_CAPTURE(BM_RecordWriteRead, aes128_first, Tweak::aes128_first,
                  Direction::client_to_server)
    ->Arg(16 * 1024);

// The hand-over's key schedule alone: the keys and IVs of both directions
// made from two traffic secrets, as at the end of every TLS 1.3 handshake
// that tlsgate's record layer takes over.
void BM_RecordKeySetup(benchmark::State& state) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  SSL* ssl = SSL_new(ctx);
  const std::array<unsigned char, 2> tls_aes_128_gcm_sha256 = {0x13, 0x01};
  const SSL_CIPHER* suite = SSL_CIPHER_find(ssl, tls_aes_128_gcm_sha256.data());
  const std::array<unsigned char, 32> secret{};
  for (auto _ : state) {
    RecordCipher read;
    RecordCipher write;
    if (!read.init(suite, secret, false) || !write.init(suite, secret, true)) {
      state.SkipWithError("RecordCipher::init failed");
      break;
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
}
BENCHMARK(BM_RecordKeySetup);

// Moves one small message from `from` to `to` and reads it there.
bool exchange(TlsSession& from, ByteQueue& from_out, TlsSession& to, ByteQueue& to_in) {
  const std::string message = "GET /small HTTP/1.1\r\nHost: localhost\r\n\r\n";
  from.write(std::as_bytes(std::span(message)));
  SharedContextPair::transfer(from_out, to_in);
  std::byte sink[512];
  return to.read(sink).status == TlsStatus::ok;
}

// Not a timing: the heap that one established, idle server session keeps
// after one small request and response, as malloc counts it (mallinfo2).
// This is the TLS share of an idle connection's memory; the socket handles
// and the Connection object come on top.
void BM_IdleServerSessionHeap(benchmark::State& state, Tweak tweak) {
  constexpr int kSessions = 500;
  Contexts contexts(fixture(KeyType::ecdsa_p256), tweak);
  for (auto _ : state) {
    const std::size_t before = mallinfo2().uordblks;
    std::vector<std::unique_ptr<SharedContextPair>> pairs;
    pairs.reserve(kSessions);
    for (int i = 0; i < kSessions; ++i) {
      auto pair = std::make_unique<SharedContextPair>(contexts, 0);
      pair->reset();
      pair->handshake();
      if (!exchange(*pair->client, pair->client_out, *pair->server, pair->server_in) ||
          !exchange(*pair->server, pair->server_out, *pair->client, pair->client_in)) {
        state.SkipWithError("request and response did not pass");
        return;
      }
      pair->client.reset();  // only the server side is counted
      pair->client_in.clear();
      pair->client_out.clear();
      pairs.push_back(std::move(pair));
    }
    const std::size_t after = mallinfo2().uordblks;
    state.counters["heap_bytes_per_session"] =
        static_cast<double>(after - before - kSessions * sizeof(SharedContextPair)) / kSessions;
  }
}
BENCHMARK_CAPTURE(BM_IdleServerSessionHeap, default, Tweak::none)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_IdleServerSessionHeap, no_tickets, Tweak::no_tickets)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tlsgate::bench

BENCHMARK_MAIN();
