#include "proxy/relay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <ostream>
#include <random>
#include <string>

#include "proxy/memory_port.h"
#include "tls/session_pair.h"

namespace tlsgate::test {
namespace {

constexpr std::size_t kHighWatermark = std::size_t{64} * 1024;
// Far more rounds than any test needs; a relay that stops moving bytes
// fails the test instead of hanging it.
constexpr int kMaxRounds = 50000;

// Compares without printing megabytes when they differ.
::testing::AssertionResult sameBytes(const std::string& got, const std::string& want) {
  if (got == want) {
    return ::testing::AssertionSuccess();
  }
  const auto mismatch = std::mismatch(got.begin(), got.end(), want.begin(), want.end());
  return ::testing::AssertionFailure()
         << "got " << got.size() << " bytes, want " << want.size() << "; first difference at "
         << (mismatch.first - got.begin());
}

class RelayTest : public ::testing::Test {
 protected:
  // tlsgate accepts TLS from the client: the client port's session is a server.
  void acceptTls() {
    ASSERT_TRUE(client_peer.handshake(server_context, client_context))
        << client.tls->failureReason() << client_peer.tls->failureReason();
  }
  // tlsgate speaks TLS to the backend: the backend port's session is a client.
  void connectTls() {
    ASSERT_TRUE(backend_peer.handshake(client_context, server_context))
        << backend.tls->failureReason() << backend_peer.tls->failureReason();
  }

  // One event's worth: both peers act, then the relay pumps. Returns the
  // relay's answer.
  RelayResult round() {
    client_peer.step();
    backend_peer.step();
    RelayResult result = relay.pump(client, backend);
    largest_output = std::max({largest_output, client.out.size(), backend.out.size()});
    client_peer.step();
    backend_peer.step();
    return result;
  }

  // Pumps until `done` or until the relay stops flowing.
  RelayResult runUntil(const std::function<bool()>& done) {
    RelayResult result;
    for (int i = 0; i < kMaxRounds && !done(); ++i) {
      result = round();
      if (result.status != RelayStatus::flowing) {
        return result;
      }
    }
    EXPECT_TRUE(done()) << "the relay stopped making progress";
    return result;
  }

  TestPki pki;
  IssuedCertificate certificate_ = pki.issue("server", "localhost", {"localhost"}, {"127.0.0.1"});
  std::shared_ptr<TlsContext> server_context = ServerTlsContext::create(serverConfig(certificate_));
  std::shared_ptr<TlsContext> client_context =
      ClientTlsContext::create(clientConfig(pki.caPath(), "localhost"));

