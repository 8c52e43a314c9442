#include "proxy/endpoint.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "proxy/loop_runner.h"
#include "proxy/loopback_peers.h"
#include "proxy/memory_port.h"

namespace tlsgate::test {
namespace {

using Operation = EndpointEvents::Operation;

// Counts every report an endpoint makes, and lets a test act on errors.
class EventRecorder final : public EndpointEvents {
 public:
  void onEndpointInput(Endpoint& /*endpoint*/) override { ++inputs; }
  void onEndpointOutput(Endpoint& /*endpoint*/) override { ++outputs; }
  void onEndpointConnected(Endpoint& /*endpoint*/) override { ++connected; }
  void onEndpointError(Endpoint& endpoint, Operation operation, int status) override {
    errors.emplace_back(operation, status);
    if (on_error) {
      on_error(endpoint, operation, status);
    }
  }
  void onSocketOpened() override { ++opened; }
  void onSocketClosed() override { ++closed; }

  int inputs = 0;
  int outputs = 0;
  int connected = 0;
  int opened = 0;
  int closed = 0;
  std::vector<std::pair<Operation, int>> errors;
  std::function<void(Endpoint&, Operation, int)> on_error;
};

class EndpointTest : public ::testing::Test {
 protected:
  // Every socket an endpoint opened has closed exactly once, and nothing is
  // left on the loop.
  void TearDown() override {
    endpoint.close();
    endpoint.close();  // a second close is harmless
    EXPECT_TRUE(runner.runUntil([&] { return events.closed >= events.opened; }));
    EXPECT_EQ(events.closed, events.opened);
    runner.close();
    uv_run(&loop, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle is still open";
  }

  bool runUntil(const std::function<bool()>& done) { return runner.runUntil(done); }

  std::string received() { return takeAll(endpoint.rx); }

  // Accepts the connection the endpoint made to `listen_fd`.
  static Fd acceptOne(int listen_fd) { return Fd(::accept(listen_fd, nullptr, nullptr)); }

  // Initialised before the members that put handles on it.
  UvLoop owned_loop;
  uv_loop_t& loop = owned_loop.loop;
  BufferPool pool{kTestChunkSize, 64};
  EventRecorder events;
  Endpoint endpoint{events, pool, "connect"};
  LoopRunner runner{&loop};
};

TEST_F(EndpointTest, AdoptedSocketReadsAndWrites) {
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));
  Fd peer(connectTo(port));
  Fd accepted = acceptOne(listener.get());
  ASSERT_GE(accepted.get(), 0);

  ASSERT_EQ(endpoint.adopt(&loop, accepted.release(), AF_INET), 0);
  EXPECT_TRUE(endpoint.connected());
  EXPECT_EQ(events.opened, 1);
  EXPECT_EQ(endpoint.peerText(), "127.0.0.1:" + std::to_string(localPort(peer.get())));

  endpoint.setReading(true);
  EXPECT_EQ(endpoint.readState(), Endpoint::ReadState::reading);
  ASSERT_TRUE(writeAll(peer.get(), "ping"));
  ASSERT_TRUE(runUntil([&] { return endpoint.rx.size() >= 4; }));
  EXPECT_EQ(received(), "ping");
  EXPECT_GE(events.inputs, 1);

  endpoint.tx.append(bytesOf("pong"));
  ASSERT_TRUE(endpoint.flush());
  EXPECT_EQ(readSome(peer.get(), 4), "pong");

  // The peer's FIN ends the read side.
  peer.reset();
  ASSERT_TRUE(runUntil([&] { return endpoint.readState() == Endpoint::ReadState::ended; }));
  EXPECT_TRUE(endpoint.inputEnded());
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(EndpointTest, AdoptedUnixSocketReadsAndWrites) {
  int pair[2] = {-1, -1};
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
  Fd peer(pair[1]);
  ASSERT_EQ(endpoint.adopt(&loop, pair[0], AF_UNIX), 0);

  endpoint.setReading(true);
  ASSERT_TRUE(writeAll(peer.get(), "over a unix socket"));
  ASSERT_TRUE(runUntil([&] { return endpoint.rx.size() >= 18; }));
  EXPECT_EQ(received(), "over a unix socket");
  endpoint.tx.append(bytesOf("and back"));
  ASSERT_TRUE(endpoint.flush());
  EXPECT_EQ(readSome(peer.get(), 8), "and back");
}

TEST_F(EndpointTest, ConnectsToATcpListener) {
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));

