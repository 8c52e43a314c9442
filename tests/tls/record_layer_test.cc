// The TLS 1.3 server record layer against OpenSSL's own client, in memory:
// data, KeyUpdate, alerts and damaged input, after TlsSession has handed its
// connection over and freed its SSL.
#include "tls/record_layer.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tls/record_layer_fixture.h"
#include "tls/traffic_secrets.h"

namespace tlsgate::test {
namespace {

TEST_F(RecordLayerTest, Tls13ServerHandsOverAndKeepsItsHandshakeFacts) {
  ServerTlsConfig config = serverConfig(server_cert);
  config.alpn = {"h2", "http/1.1"};
  SSL_set_alpn_protos(client.ssl(), reinterpret_cast<const unsigned char*>("\x08http/1.1"), 9);
  connect(config);
  EXPECT_TRUE(server->usesRecordLayer());
  EXPECT_EQ(server->protocol(), "TLSv1.3");
  EXPECT_EQ(server->cipher(), SSL_CIPHER_get_name(SSL_get_current_cipher(client.ssl())));
  EXPECT_EQ(server->servername(), "localhost");
  EXPECT_EQ(server->alpn(), "http/1.1");
  EXPECT_FALSE(server->resumed());
  EXPECT_TRUE(server->peerSubject().empty());
}

TEST_F(RecordLayerTest, Tls12StaysWithOpenSsl) {
  SSL_set_max_proto_version(client.ssl(), TLS1_2_VERSION);
  SSL_set_min_proto_version(client.ssl(), TLS1_2_VERSION);
  connect();
  EXPECT_FALSE(server->usesRecordLayer());
  EXPECT_EQ(server->protocol(), "TLSv1.2");
}

TEST_F(RecordLayerTest, DeclinedHandOversAreCountedByReason) {
  SSL_set_tlsext_max_fragment_length(client.ssl(), TLSEXT_max_fragment_length_1024);
  connect();
  EXPECT_FALSE(server->usesRecordLayer());
  EXPECT_EQ(context->recordLayerDeclined(RecordLayerDecline::max_fragment_length), 1U);

  ServerTlsConfig ccm = serverConfig(server_cert);
  ccm.ciphersuites = "TLS_AES_128_CCM_SHA256";
  OpenSslClient peer({"TLS_AES_128_CCM_SHA256"});
  connect(ccm, peer);
  EXPECT_FALSE(server->usesRecordLayer());
  EXPECT_EQ(context->recordLayerDeclined(RecordLayerDecline::unsupported_suite), 1U);
  EXPECT_EQ(context->recordLayerDeclined(RecordLayerDecline::max_fragment_length), 0U)
      << "a new context counts afresh";

  OpenSslClient plain;
  connect(serverConfig(server_cert), plain);
  EXPECT_TRUE(server->usesRecordLayer());
  for (std::size_t i = 0; i < kRecordLayerDeclineCount; ++i) {
    EXPECT_EQ(context->recordLayerDeclined(static_cast<RecordLayerDecline>(i)), 0U)
        << recordLayerDeclineName(static_cast<RecordLayerDecline>(i));
  }
}

TEST_F(RecordLayerTest, EverySuiteCarriesDataBothWays) {
  for (const char* suite :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    SCOPED_TRACE(suite);
    OpenSslClient peer({suite});
    connect(serverConfig(server_cert), peer);
    ASSERT_TRUE(server->usesRecordLayer());
    EXPECT_EQ(server->cipher(), suite);

    const std::string upload = pattern(70000);  // several full records and a short one
    ASSERT_TRUE(peer.write(upload));
    peer.sendTo(server_in);
    const std::string received = serverRead();
    EXPECT_EQ(received.size(), upload.size());
    EXPECT_TRUE(received == upload);

    const std::string download = pattern(50000);
    ASSERT_EQ(server->write(bytesOf(download)).status, TlsStatus::ok);
    peer.receiveFrom(server_out);
    const std::string downloaded = peer.read();
    EXPECT_EQ(downloaded.size(), download.size());
    EXPECT_TRUE(downloaded == download);
  }
}

TEST_F(RecordLayerTest, RecordsSplitAcrossArrivalsAndSmallBuffersLoseNothing) {
  connect();
  const std::string upload = pattern(40000);
  ASSERT_TRUE(client.write(upload));
  ByteQueue staged(pool);
  client.sendTo(staged);
  // Deliver the ciphertext 1000 bytes at a time, reading through a buffer
  // far smaller than a record.
  std::string received;
  std::array<std::byte, 1000> piece{};
  TlsStatus last = TlsStatus::ok;
  while (!staged.empty()) {
    server_in.append(std::span<const std::byte>(piece.data(), staged.read(piece)));
    received += serverRead(&last, 777);
    ASSERT_EQ(last, TlsStatus::want_input);
  }
  EXPECT_EQ(received.size(), upload.size());
  EXPECT_TRUE(received == upload);
}

TEST_F(RecordLayerTest, KeyUpdateRequestedByThePeerRekeysBothDirections) {
  connect();
  ASSERT_EQ(SSL_key_update(client.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
  ASSERT_TRUE(client.write("after the update"));
  client.sendTo(server_in);
  EXPECT_EQ(serverRead(), "after the update");
  EXPECT_TRUE(server_out.empty()) << "the answer waits for our next application data";

  // Our answering KeyUpdate goes before the reply; the client must follow it.
  ASSERT_EQ(server->write(bytesOf("reply under new keys")).status, TlsStatus::ok);
  EXPECT_EQ(server_out.size(), 27U + 5 + 20 + 1 + 16)
      << "one KeyUpdate record (5 + 5 + 1 + 16 bytes), then the reply";
  client.receiveFrom(server_out);
  EXPECT_EQ(client.read(), "reply under new keys");

  // And once more, unrequested this time: only the client's keys change.
  ASSERT_EQ(SSL_key_update(client.ssl(), SSL_KEY_UPDATE_NOT_REQUESTED), 1);
  ASSERT_TRUE(client.write("second update"));
  client.sendTo(server_in);
  EXPECT_EQ(serverRead(), "second update");
  EXPECT_TRUE(server_out.empty()) << "an unrequested KeyUpdate needs no answer";
  ASSERT_EQ(server->write(bytesOf("still fine")).status, TlsStatus::ok);
  client.receiveFrom(server_out);
  EXPECT_EQ(client.read(), "still fine");
}

TEST_F(RecordLayerTest, DamagedRecordFailsWithBadMacAndTellsThePeer) {
  connect();
  ASSERT_TRUE(client.write("payload"));
  ByteQueue staged(pool);
  client.sendTo(staged);
  std::vector<unsigned char> record(staged.size());
  staged.read(std::as_writable_bytes(std::span(record)));
  record[record.size() - 20] ^= 0x01;
  inject(record);

  TlsStatus last = TlsStatus::ok;
  EXPECT_EQ(serverRead(&last), "");
  EXPECT_EQ(last, TlsStatus::failed);
  EXPECT_EQ(server->failureReason(), "corrupt TLS record from peer (bad MAC)");
  client.receiveFrom(server_out);
  client.read();
  EXPECT_EQ(SSL_get_shutdown(client.ssl()) & SSL_RECEIVED_SHUTDOWN, SSL_RECEIVED_SHUTDOWN)
      << "the client got no alert";
}

TEST_F(RecordLayerTest, UnprotectedRecordAfterTheHandshakeIsRefused) {
  connect();
  inject({SSL3_RT_ALERT, 0x03, 0x03, 0x00, 0x02, SSL3_AL_FATAL, SSL_AD_HANDSHAKE_FAILURE});
  TlsStatus last = TlsStatus::ok;
  serverRead(&last);
  EXPECT_EQ(last, TlsStatus::failed);
  EXPECT_EQ(server->failureReason(),
            "peer sent an unprotected TLS record after the handshake (content type 21)");
}

TEST_F(RecordLayerTest, OversizedRecordIsRefusedBeforeItArrives) {
  connect();
  inject({SSL3_RT_APPLICATION_DATA, 0x03, 0x03, 0x41, 0x01});  // 16,641 bytes announced
  TlsStatus last = TlsStatus::ok;
  serverRead(&last);
  EXPECT_EQ(last, TlsStatus::failed);
  EXPECT_EQ(server->failureReason(), "peer sent a TLS record larger than TLS allows");
}

TEST_F(RecordLayerTest, CloseNotifyBothWays) {
  connect();
  ASSERT_TRUE(client.write("last words"));
  ASSERT_EQ(SSL_shutdown(client.ssl()), 0);
  client.sendTo(server_in);
  TlsStatus last = TlsStatus::ok;
  EXPECT_EQ(serverRead(&last), "last words");
  EXPECT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_FALSE(server->closedWithoutNotify());

  ASSERT_EQ(server->write(bytesOf("goodbye")).status, TlsStatus::ok);
  ASSERT_EQ(server->shutdown().status, TlsStatus::ok);
  EXPECT_EQ(server->state(), TlsState::closed);
  EXPECT_EQ(server->write(bytesOf("too late")).status, TlsStatus::failed);
  client.receiveFrom(server_out);
  int error = 0;
  EXPECT_EQ(client.read(&error), "goodbye");
  EXPECT_EQ(error, SSL_ERROR_ZERO_RETURN);
}

TEST_F(RecordLayerTest, PeerAlertIsExplained) {
  connect();
  // Damage what the server sends: the client answers with a fatal
  // bad_record_mac alert, protected under its traffic keys.
  ASSERT_EQ(server->write(bytesOf("payload")).status, TlsStatus::ok);
  std::vector<unsigned char> record(server_out.size());
  server_out.read(std::as_writable_bytes(std::span(record)));
  record[record.size() - 1] ^= 0x01;
  server_out.append(std::as_bytes(std::span(record)));
  client.receiveFrom(server_out);
  int error = 0;
  client.read(&error);
  ASSERT_EQ(error, SSL_ERROR_SSL);
  client.sendTo(server_in);

  TlsStatus last = TlsStatus::ok;
  serverRead(&last);
  EXPECT_EQ(last, TlsStatus::failed);
  EXPECT_EQ(server->failureReason(), "peer sent alert: bad record mac");
  EXPECT_TRUE(server_out.empty()) << "no alert answers an alert";
}

TEST_F(RecordLayerTest, DamagedOrRandomInputNeverComesOutAsData) {
  std::mt19937 random(20261124);  // fixed: a failure reproduces
  for (int round = 0; round < 60; ++round) {
    SCOPED_TRACE(round);
    OpenSslClient peer;
    connect(serverConfig(server_cert), peer);
    ASSERT_TRUE(server->usesRecordLayer());
    std::vector<unsigned char> bytes;
    std::string sent;
    if (round % 2 == 0) {
      // Valid records with one bit flipped somewhere, headers included.
      sent = pattern(1 + random() % 40000);
      ASSERT_TRUE(peer.write(sent));
      ByteQueue staged(pool);
      peer.sendTo(staged);
      bytes.resize(staged.size());
      staged.read(std::as_writable_bytes(std::span(bytes)));
      bytes[random() % bytes.size()] ^= static_cast<unsigned char>(1U << (random() % 8));
    } else {
      // Noise that claims to be a protected record.
      bytes.resize(5 + random() % 20000);
      for (unsigned char& b : bytes) {
        b = static_cast<unsigned char>(random());
      }
      bytes[0] = SSL3_RT_APPLICATION_DATA;
    }
    inject(bytes);
    server->setInputEnded();
    TlsStatus last = TlsStatus::ok;
    const std::string data = serverRead(&last);
    // Records before the damaged one may come out whole; nothing after it,
    // and no byte that differs from what was sent. A flipped length may cut
    // the stream short, which ends it uncleanly.
    EXPECT_LT(data.size(), std::max<std::size_t>(sent.size(), 1));
    EXPECT_TRUE(sent.compare(0, data.size(), data) == 0) << "damaged bytes came out";
    EXPECT_NE(last, TlsStatus::ok);
    if (last == TlsStatus::end_of_stream) {
      EXPECT_TRUE(server->closedWithoutNotify());
    }
  }
}

TEST(TrafficSecretsTest, TakesTheTwoApplicationSecretsOnly) {
  TrafficSecrets secrets;
  const std::string random(64, 'a');
  secrets.noteKeylogLine("CLIENT_HANDSHAKE_TRAFFIC_SECRET " + random + " 0102");
  EXPECT_FALSE(secrets.complete());
  secrets.noteKeylogLine("CLIENT_TRAFFIC_SECRET_0 " + random + " 00ff10");
  secrets.noteKeylogLine("SERVER_TRAFFIC_SECRET_0 " + random + " ABCDEF");
  ASSERT_TRUE(secrets.complete());
  EXPECT_EQ(std::vector<unsigned char>(secrets.client().begin(), secrets.client().end()),
            (std::vector<unsigned char>{0x00, 0xff, 0x10}));
  EXPECT_EQ(std::vector<unsigned char>(secrets.server().begin(), secrets.server().end()),
            (std::vector<unsigned char>{0xab, 0xcd, 0xef}));
}

TEST(TrafficSecretsTest, MalformedSecretsAreNotTaken) {
  TrafficSecrets secrets;
  secrets.noteKeylogLine("SERVER_TRAFFIC_SECRET_0 00 zz");
  secrets.noteKeylogLine("CLIENT_TRAFFIC_SECRET_0 00 abc");
  secrets.noteKeylogLine("CLIENT_TRAFFIC_SECRET_0");
  EXPECT_FALSE(secrets.complete());
  EXPECT_TRUE(secrets.client().empty());
  EXPECT_TRUE(secrets.server().empty());
}

}  // namespace
}  // namespace tlsgate::test
