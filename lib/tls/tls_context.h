// TlsContext owns the SSL_CTXs built from one tls: block.
//
// It applies what both sides share, the block's TlsPolicyConfig: the
// protocol policy (versions, ciphers, groups, security level, options), the
// trust store, the ALPN list and the key log file. Each role adds its own in
// a type of its own, built from its side's config, as Envoy's
// ServerContextImpl and ClientContextImpl do:
//  - ServerTlsContext (server_tls_context.h), the accept side, from a
//    ServerTlsConfig: certificates and SNI selection, OCSP, DH parameters,
//    ticket keys, the session cache, client-certificate rules and ALPN
//    selection;
//  - ClientTlsContext (client_tls_context.h), the connect side, from a
//    ClientTlsConfig: the client certificate, the servername and verify
//    name, pin_sha256, session resumption and the ALPN offer.
//
// One context serves every connection of a listener side, on every worker
// (SSL_new on a shared SSL_CTX is thread-safe). A reload builds new contexts;
// connections keep the one they started with through shared_ptr.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "tls/peer_identity.h"
#include "util/side.h"

namespace tlsgate {

class KeylogFile;
class SecretTap;

// Each role's create() loads every certificate, key and CA its config names
// and throws ConfigError naming the file and position.
class TlsContext {
 public:
  virtual ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  TlsContext(TlsContext&&) = delete;
  TlsContext& operator=(TlsContext&&) = delete;

  virtual Side side() const = 0;
  // The default SSL_CTX: new sessions start on it.
  SSL_CTX* native() const { return contexts_.front(); }
  // The keys both sides share. The role's context keeps its whole config
  // (its config()), and this is that config's shared part, so the policy is
  // not held twice.
  virtual const TlsPolicyConfig& policy() const = 0;
  // The number of SSL_CTXs (certificate name sets); 1 on the connect side.
  std::size_t certificateGroups() const { return contexts_.size(); }

  // Whether a handshake verifies the peer's certificate, when it sends one
  // (client_certs.mode on the accept side, verify on the connect side).
  virtual bool verifiesPeer() const = 0;
  // Why a verified peer certificate is refused by tlsgate's own rules
  // (client_certs.allow, pin_sha256); empty when it is admitted.
  virtual std::string peerRefusal(const PeerIdentity& identity) const = 0;

  // Puts a new SSL of this context in its role, with what this side sends
  // on every connection.
  virtual void prepareSession(SSL* ssl) const = 0;
  // The handshake of such an SSL completed.
  virtual void onHandshakeDone(SSL* ssl, bool resumed) const;

  // Completed handshakes and, of those, resumed sessions, across all
  // connections that used this context.
  uint64_t handshakes() const { return handshakes_.load(std::memory_order_relaxed); }
  uint64_t resumptions() const { return resumptions_.load(std::memory_order_relaxed); }

  // The key log file, one consumer of the secret tap (secret_tap.h); null
  // unless keylog or SSLKEYLOGFILE names one.
  SecretTap* keylogFile() const;

 protected:
  // `default_cipher_list` is the TLS <= 1.2 list used when `cipher` is unset
  // (cipher_defaults.h).
  TlsContext(const TlsPolicyConfig& policy, const char* default_cipher_list);

  // A new SSL_CTX with the shared policy applied, linked back to this
  // context. The first one made is the default.
  SSL_CTX* newSslContext(const SSL_METHOD* method);
  const std::vector<SSL_CTX*>& sslContexts() const { return contexts_; }
  // Loads CA certificates from whichever of the three sources are set.
  void loadTrustStore(SSL_CTX* ctx, const LocatedPath& cafile, const LocatedPath& cadir,
                      const std::string& castore) const;
  // Opens the key log file, if one is configured (after the certificates,
  // so that their errors come first).
  void openKeylogFile();
  // The alpn list in wire format: each protocol after its length byte.
  const std::string& alpnWire() const { return alpn_wire_; }

 private:
  void applyProtocolPolicy(SSL_CTX* ctx);

  const char* default_cipher_list_;
  std::vector<SSL_CTX*> contexts_;  // [0] is the default
  std::string alpn_wire_;
  std::unique_ptr<KeylogFile> keylog_;
  mutable std::atomic<uint64_t> handshakes_{0};
  mutable std::atomic<uint64_t> resumptions_{0};
};

}  // namespace tlsgate
