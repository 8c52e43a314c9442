// ServerTlsContext: the accept side's TlsContext, where tlsgate is the TLS
// server.
//
// There is one SSL_CTX per distinct set of certificate names. The first
// certificate's SSL_CTX is the default; the servername callback moves a
// connection to the SSL_CTX that serves the client's SNI. Every SSL_CTX is
// configured identically apart from its certificates, and session tickets
// and the session cache always belong to the default one, so a session
// resumes whichever certificate served it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tls/client_cert_policy.h"
#include "tls/record_layer_decline.h"
#include "tls/sni_selector.h"
#include "tls/ticket_keys.h"
#include "tls/tls_context.h"
#include "x509/openssl_ptr.h"

namespace tlsgate {

// A certificate an accept side serves, as metrics and /status describe it.
struct ServedCertificate {
  std::string subject;
  std::string sha256;
  int64_t not_after_unix = 0;
};

class ServerTlsContext final : public TlsContext {
 public:
  // Throws ConfigError naming the file and position of what cannot be loaded.
  static std::shared_ptr<ServerTlsContext> create(const ServerTlsConfig& config);

  const ServerTlsConfig& config() const { return config_; }
  const TlsPolicyConfig& policy() const override { return config_; }
  Side side() const override { return Side::accept; }
  bool verifiesPeer() const override { return config().client_certs.mode != ClientCertMode::none; }
  std::string peerRefusal(const PeerIdentity& identity) const override;
  void prepareSession(SSL* ssl) const override { SSL_set_accept_state(ssl); }

  // The SSL_CTX whose certificates serve `servername`, or null when none does.
  SSL_CTX* contextFor(const std::string& servername) const;
  bool rejectsUnknownNames() const { return config().sni.reject_unknown; }
  // The OCSP response to staple when the first certificate is served (empty
  // without ocsp_staple), and that certificate.
  const std::string& ocspResponse() const { return ocsp_response_; }
  X509* firstCertificate() const { return first_certificate_.get(); }
  // Every configured certificate's leaf, in config order.
  const std::vector<ServedCertificate>& servedCertificates() const { return served_; }
  // With session.ticket_keys: the keys; null without a key file.
  const TicketKeys* ticketKeys() const { return ticket_keys_ ? &*ticket_keys_ : nullptr; }

  // TLS 1.3 sessions that moved to tlsgate's record layer, and those that
  // kept their SSL, by reason.
  uint64_t recordLayerHandOvers() const { return handed_over_.load(std::memory_order_relaxed); }
  void noteRecordLayerHandOver() const { handed_over_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t recordLayerDeclined(RecordLayerDecline reason) const {
    return declined_.at(static_cast<std::size_t>(reason)).load(std::memory_order_relaxed);
  }
  void noteRecordLayerDeclined(RecordLayerDecline reason) const {
    declined_.at(static_cast<std::size_t>(reason)).fetch_add(1, std::memory_order_relaxed);
  }

 private:
  explicit ServerTlsContext(const ServerTlsConfig& config);

  SSL_CTX* newServerSslContext();
  void loadCertificates();
  void loadDhParams();
  void loadOcspResponse();
  void loadTrustAnchors(SSL_CTX* ctx);
  void loadCrl(SSL_CTX* ctx);
  void applyVerifyPolicy(SSL_CTX* ctx);
  void applySessionPolicy(SSL_CTX* ctx);
  void applyExtras(SSL_CTX* ctx);
  std::array<unsigned char, 32> sessionIdContext() const;

  ServerTlsConfig config_;
  SniSelector sni_;
  std::optional<TicketKeys> ticket_keys_;
  ClientCertPolicy client_cert_policy_;
  X509Ptr first_certificate_;  // the first certificate's leaf
  std::vector<ServedCertificate> served_;
  EvpPkeyPtr dh_params_;       // from dhparams
  std::string ocsp_response_;  // DER, from ocsp_staple
  mutable std::atomic<uint64_t> handed_over_{0};
  mutable std::array<std::atomic<uint64_t>, kRecordLayerDeclineCount> declined_{};
};

}  // namespace tlsgate