  BufferPool pool{kTestChunkSize, 64};
  std::array<std::byte, TlsSession::kReadRoom> scratch{};
  Relay relay{scratch, kHighWatermark};
  MemoryPort client{pool};
  MemoryPort backend{pool};
  MemoryPeer client_peer{client, pool};
  MemoryPeer backend_peer{backend, pool};
  std::size_t largest_output = 0;
};

struct Modes {
  bool client_tls;
  bool backend_tls;
  const char* name;
};

// gtest looks this name up to print a parameter.
void PrintTo(const Modes& modes, std::ostream* out) {  // NOLINT(readability-identifier-naming)
  *out << modes.name;
}

class RelayModesTest : public RelayTest, public ::testing::WithParamInterface<Modes> {};

// Megabytes each way at once, delivered and written in pieces of random
// size, so records and chunks split everywhere.
TEST_P(RelayModesTest, LargePayloadsArriveExactAndInOrderBothWays) {
  if (GetParam().client_tls) {
    acceptTls();
  }
  if (GetParam().backend_tls) {
    connectTls();
  }
  const std::string up = randomPayload(std::size_t{4} * 1024 * 1024 + 17, 1);
  const std::string down = randomPayload(std::size_t{3} * 1024 * 1024 + 5, 2);
  std::mt19937 steps(3);
  client_peer.random_steps = &steps;
  backend_peer.random_steps = &steps;
  client_peer.deliver_step = 20000;
  backend_peer.deliver_step = 20000;
  client.write_step = 7919;  // slow sockets: many partial writes
  backend.write_step = 4099;
  client_peer.send(up);
  backend_peer.send(down);

  RelayResult result = runUntil([&] {
    return backend_peer.received.size() >= up.size() && client_peer.received.size() >= down.size();
  });

  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(sameBytes(backend_peer.received, up));
  EXPECT_TRUE(sameBytes(client_peer.received, down));
  // Plaintext counts, whichever side encrypts.
  EXPECT_EQ(relay.bytesUp(), up.size());
  EXPECT_EQ(relay.bytesDown(), down.size());
  EXPECT_TRUE(client_peer.tls_failure.empty()) << client_peer.tls_failure;
  EXPECT_TRUE(backend_peer.tls_failure.empty()) << backend_peer.tls_failure;
  // Backpressure bounds what waits for a slow socket: the watermark plus
  // what one move may bring (a chunk, or one encrypted chunk).
  EXPECT_LT(largest_output, kHighWatermark + 2 * kTestChunkSize);
}

INSTANTIATE_TEST_SUITE_P(, RelayModesTest,
                         ::testing::Values(Modes{false, false, "PlainToPlain"},
                                           Modes{true, false, "TlsToPlain"},
                                           Modes{false, true, "PlainToTls"},
                                           Modes{true, true, "TlsToTls"}),
                         [](const auto& test) { return std::string(test.param.name); });

TEST_F(RelayTest, TlsToTlsDecryptsIntoTheScratchBuffer) {
  acceptTls();
  connectTls();
  std::fill(scratch.begin(), scratch.end(), std::byte{0x5a});
  const std::string up = "a record that passes through the scratch buffer on its way";
  client_peer.send(up);

  RelayResult result = runUntil([&] { return backend_peer.received.size() >= up.size(); });

  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_EQ(backend_peer.received, up);
  const std::string held(reinterpret_cast<const char*>(scratch.data()), up.size());
  EXPECT_EQ(held, up);
}

TEST_F(RelayTest, HighWatermarkStopsReadingTheSourceUntilBelowHalf) {
  backend.write_step = 0;  // the backend takes nothing: its buffer fills
  client_peer.deliver_step = 1000;
  const std::string up = randomPayload(std::size_t{1024} * 1024, 4);
  client_peer.send(up);

  runUntil([&] { return !client.reading_calls.empty() && !client.isReading(); });

  ASSERT_EQ(client.reading_calls, (std::vector<bool>{true, false}));
  EXPECT_GE(backend.out.size(), kHighWatermark);
  EXPECT_LT(backend.out.size(), kHighWatermark + 2 * client_peer.deliver_step);
  // Paused, the client delivers nothing more however often the relay runs.
  const std::size_t buffered = backend.out.size();
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(round().status, RelayStatus::flowing);
  }
  EXPECT_EQ(backend.out.size(), buffered);
  EXPECT_TRUE(client.in.empty());
  EXPECT_FALSE(client.isReading());

  // The backend takes some, but the buffer stays above half the watermark.
  backend.write_step = backend.out.size() - (kHighWatermark / 2 + 1);
  backend.flush();
  backend.write_step = 0;
  ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  EXPECT_FALSE(client.isReading());

  // Below half: reading resumes.
  backend.write_step = 2;
  backend.flush();
  backend.write_step = 0;
  ASSERT_EQ(backend.out.size(), kHighWatermark / 2 - 1);
  ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  EXPECT_TRUE(client.isReading());
  EXPECT_EQ(client.reading_calls, (std::vector<bool>{true, false, true}));

