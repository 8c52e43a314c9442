// The record layer's rules for what a TLS 1.3 client may send after the
// handshake (RFC 8446 sections 4.6.3, 5.1, 5.4, 5.5 and 6), each with the
// alert OpenSSL 3.0 sends for the same breach. The client's records are
// written raw, under its real application key, by RecordWriter.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "tls/record_layer.h"
#include "tls/record_layer_fixture.h"

namespace tlsgate::test {
namespace {

constexpr unsigned char kKeyUpdate = SSL3_MT_KEY_UPDATE;

class RecordLayerRulesTest : public RecordLayerTest {
 protected:
  void SetUp() override {
    connect();
    ASSERT_TRUE(server->usesRecordLayer());
    raw = std::make_unique<RecordWriter>(client.rawWriter());
  }

  // A KeyUpdate record from the client; its later records use the next key.
  void sendKeyUpdate(unsigned char request) {
    inject(raw->seal(SSL3_RT_HANDSHAKE, {kKeyUpdate, 0, 0, 1, request}));
    raw->nextSecret();
  }
  void sendData(const std::string& text) {
    inject(raw->seal(SSL3_RT_APPLICATION_DATA,
                     std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size())));
  }
  // The server refused the client's input with `reason`, and told it so
  // with `alert`.
  void expectRefused(const std::string& reason, int alert) {
    EXPECT_EQ(serverStops(), TlsStatus::failed);
    EXPECT_EQ(server->failureReason(), reason);
    EXPECT_EQ(client.alertReceived(server_out), alert)
        << "expected " << SSL_alert_desc_string_long(alert);
  }

