// ClientTlsContext: the connect side's TlsContext, where tlsgate is the TLS
// client of a backend.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "tls/tls_context.h"

namespace tlsgate {

class ClientTlsContext final : public TlsContext {
 public:
  // Throws ConfigError naming the file and position of what cannot be
  // loaded. `default_servername` is the host of the connect address, used
  // when `servername` is unset (TclTLS -autoservername).
  static std::shared_ptr<ClientTlsContext> create(const ClientTlsConfig& config,
                                                  const std::string& default_servername = "");
  ~ClientTlsContext() override;
  ClientTlsContext(const ClientTlsContext&) = delete;
  ClientTlsContext& operator=(const ClientTlsContext&) = delete;
  ClientTlsContext(ClientTlsContext&&) = delete;
  ClientTlsContext& operator=(ClientTlsContext&&) = delete;

  const ClientTlsConfig& config() const { return config_; }
  const TlsPolicyConfig& policy() const override { return config_; }
  Side side() const override { return Side::connect; }
  bool verifiesPeer() const override { return config().verify; }
  // pin_sha256: the backend's certificate must be one of the pinned ones.
  std::string peerRefusal(const PeerIdentity& identity) const override;
  // The SNI, the name to verify and a session to resume.
  void prepareSession(SSL* ssl) const override;
  void onHandshakeDone(SSL* ssl, bool resumed) const override;

  // The SNI to send (empty for an IP address) and the name the peer
  // certificate must match (empty when verification is off).
  const std::string& servername() const { return servername_; }
  const std::string& verifyName() const { return verify_name_; }

  // With session.resume: the session to offer on the next connection (a new
  // reference, or null), and where new ones are kept.
  SSL_SESSION* sessionToResume() const;
  void keepSession(SSL_SESSION* session) const;  // takes the reference

 private:
  explicit ClientTlsContext(const ClientTlsConfig& config);

  void loadCertificate();
  void loadTrustAnchors(SSL_CTX* ctx);
  void applyVerifyPolicy(SSL_CTX* ctx);
  void applySessionPolicy(SSL_CTX* ctx);

  ClientTlsConfig config_;
  std::string servername_;
  std::string verify_name_;
  mutable std::mutex session_mutex_;
  mutable SSL_SESSION* last_session_ = nullptr;  // guarded by session_mutex_
};

}  // namespace tlsgate
