// A TLS 1.3 server TlsSession that has handed over to its RecordLayer,
// against a plain OpenSSL client in memory; and what the record layer tests
// share to drive it: raw client records, the server's alerts.
#pragma once

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tls/record_writer.h"
#include "tls/server_tls_context.h"
#include "tls/session_pair.h"

namespace tlsgate::test {

inline std::span<const std::byte> bytesOf(const std::string& text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

inline std::string pattern(std::size_t size) {
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
    SSL_CTX_set_keylog_callback(ctx_, noteKeylog);
    SSL_CTX_set_min_proto_version(ctx_, TLS1_3_VERSION);
    if (!suites.empty()) {
      std::string list;
      for (const std::string& suite : suites) {
        list += (list.empty() ? "" : ":") + suite;
      }
      SSL_CTX_set_ciphersuites(ctx_, list.c_str());
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_app_data(ssl_, this);
    SSL_set_info_callback(ssl_, noteAlert);
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

  // Raw records from the client under its application key, as its next
  // records: the client itself must not have written any yet.
  RecordWriter rawWriter() const { return {SSL_get_current_cipher(ssl_), client_secret_}; }
  // Reads what the server sent; the alert description that ended it, or -1.
  int alertReceived(ByteQueue& server_out) {
    receiveFrom(server_out);
    int error = 0;
    read(&error);
    return received_alert_;
  }

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
  static void noteKeylog(const SSL* ssl, const char* line) {
    const std::string text(line);
    const std::string label = "CLIENT_TRAFFIC_SECRET_0 ";
    if (text.rfind(label, 0) == 0) {
      auto* self = static_cast<OpenSslClient*>(SSL_get_app_data(ssl));
      self->client_secret_ = fromHex(text.substr(text.rfind(' ') + 1));
    }
  }
  static void noteAlert(const SSL* ssl, int where, int value) {
    if ((where & SSL_CB_READ_ALERT) != 0) {
      static_cast<OpenSslClient*>(SSL_get_app_data(ssl))->received_alert_ = value & 0xff;
    }
  }

  Bytes client_secret_;
  int received_alert_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;
  BIO* out_ = nullptr;
};

class RecordLayerTest : public ::testing::Test {
 protected:
  // Runs both handshakes to the end, then lets the client take the server's
  // session ticket.
  void handshake(const ServerTlsConfig& server_config, OpenSslClient& peer) {
    server.reset();
    server_in.clear();
    server_out.clear();
    context = ServerTlsContext::create(server_config);
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
  // The same, then hands over to the record layer at once, as a connection
  // with limits.record_layer_after: 0s does.
  void connect(const ServerTlsConfig& server_config, OpenSslClient& peer) {
    handshake(server_config, peer);
    server->handOver();
  }
  void connect(const ServerTlsConfig& server_config) { connect(server_config, client); }
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

  // Reads until the server stops; the status it stopped with.
  TlsStatus serverStops(std::size_t room = TlsSession::kReadRoom) {
    TlsStatus last = TlsStatus::ok;
    serverRead(&last, room);
    return last;
  }

  TestPki pki;
  IssuedCertificate server_cert = pki.issue("server", "localhost", {"localhost"}, {"127.0.0.1"});
  BufferPool pool{std::size_t{16} * 1024 + 512, 64};
  ByteQueue server_in{pool};
  ByteQueue server_out{pool};
  std::shared_ptr<ServerTlsContext> context;
  std::unique_ptr<TlsSession> server;
  OpenSslClient client;
};

}  // namespace tlsgate::test
