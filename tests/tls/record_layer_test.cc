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

#include "tls/session_pair.h"
#include "tls/traffic_secrets.h"

namespace tlsgate::test {
namespace {

std::span<const std::byte> bytesOf(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

std::string pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>((i * 7919 + 13) % 251);
  }
  return out;
}

// A plain OpenSSL client on memory BIOs, so a test can drive it directly:
// KeyUpdate, raw records, alerts.
class OpenSslClient {
 public:
  explicit OpenSslClient(const std::vector<std::string>& suites = {}) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
    if (!suites.empty()) {
      std::string list;
      for (const std::string& suite : suites) {
        list += (list.empty() ? "" : ":") + suite;
      }
      SSL_CTX_set_ciphersuites(ctx_, list.c_str());
    }
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is its body.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>("localhost"));
  }
  ~OpenSslClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  OpenSslClient(const OpenSslClient&) = delete;
  OpenSslClient& operator=(const OpenSslClient&) = delete;
  OpenSslClient(OpenSslClient&&) = delete;
  OpenSslClient& operator=(OpenSslClient&&) = delete;

  SSL* ssl() { return ssl_; }

  // Client ciphertext into the server's input queue.
  void sendTo(ByteQueue& server_in) {
    std::array<char, 4096> buffer{};
    int n = 0;
    while ((n = BIO_read(out_, buffer.data(), buffer.size())) > 0) {
      server_in.append(
          {reinterpret_cast<const std::byte*>(buffer.data()), static_cast<std::size_t>(n)});
    }
  }
  // The server's output queue into the client.
  void receiveFrom(ByteQueue& server_out) {
    while (!server_out.empty()) {
      auto piece = server_out.front();
      BIO_write(in_, piece.data(), static_cast<int>(piece.size()));
      server_out.consume(piece.size());
    }
  }
  // Everything the client can decrypt now; `error` gets SSL_get_error's last word.
  std::string read(int* error = nullptr) {
    std::string out;
    std::array<char, 4096> buffer{};
    for (;;) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n) != 1) {
        if (error != nullptr) {
          *error = SSL_get_error(ssl_, 0);
        }
        ERR_clear_error();
        return out;
      }
      out.append(buffer.data(), n);
    }
  }
  bool write(const std::string& text) {
    std::size_t n = 0;
    return SSL_write_ex(ssl_, text.data(), text.size(), &n) == 1 && n == text.size();
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
};

class RecordLayerTest : public ::testing::Test {
 protected:
  // Runs both handshakes to the end, then lets the client take the server's
  // session ticket.
  void connect(const TlsConfig& server_config, OpenSslClient& peer) {
    server.reset();
    server_in.clear();
    server_out.clear();
    context = TlsContext::create(server_config, TlsRole::server);
    server = TlsSession::create(context, server_in, server_out, "test server");
    for (int round = 0; round < 10 && !server->handshakeDone(); ++round) {
      SSL_do_handshake(peer.ssl());
      peer.sendTo(server_in);
      ASSERT_NE(server->handshake().status, TlsStatus::failed) << server->failureReason();
      peer.receiveFrom(server_out);
    }
    ASSERT_TRUE(server->handshakeDone());
    ASSERT_EQ(SSL_do_handshake(peer.ssl()), 1);
    peer.read();
  }
  void connect(const TlsConfig& server_config) { connect(server_config, client); }
  void connect() { connect(serverConfig(server_cert)); }

  // Everything the server can decrypt now, through a buffer of `room` bytes.
  std::string serverRead(TlsStatus* last = nullptr, std::size_t room = TlsSession::kReadRoom) {
    std::string out;
    std::vector<std::byte> buffer(room);
    for (;;) {
      TlsResult result = server->read(buffer);
      if (result.status != TlsStatus::ok) {
        if (last != nullptr) {
          *last = result.status;
        }
        return out;
      }
      out.append(reinterpret_cast<const char*>(buffer.data()), result.bytes);
    }
  }

  // Appends raw bytes as if they came from the client.
  void inject(const std::vector<unsigned char>& bytes) {
    server_in.append({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size()});
  }

  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"}, {"127.0.0.1"});
  BufferPool pool{std::size_t{16} * 1024 + 512, 64};
  ByteQueue server_in{pool};
  ByteQueue server_out{pool};
  std::shared_ptr<TlsContext> context;
  std::unique_ptr<TlsSession> server;
  OpenSslClient client;
};

TEST_F(RecordLayerTest, Tls13ServerHandsOverAndKeepsItsHandshakeFacts) {
  TlsConfig config = serverConfig(server_cert);
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
  EXPECT_EQ(server_out.size(), 27U) << "one KeyUpdate record: 5 + 5 + 1 + 16 bytes";

  // Our answering KeyUpdate goes before the reply; the client must follow it.
  ASSERT_EQ(server->write(bytesOf("reply under new keys")).status, TlsStatus::ok);
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

TEST_F(RecordLayerTest, TransportEndingInsideARecordIsAnUncleanClose) {
  connect();
  ASSERT_TRUE(client.write(pattern(1000)));
  ByteQueue staged(pool);
  client.sendTo(staged);
  std::vector<unsigned char> record(staged.size());
  staged.read(std::as_writable_bytes(std::span(record)));
  record.resize(record.size() / 2);
  inject(record);
  server->setInputEnded();
  TlsStatus last = TlsStatus::ok;
  EXPECT_EQ(serverRead(&last), "");
  EXPECT_EQ(last, TlsStatus::end_of_stream);
  EXPECT_TRUE(server->closedWithoutNotify());
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