  std::unique_ptr<RecordWriter> raw;
};

TEST_F(RecordLayerRulesTest, RawClientRecordsAreRead) {
  sendData("raw");
  EXPECT_EQ(serverRead(), "raw");
}

// RFC 8446 section 4.6.3: a flood of requests gets one answer, before our
// next application data, however long the peer goes without reading.
TEST_F(RecordLayerRulesTest, KeyUpdateRequestsGetOneAnswerBeforeTheNextWrite) {
  for (int i = 0; i < 20; ++i) {
    sendKeyUpdate(SSL_KEY_UPDATE_REQUESTED);
  }
  sendData("ping");
  EXPECT_EQ(serverRead(), "ping");
  EXPECT_TRUE(server_out.empty()) << server_out.size() << " bytes went out unasked";

  ASSERT_EQ(server->write(bytesOf("pong")).status, TlsStatus::ok);
  EXPECT_EQ(server_out.size(), 27U + 5 + 4 + 1 + 16) << "one KeyUpdate, then the data";
  client.receiveFrom(server_out);
  EXPECT_EQ(client.read(), "pong");

  ASSERT_EQ(server->write(bytesOf("again")).status, TlsStatus::ok);
  EXPECT_EQ(server_out.size(), 5U + 5 + 1 + 16) << "the answer went once";
  client.receiveFrom(server_out);
  EXPECT_EQ(client.read(), "again");
}

TEST_F(RecordLayerRulesTest, AnOwedKeyUpdateGoesBeforeCloseNotify) {
  sendKeyUpdate(SSL_KEY_UPDATE_REQUESTED);
  serverStops();
  ASSERT_EQ(server->shutdown().status, TlsStatus::ok);
  client.receiveFrom(server_out);
  int error = 0;
  client.read(&error);
  EXPECT_EQ(error, SSL_ERROR_ZERO_RETURN) << "the client read close_notify under the new key";
}

TEST_F(RecordLayerRulesTest, KeyUpdatesInARowAreBounded) {
  for (int i = 0; i < RecordLayer::kMaxKeyUpdatesInARow; ++i) {
    sendKeyUpdate(SSL_KEY_UPDATE_NOT_REQUESTED);
  }
  sendData("data resets the count");
  EXPECT_EQ(serverRead(), "data resets the count");
  for (int i = 0; i <= RecordLayer::kMaxKeyUpdatesInARow; ++i) {
    sendKeyUpdate(SSL_KEY_UPDATE_REQUESTED);
  }
  expectRefused("peer sent too many KeyUpdates without application data",
                SSL_AD_UNEXPECTED_MESSAGE);
}

// A close_notify padded to a full record, read through a buffer smaller
// than the record: the alert is read from the held copy, which must still
// be there (this ran into freed memory).
TEST_F(RecordLayerRulesTest, PaddedCloseNotifyThroughASmallBuffer) {
  sendData("before");
  inject(raw->seal(SSL3_RT_ALERT, {SSL3_AL_WARNING, SSL_AD_CLOSE_NOTIFY},
                   RecordLayer::kMaxPlaintext + 1 - 3));
  TlsStatus last = TlsStatus::ok;
  EXPECT_EQ(serverRead(&last, 1000), "before");
  EXPECT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_FALSE(server->closedWithoutNotify());
}

TEST_F(RecordLayerRulesTest, PaddedKeyUpdateThroughASmallBuffer) {
  inject(raw->seal(SSL3_RT_HANDSHAKE, {kKeyUpdate, 0, 0, 1, SSL_KEY_UPDATE_NOT_REQUESTED},
                   RecordLayer::kMaxPlaintext + 1 - 6));
  raw->nextSecret();
  sendData("after");
  EXPECT_EQ(serverRead(nullptr, 1000), "after");
}

struct Breach {
  const char* name;
  std::vector<std::vector<unsigned char>> inners;  // TLSInnerPlaintexts, type included
  std::string reason;
  int alert;
};

// RFC 8446 section 5.1 and 6, with OpenSSL 3.0's answer in each case.
const std::vector<Breach>& breaches() {
  static const std::vector<Breach> kBreaches = {
      // SSL_R_NOT_ON_RECORD_BOUNDARY
      {"KeyUpdate not at the end of its record",
       {{kKeyUpdate, 0, 0, 1, 0, kKeyUpdate, SSL3_RT_HANDSHAKE}},
       "peer sent a KeyUpdate that does not end its TLS record",
       SSL_AD_UNEXPECTED_MESSAGE},
      {"two KeyUpdates in one record",
       {{kKeyUpdate, 0, 0, 1, 0, kKeyUpdate, 0, 0, 1, 0, SSL3_RT_HANDSHAKE}},
       "peer sent a KeyUpdate that does not end its TLS record",
       SSL_AD_UNEXPECTED_MESSAGE},
      // SSL_R_BAD_KEY_UPDATE
      {"empty KeyUpdate",
       {{kKeyUpdate, 0, 0, 0, SSL3_RT_HANDSHAKE}, {'x', SSL3_RT_APPLICATION_DATA}},
       "peer sent an empty KeyUpdate",
       SSL_AD_DECODE_ERROR},
      // SSL_R_EXCESSIVE_MESSAGE_SIZE
      {"two-byte KeyUpdate",
       {{kKeyUpdate, 0, 0, 2, 0, 0, SSL3_RT_HANDSHAKE}},
       "peer sent a KeyUpdate longer than one byte",
       SSL_AD_ILLEGAL_PARAMETER},
      {"KeyUpdate longer than a record",
       {{kKeyUpdate, 1, 0, 0, SSL3_RT_HANDSHAKE}},
       "peer sent a KeyUpdate longer than one byte",
       SSL_AD_ILLEGAL_PARAMETER},
      // SSL_R_BAD_LENGTH
      {"empty alert record",
       {{SSL3_RT_ALERT}},
       "peer sent an empty TLS alert record",
       SSL_AD_UNEXPECTED_MESSAGE},
      {"empty handshake record",
       {{SSL3_RT_HANDSHAKE}},
       "peer sent an empty TLS handshake record",
       SSL_AD_UNEXPECTED_MESSAGE},
      // SSL_R_INVALID_ALERT
      {"one-byte alert",
       {{SSL3_AL_WARNING, SSL3_RT_ALERT}},
       "peer sent a malformed TLS alert",
       SSL_AD_UNEXPECTED_MESSAGE},
      {"three-byte alert",
       {{SSL3_AL_WARNING, SSL_AD_CLOSE_NOTIFY, 0, SSL3_RT_ALERT}},
       "peer sent a malformed TLS alert",
       SSL_AD_UNEXPECTED_MESSAGE},
      // RFC 8446 section 5.4; SSL_R_BAD_RECORD_TYPE
      {"record of padding alone",
       {{0, 0, 0}},
       "peer sent an unexpected TLS record after the handshake (content type 0)",
       SSL_AD_UNEXPECTED_MESSAGE},
      // SSL_R_BAD_KEY_UPDATE
      {"KeyUpdate with an unknown request",
       {{kKeyUpdate, 0, 0, 1, 2, SSL3_RT_HANDSHAKE}},
       "peer sent a malformed KeyUpdate",
       SSL_AD_ILLEGAL_PARAMETER},
  };
  return kBreaches;
}

TEST_F(RecordLayerTest, BreachesGetOpenSslsAlerts) {
  for (const Breach& breach : breaches()) {
    SCOPED_TRACE(breach.name);
    OpenSslClient peer;
    connect(serverConfig(server_cert), peer);
    ASSERT_TRUE(server->usesRecordLayer());
    RecordWriter raw = peer.rawWriter();
    for (const auto& inner : breach.inners) {
      inject(raw.sealInner(inner));
    }
    EXPECT_EQ(serverStops(), TlsStatus::failed);
    EXPECT_EQ(server->failureReason(), breach.reason);
    EXPECT_EQ(peer.alertReceived(server_out), breach.alert)
        << "expected " << SSL_alert_desc_string_long(breach.alert);
  }
}

// OpenSSL's MAX_EMPTY_RECORDS: 32 empty records in a row are read past.
TEST_F(RecordLayerRulesTest, EmptyRecordsInARowAreBounded) {
  for (int i = 0; i < RecordLayer::kMaxEmptyRecordsInARow; ++i) {
    inject(raw->seal(SSL3_RT_APPLICATION_DATA, {}));
  }
  sendData("x");
  for (int i = 0; i < RecordLayer::kMaxEmptyRecordsInARow; ++i) {
    inject(raw->seal(SSL3_RT_APPLICATION_DATA, {}, 7));
  }
  sendData("y");
  EXPECT_EQ(serverRead(), "xy");
  for (int i = 0; i <= RecordLayer::kMaxEmptyRecordsInARow; ++i) {
    inject(raw->seal(SSL3_RT_APPLICATION_DATA, {}));
  }
  expectRefused("peer sent too many empty TLS records in a row", SSL_AD_UNEXPECTED_MESSAGE);
}

// OpenSSL's MAX_WARN_ALERT_COUNT: the fifth user_canceled in a row fails.
TEST_F(RecordLayerRulesTest, WarningAlertsInARowAreBounded) {
  for (int i = 0; i < RecordLayer::kMaxWarningAlertsInARow; ++i) {
    inject(raw->seal(SSL3_RT_ALERT, {SSL3_AL_WARNING, SSL_AD_USER_CANCELLED}));
  }
  sendData("still here");
  EXPECT_EQ(serverRead(), "still here");
  for (int i = 0; i <= RecordLayer::kMaxWarningAlertsInARow; ++i) {
    inject(raw->seal(SSL3_RT_ALERT, {SSL3_AL_WARNING, SSL_AD_USER_CANCELLED}));
  }
  expectRefused("peer sent too many warning alerts in a row", SSL_AD_UNEXPECTED_MESSAGE);
}

TEST_F(RecordLayerRulesTest, TransportEndingInsideAHandshakeMessageIsAFailure) {
  inject(raw->seal(SSL3_RT_HANDSHAKE, {kKeyUpdate, 0, 0}));
  EXPECT_EQ(serverStops(), TlsStatus::want_input);
  server->setInputEnded();
  EXPECT_EQ(serverStops(), TlsStatus::failed);
  EXPECT_EQ(server->failureReason(), "peer sent a truncated TLS handshake message");
  EXPECT_FALSE(server->closedWithoutNotify());
}

// RFC 8446 section 5.1: the header frames the record, so an end inside one
// is a truncation; OpenSSL sends decode_error.
TEST_F(RecordLayerTest, TransportEndingInsideARecordIsAFailure) {
  for (const std::size_t cut : {std::size_t{3}, std::size_t{5}, std::size_t{12}}) {
    SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
    OpenSslClient peer;
    connect(serverConfig(server_cert), peer);
    ASSERT_TRUE(server->usesRecordLayer());
    RecordWriter writer = peer.rawWriter();
    Bytes record = writer.seal(SSL3_RT_APPLICATION_DATA, {'c', 'u', 't'});
    record.resize(cut);
    inject(record);
    EXPECT_EQ(serverStops(), TlsStatus::want_input);
    server->setInputEnded();
    EXPECT_EQ(serverStops(), TlsStatus::failed);
    EXPECT_EQ(server->failureReason(), "peer closed the connection in the middle of a TLS record");
    EXPECT_EQ(peer.alertReceived(server_out), SSL_AD_DECODE_ERROR);
  }
}

TEST_F(RecordLayerRulesTest, TransportEndingAtARecordBoundaryIsAnUncleanClose) {
  sendData("last");
  server->setInputEnded();
  TlsStatus last = TlsStatus::ok;
  EXPECT_EQ(serverRead(&last), "last");
  EXPECT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_TRUE(server->closedWithoutNotify());
}

}  // namespace
}  // namespace tlsgate::test
