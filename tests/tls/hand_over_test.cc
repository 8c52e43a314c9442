// A TLS 1.3 server session that relays on OpenSSL for a while, as every
// connection does for limits.record_layer_after, and then hands over to
// tlsgate's record layer: the record layer must go on from the records
// OpenSSL read and wrote (RFC 8446 section 5.3), or refuse when OpenSSL's
// keys have moved on.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>

#include "tls/record_layer_fixture.h"

namespace tlsgate::test {
namespace {

class HandOverTest : public RecordLayerTest {
 protected:
  void SetUp() override { handshake(serverConfig(server_cert), client); }

  // The client writes `text`; what the server reads of it.
  std::string clientToServer(const std::string& text) {
    EXPECT_TRUE(client.write(text));
    client.sendTo(server_in);
    return serverRead();
  }
  // The server writes `text`; what the client reads of it.
  std::string serverToClient(const std::string& text) {
    EXPECT_EQ(server->write(bytesOf(text)).status, TlsStatus::ok) << server->failureReason();
    client.receiveFrom(server_out);
    return client.read();
  }
  uint64_t declined(RecordLayerDecline reason) const {
    return context->recordLayerDeclined(reason);
  }
};

TEST_F(HandOverTest, NothingIsHandedOverUntilTheOwnerAsks) {
  EXPECT_FALSE(server->usesRecordLayer());
  EXPECT_TRUE(server->mayHandOver());
  EXPECT_EQ(clientToServer("hello"), "hello");
  EXPECT_FALSE(server->usesRecordLayer());
}

TEST_F(HandOverTest, TheRecordLayerGoesOnFromTheRecordsOpenSslCarried) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(clientToServer("up " + std::to_string(i)), "up " + std::to_string(i));
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(serverToClient("down " + std::to_string(i)), "down " + std::to_string(i));
  }
  ASSERT_TRUE(server->handOver());
  EXPECT_TRUE(server->usesRecordLayer());
  EXPECT_FALSE(server->mayHandOver());
  EXPECT_EQ(context->recordLayerHandOvers(), 1U);
  // Records 3.. and 5.. (plus the ticket) under the same keys: a sequence
  // number that started again at 0 would not authenticate.
  EXPECT_EQ(clientToServer("after the hand-over"), "after the hand-over");
  EXPECT_EQ(serverToClient("and back"), "and back");
  const std::string big = pattern(40000);
  EXPECT_EQ(clientToServer(big), big);
  EXPECT_EQ(serverToClient(big), big);
}

TEST_F(HandOverTest, WaitsWhileOpenSslHoldsPartOfARecord) {
  ASSERT_TRUE(client.write("split across two reads"));
  ByteQueue whole(pool);
  client.sendTo(whole);
  std::vector<std::byte> bytes(whole.size());
  whole.peek(bytes);
  server_in.append(std::span(bytes).first(10));
  EXPECT_EQ(serverRead(), "");
  EXPECT_FALSE(server->handOver()) << "OpenSSL has read 10 bytes of the record";
  EXPECT_TRUE(server->mayHandOver()) << "a later try may succeed";
  server_in.append(std::span(bytes).subspan(10));
  EXPECT_EQ(serverRead(), "split across two reads");
  ASSERT_TRUE(server->handOver());
  EXPECT_EQ(clientToServer("next"), "next");
  for (std::size_t i = 0; i < kRecordLayerDeclineCount; ++i) {
    EXPECT_EQ(declined(static_cast<RecordLayerDecline>(i)), 0U)
        << "a wait is not a decline: "
        << recordLayerDeclineName(static_cast<RecordLayerDecline>(i));
  }
}

TEST_F(HandOverTest, AKeyUpdateThroughOpenSslKeepsTheConnectionThereForGood) {
  ASSERT_EQ(SSL_key_update(client.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
  EXPECT_EQ(clientToServer("new keys"), "new keys");
  EXPECT_FALSE(server->handOver());
  EXPECT_FALSE(server->mayHandOver());
  EXPECT_FALSE(server->usesRecordLayer());
  EXPECT_EQ(declined(RecordLayerDecline::key_update), 1U);
  // OpenSSL answered the request and carries on under the new keys.
  EXPECT_EQ(serverToClient("still flowing"), "still flowing");
  EXPECT_EQ(clientToServer("both ways"), "both ways");
}

TEST_F(HandOverTest, AClosingConnectionIsNotHandedOverNorCounted) {
  ASSERT_EQ(SSL_shutdown(client.ssl()), 0);  // close_notify
  client.sendTo(server_in);
  TlsStatus last = TlsStatus::ok;
  serverRead(&last);
  ASSERT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_FALSE(server->handOver());
  EXPECT_FALSE(server->mayHandOver());
  EXPECT_EQ(context->recordLayerHandOvers(), 0U);
  for (std::size_t i = 0; i < kRecordLayerDeclineCount; ++i) {
    EXPECT_EQ(declined(static_cast<RecordLayerDecline>(i)), 0U);
  }
}

TEST_F(HandOverTest, AnOwnerThatNeverHandsOverWipesTheSecrets) {
  server->stayWithOpenSsl();
  EXPECT_FALSE(server->mayHandOver());
  EXPECT_FALSE(server->handOver());
  EXPECT_EQ(clientToServer("on OpenSSL"), "on OpenSSL");
}

}  // namespace
}  // namespace tlsgate::test