  ASSERT_EQ(endpoint.connect(&loop, loopbackAddress(port)), 0);
  EXPECT_FALSE(endpoint.connected());
  ASSERT_TRUE(runUntil([&] { return events.connected > 0; }));
  EXPECT_TRUE(endpoint.connected());
  EXPECT_EQ(endpoint.peerText(), "127.0.0.1:" + std::to_string(port));
  Fd accepted = acceptOne(listener.get());

  endpoint.tx.append(bytesOf("hello backend"));
  ASSERT_TRUE(endpoint.flush());
  EXPECT_EQ(readSome(accepted.get(), 13), "hello backend");
  endpoint.setReading(true);
  ASSERT_TRUE(writeAll(accepted.get(), "hello tlsgate"));
  ASSERT_TRUE(runUntil([&] { return endpoint.rx.size() >= 13; }));
  EXPECT_EQ(received(), "hello tlsgate");
  EXPECT_EQ(events.connected, 1);
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(EndpointTest, ConnectsToAUnixSocketPath) {
  TempDir dir;
  const std::string path = dir.file("backend.sock");
  Fd listener = listenOnUnixPath(path);
  ASSERT_GE(listener.get(), 0) << path;

  ASSERT_EQ(endpoint.connect(&loop, SocketAddress::unixSocket(path)), 0);
  ASSERT_TRUE(runUntil([&] { return events.connected > 0 || !events.errors.empty(); }));
  ASSERT_TRUE(events.errors.empty());
  EXPECT_TRUE(endpoint.connected());
  Fd accepted = acceptOne(listener.get());

  endpoint.tx.append(bytesOf("to the unix backend"));
  ASSERT_TRUE(endpoint.flush());
  EXPECT_EQ(readSome(accepted.get(), 19), "to the unix backend");
  endpoint.setReading(true);
  ASSERT_TRUE(writeAll(accepted.get(), "from it"));
  ASSERT_TRUE(runUntil([&] { return endpoint.rx.size() >= 7; }));
  EXPECT_EQ(received(), "from it");
}

TEST_F(EndpointTest, RefusedConnectIsReportedAsAConnectError) {
  uint16_t port = 0;
  Fd refusing = refusingPort(&port);

  ASSERT_EQ(endpoint.connect(&loop, loopbackAddress(port)), 0);
  ASSERT_TRUE(runUntil([&] { return !events.errors.empty(); }));

  ASSERT_EQ(events.errors.size(), 1U);
  EXPECT_EQ(events.errors[0].first, Operation::connect);
  EXPECT_EQ(events.errors[0].second, UV_ECONNREFUSED);
  EXPECT_FALSE(endpoint.connected());
  EXPECT_EQ(events.connected, 0);
}

// What the connect phase does with a list of backends: the first refuses,
// and the endpoint connects to the next from inside the error callback,
// while the refused socket is still closing.
TEST_F(EndpointTest, ResetThenConnectAgainWhileTheOldSocketCloses) {
  uint16_t refused_port = 0;
  Fd refusing = refusingPort(&refused_port);
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));
  int closed_at_reconnect = -1;
  events.on_error = [&](Endpoint& failed, Operation, int) {
    failed.reset();
    closed_at_reconnect = events.closed;
    EXPECT_EQ(failed.connect(&loop, loopbackAddress(port)), 0);
  };

  ASSERT_EQ(endpoint.connect(&loop, loopbackAddress(refused_port)), 0);
  ASSERT_TRUE(runUntil([&] { return events.connected > 0; }));

  EXPECT_EQ(closed_at_reconnect, 0) << "the refused socket had closed already";
  EXPECT_EQ(events.opened, 2);
  ASSERT_TRUE(runUntil([&] { return events.closed == 1; }));
  Fd accepted = acceptOne(listener.get());
  endpoint.tx.append(bytesOf("second try"));
  ASSERT_TRUE(endpoint.flush());
  EXPECT_EQ(readSome(accepted.get(), 10), "second try");
  EXPECT_EQ(events.errors.size(), 1U);
}