  backend.write_step = MemoryPort::kUnlimited;
  RelayResult result = runUntil([&] { return backend_peer.received.size() >= up.size(); });
  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(sameBytes(backend_peer.received, up));
}

// Before the backend is connected, what the client sends waits in its own
// buffer, and reading stops once that is at the watermark.
TEST_F(RelayTest, HighWatermarkStopsReadingWhileTheSinkCannotWrite) {
  backend.connected = false;
  client_peer.deliver_step = 1000;
  client_peer.send(randomPayload(std::size_t{1024} * 1024, 5));
  relay.updateReading(client, backend);
  ASSERT_TRUE(client.isReading());

  for (int i = 0; i < kMaxRounds && client.isReading(); ++i) {
    client_peer.step();
    relay.updateReading(client, backend);
  }

  EXPECT_FALSE(client.isReading());
  EXPECT_GE(client.in.size(), kHighWatermark);
  EXPECT_LT(client.in.size(), kHighWatermark + client_peer.deliver_step);
}

TEST_F(RelayTest, ClientFinBecomesCloseNotifyThenFinOnATlsBackend) {
  connectTls();
  const std::string up = randomPayload(std::size_t{100} * 1024, 6);
  client_peer.send(up);
  client_peer.sendFin();

  RelayResult result = runUntil([&] { return backend_peer.saw_fin; });

  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(relay.clientEnded());
  EXPECT_FALSE(relay.backendEnded());
  EXPECT_TRUE(backend_peer.saw_close_notify);
  EXPECT_FALSE(backend_peer.fin_before_close_notify);
  EXPECT_EQ(backend_peer.received_before_close_notify, up.size());
  EXPECT_TRUE(sameBytes(backend_peer.received, up));

  // The backend's direction still flows after the half-close.
  const std::string down = randomPayload(std::size_t{200} * 1024, 7);
  backend_peer.send(down);
  result = runUntil([&] { return client_peer.received.size() >= down.size(); });
  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(sameBytes(client_peer.received, down));
  EXPECT_FALSE(client.outputEnding());

  backend_peer.sendCloseNotify();
  backend_peer.sendFin();
  result = runUntil([&] { return false; });
  EXPECT_EQ(result.status, RelayStatus::finished) << result.reason;
  EXPECT_TRUE(client_peer.saw_fin);
  EXPECT_EQ(relay.bytesUp(), up.size());
  EXPECT_EQ(relay.bytesDown(), down.size());
}

// A FIN that arrives while the backend is slow waits behind everything
// buffered before it: close_notify and the FIN leave last.
TEST_F(RelayTest, HalfCloseWaitsForWhatIsStillBuffered) {
  connectTls();
  backend.write_step = 0;
  const std::string up = randomPayload(std::size_t{1024} * 1024, 12);
  client_peer.send(up);
  client_peer.sendFin();
  runUntil([&] { return !client.reading_calls.empty() && !client.isReading(); });
  EXPECT_FALSE(relay.clientEnded());

  backend.write_step = 1500;
  RelayResult result = runUntil([&] { return backend_peer.saw_fin; });

  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(backend_peer.saw_close_notify);
  EXPECT_FALSE(backend_peer.fin_before_close_notify);
  EXPECT_EQ(backend_peer.received_before_close_notify, up.size());
  EXPECT_TRUE(sameBytes(backend_peer.received, up));
}

TEST_F(RelayTest, ClientFinBecomesFinOnAPlaintextBackend) {
  const std::string up = "request, then FIN";
  client_peer.send(up);
  client_peer.sendFin();

  RelayResult result = runUntil([&] { return backend_peer.saw_fin; });

  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_EQ(backend_peer.received, up);
  EXPECT_TRUE(relay.clientEnded());
  EXPECT_TRUE(relay.halfClosed());
  EXPECT_FALSE(client.outputEnding());

  const std::string down = randomPayload(std::size_t{300} * 1024, 8);
  backend_peer.send(down);
  result = runUntil([&] { return client_peer.received.size() >= down.size(); });
  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(sameBytes(client_peer.received, down));
  EXPECT_FALSE(client_peer.saw_fin);
}

TEST_F(RelayTest, CloseNotifyFromATlsClientBecomesFinOnAPlaintextBackend) {
  acceptTls();
  const std::string up = randomPayload(std::size_t{50} * 1024, 9);
  client_peer.send(up);
  client_peer.sendCloseNotify();  // and no TCP FIN yet

  RelayResult result = runUntil([&] { return backend_peer.saw_fin; });

  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  EXPECT_TRUE(sameBytes(backend_peer.received, up));
  EXPECT_FALSE(client.inputEnded());
  EXPECT_TRUE(relay.clientEnded());

  const std::string down = randomPayload(std::size_t{80} * 1024, 10);
  backend_peer.send(down);
  backend_peer.sendFin();
  result = runUntil([&] { return false; });
  EXPECT_EQ(result.status, RelayStatus::finished) << result.reason;
  EXPECT_TRUE(sameBytes(client_peer.received, down));
  // The client hears the backend's FIN as close_notify, then a FIN.
  EXPECT_TRUE(client_peer.saw_close_notify);
  EXPECT_EQ(client_peer.received_before_close_notify, down.size());
  EXPECT_TRUE(client_peer.saw_fin);
  EXPECT_FALSE(client_peer.fin_before_close_notify);
}

TEST_F(RelayTest, FinishedOnlyOnceBothDirectionsEndedAndBothFinsAreSent) {
  client_peer.send("up");
  client_peer.sendFin();
  backend_peer.send("down");
  backend_peer.sendFin();
  client.write_step = 0;  // the client's socket takes nothing for now

  RelayResult result = runUntil([&] { return relay.clientEnded() && relay.backendEnded(); });
  ASSERT_EQ(result.status, RelayStatus::flowing) << result.reason;
  for (int i = 0; i < 20; ++i) {
    result = round();
    ASSERT_EQ(result.status, RelayStatus::flowing);
  }
  EXPECT_TRUE(backend.outputEnded());
  EXPECT_TRUE(client.outputEnding());
  EXPECT_FALSE(client.outputEnded());

  client.write_step = MemoryPort::kUnlimited;
  result = relay.pump(client, backend);
  EXPECT_EQ(result.status, RelayStatus::finished) << result.reason;
  client_peer.step();
  EXPECT_EQ(client_peer.received, "down");
  EXPECT_TRUE(client_peer.saw_fin);
}

// Flips a bit in the authentication tag of a record on its way to `port`.
void sendCorruptRecord(MemoryPeer& peer, MemoryPort& port) {
  ASSERT_EQ(peer.tls->write(bytesOf("soon to be corrupt")).status, TlsStatus::ok);
  std::string record = takeAll(peer.tls_out);
  ASSERT_FALSE(record.empty());
  record.back() = static_cast<char>(record.back() ^ 0x01);
  port.in.append(bytesOf(record));
}

TEST_F(RelayTest, CorruptRecordFromTheClientFailsWithAReason) {
  acceptTls();
  ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  sendCorruptRecord(client_peer, client);
  RelayResult result = relay.pump(client, backend);
  EXPECT_EQ(result.status, RelayStatus::failed);
  EXPECT_EQ(result.reason, "corrupt TLS record from peer (bad MAC)");
}

TEST_F(RelayTest, CorruptRecordFromTheBackendFailsWithAReason) {
  connectTls();
  ASSERT_EQ(relay.pump(client, backend).status, RelayStatus::flowing);
  sendCorruptRecord(backend_peer, backend);
  RelayResult result = relay.pump(client, backend);
  EXPECT_EQ(result.status, RelayStatus::failed);
  EXPECT_EQ(result.reason, "corrupt TLS record from peer (bad MAC)");
}

TEST_F(RelayTest, FailedFlushToTheBackendAborts) {
  client_peer.send("first");
  RelayResult result = runUntil([&] { return backend_peer.received == "first"; });
  ASSERT_EQ(result.status, RelayStatus::flowing);

  backend.flush_fails = true;
  client_peer.send("second");
  result = runUntil([&] { return false; });
  EXPECT_EQ(result.status, RelayStatus::aborted);
  EXPECT_EQ(backend_peer.received, "first");
}

TEST_F(RelayTest, FailedFlushToTheClientAborts) {
  backend_peer.send("first");
  RelayResult result = runUntil([&] { return client_peer.received == "first"; });
  ASSERT_EQ(result.status, RelayStatus::flowing);

  client.flush_fails = true;
  backend_peer.send("second");
  result = runUntil([&] { return false; });
  EXPECT_EQ(result.status, RelayStatus::aborted);
  EXPECT_EQ(client_peer.received, "first");
}

}  // namespace
}  // namespace tlsgate::test
