// TlsContext owns the SSL_CTXs built from one TlsConfig.
//
// One context serves every connection of a listener side, on every worker
// (SSL_new on a shared SSL_CTX is thread-safe). A reload builds new contexts;
// connections keep the one they started with through shared_ptr.
//
// On the accept side there is one SSL_CTX per distinct set of certificate
// names. The first certificate's SSL_CTX is the default; a servername
// callback on it moves a connection to the SSL_CTX that serves the client's
// SNI. Every SSL_CTX of one TlsContext is configured identically apart from
// its certificates, and session tickets and the session cache always belong
// to the default one, so a session resumes whichever certificate served it.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "tls/client_cert_policy.h"
#include "tls/sni_selector.h"
#include "tls/ticket_keys.h"
#include "util/side.h"
#include "x509/openssl_ptr.h"

namespace tlsgate {

class KeylogFile;
class SecretTap;

// Why a TLS 1.3 server session stayed with OpenSSL instead of handing its
// connection over to tlsgate's record layer (see record_layer.h).
enum class RecordLayerDecline {
  pending_data,            // OpenSSL holds records it has read but not delivered
  early_data,              // accepted 0-RTT data
  max_fragment_length,     // negotiated with the client
  unsupported_suite,       // a CCM suite
  no_secrets,              // the key log callback gave no application secrets
  not_at_record_boundary,  // OpenSSL's output ended inside a record
  key_setup,               // the record layer could not set up its keys
};
inline constexpr std::size_t kRecordLayerDeclineCount =
    static_cast<std::size_t>(RecordLayerDecline::key_setup) + 1;
// The metric label and log word, e.g. "max_fragment_length".
const char* recordLayerDeclineName(RecordLayerDecline reason);

// A certificate an accept side serves, as metrics and /status describe it.
struct ServedCertificate {
  std::string subject;
  std::string sha256;
  int64_t not_after_unix = 0;
};

class TlsContext {
 public:
  // Loads every certificate, key and CA the block names. Throws ConfigError
  // naming the file and position. `default_servername` is the host of the
  // connect address, used on the client side when `servername` is unset
  // (TclTLS -autoservername).
  static std::shared_ptr<TlsContext> create(const TlsConfig& config, Side side,
                                            const std::string& default_servername = "");

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  TlsContext(TlsContext&&) = delete;
  TlsContext& operator=(TlsContext&&) = delete;

  // The default SSL_CTX: new sessions start on it.
  SSL_CTX* native() const { return contexts_.front(); }
  Side side() const { return side_; }
  const TlsConfig& config() const { return config_; }

  // Client side: the SNI to send (empty for an IP address) and the name the
  // peer certificate must match (empty when verification is off).
  const std::string& servername() const { return servername_; }
  const std::string& verifyName() const { return verify_name_; }
  bool verifiesPeer() const { return verifies_peer_; }

  // Server side: the SSL_CTX whose certificates serve `servername`, or null
  // when none does.
  SSL_CTX* contextFor(const std::string& servername) const;
  bool rejectsUnknownNames() const { return config_.sni.reject_unknown; }
  // The number of SSL_CTXs (certificate name sets); 1 on the client side.
  std::size_t certificateGroups() const { return contexts_.size(); }

  // Server side: the OCSP response to staple when the first certificate is
  // served (empty without ocsp_staple), and that certificate.
  const std::string& ocspResponse() const { return ocsp_response_; }
  X509* firstCertificate() const { return first_certificate_.get(); }
  // Server side: every configured certificate's leaf, in config order.
  const std::vector<ServedCertificate>& servedCertificates() const { return served_; }

  // Why a verified peer certificate is refused by tlsgate's own rules
  // (client_certs.allow, pin_sha256); empty when it is admitted.
  std::string peerRefusal(const PeerIdentity& identity) const;

  // Completed handshakes and, of those, resumed sessions, across all
  // connections that used this context.
  uint64_t handshakes() const { return handshakes_.load(std::memory_order_relaxed); }
  uint64_t resumptions() const { return resumptions_.load(std::memory_order_relaxed); }
  void noteHandshake(bool resumed) const;
  // Server side: TLS 1.3 sessions that kept their SSL, by reason.
  uint64_t recordLayerDeclined(RecordLayerDecline reason) const {
    return declined_.at(static_cast<std::size_t>(reason)).load(std::memory_order_relaxed);
  }
  void noteRecordLayerDeclined(RecordLayerDecline reason) const {
    declined_.at(static_cast<std::size_t>(reason)).fetch_add(1, std::memory_order_relaxed);
  }

  // Client side with session.resume: the session to offer on the next
  // connection (a new reference, or null), and where new ones are kept.
  SSL_SESSION* sessionToResume() const;
  void keepSession(SSL_SESSION* session) const;  // takes the reference

  // Server side with session.ticket_keys: the keys; null without a key file.
  const TicketKeys* ticketKeys() const { return ticket_keys_ ? &*ticket_keys_ : nullptr; }

  // The key log file, one consumer of the secret tap (secret_tap.h); null
  // unless keylog or SSLKEYLOGFILE names one.
  SecretTap* keylogFile() const;

 private:
  TlsContext(const TlsConfig& config, Side side);

  SSL_CTX* newSslContext();
  void applyProtocolPolicy(SSL_CTX* ctx);
  void loadServerCertificates();
  void loadClientCertificate();
  void loadTrustAnchors(SSL_CTX* ctx);
  void loadCrl(SSL_CTX* ctx);
  void loadServerExtras();
  void loadDhParams();
  void loadOcspResponse();
  void applyServerExtras(SSL_CTX* ctx);
  void applyVerifyPolicy(SSL_CTX* ctx);
  void applyAlpn(SSL_CTX* ctx);
  void applyServerSessionPolicy(SSL_CTX* ctx);
  void applyClientSessionPolicy(SSL_CTX* ctx);
  std::array<unsigned char, 32> sessionIdContext() const;
  void applySecretTap(SSL_CTX* ctx);

  TlsConfig config_;
  Side side_;
  std::vector<SSL_CTX*> contexts_;  // [0] is the default
  SniSelector sni_;
  std::string servername_;
  std::string verify_name_;
  bool verifies_peer_ = false;
  std::string alpn_wire_;  // ALPN list in wire format
  std::unique_ptr<KeylogFile> keylog_;
  std::optional<TicketKeys> ticket_keys_;
  ClientCertPolicy client_cert_policy_;
  X509Ptr first_certificate_;  // the first certificate's leaf
  std::vector<ServedCertificate> served_;
  EvpPkeyPtr dh_params_;       // from dhparams
  std::string ocsp_response_;  // DER, from ocsp_staple

  mutable std::atomic<uint64_t> handshakes_{0};
  mutable std::atomic<uint64_t> resumptions_{0};
  mutable std::array<std::atomic<uint64_t>, kRecordLayerDeclineCount> declined_{};
  mutable std::mutex session_mutex_;
  mutable SSL_SESSION* last_session_ = nullptr;  // guarded by session_mutex_
};

}  // namespace tlsgate