// A connect still in flight when the endpoint lets go of it reports
// nothing: only the second attempt connects.
TEST_F(EndpointTest, ResetCancelsAConnectInFlight) {
  uint16_t first_port = 0;
  Fd first(listenOnLoopback(&first_port));
  uint16_t second_port = 0;
  Fd second(listenOnLoopback(&second_port));

  ASSERT_EQ(endpoint.connect(&loop, loopbackAddress(first_port)), 0);
  endpoint.reset();
  ASSERT_EQ(endpoint.connect(&loop, loopbackAddress(second_port)), 0);
  // The first socket's close callback comes after its cancelled connect's.
  ASSERT_TRUE(runUntil([&] { return events.connected > 0 && events.closed == 1; }));

  EXPECT_EQ(events.connected, 1);
  EXPECT_TRUE(events.errors.empty());
  EXPECT_EQ(endpoint.peerText(), "127.0.0.1:" + std::to_string(second_port));
}

// Far more than a socket buffer holds, then a half-close: the peer gets
// every byte in order, then EOF; and it can still send.
TEST_F(EndpointTest, HalfCloseSendsFinOnceALargeWriteHasDrained) {
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));
  Fd peer(connectTo(port));
  ASSERT_EQ(endpoint.adopt(&loop, ::accept(listener.get(), nullptr, nullptr), AF_INET), 0);
  const std::string payload = randomPayload(std::size_t{16} * 1024 * 1024 + 3, 11);
  std::string got;
  bool got_eof = false;
  std::thread reader([&] { got_eof = readToEnd(peer.get(), got); });

  endpoint.tx.append(bytesOf(payload));
  endpoint.endOutput();
  EXPECT_EQ(endpoint.writeState(), Endpoint::WriteState::ending);
  ASSERT_TRUE(endpoint.flush());
  // The socket could not take it all at once: the rest is written as the
  // peer reads, and the FIN waits for it.
  EXPECT_TRUE(endpoint.writing());
  EXPECT_NE(endpoint.writeState(), Endpoint::WriteState::ended);
  const bool ended = runUntil([&] { return endpoint.writeState() == Endpoint::WriteState::ended; });
  if (!ended) {
    ::shutdown(peer.get(), SHUT_RDWR);  // wakes the reader, which must be joined
  }
  reader.join();
  ASSERT_TRUE(ended);

  EXPECT_TRUE(got_eof);
  EXPECT_EQ(got.size(), payload.size());
  EXPECT_TRUE(got == payload) << "the bytes arrived changed or out of order";
  EXPECT_TRUE(endpoint.tx.empty());
  EXPECT_TRUE(endpoint.outputEnded());
  EXPECT_GE(events.outputs, 1);

  endpoint.setReading(true);
  ASSERT_TRUE(writeAll(peer.get(), "still talking"));
  ASSERT_TRUE(runUntil([&] { return endpoint.rx.size() >= 13; }));
  EXPECT_EQ(received(), "still talking");
  EXPECT_TRUE(events.errors.empty());
}

TEST_F(EndpointTest, HalfCloseOfAnIdleSocketSendsFinAtOnce) {
  uint16_t port = 0;
  Fd listener(listenOnLoopback(&port));
  Fd peer(connectTo(port));
  ASSERT_EQ(endpoint.adopt(&loop, ::accept(listener.get(), nullptr, nullptr), AF_INET), 0);

  endpoint.endOutput();
  ASSERT_TRUE(endpoint.flush());
  ASSERT_TRUE(runUntil([&] { return endpoint.outputEnded(); }));
  std::string got;
  EXPECT_TRUE(readToEnd(peer.get(), got));
  EXPECT_EQ(got, "");
}

}  // namespace
}  // namespace tlsgate::test
