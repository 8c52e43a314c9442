// TlsContext owns one SSL_CTX built from a TlsConfig.
//
// One context serves every connection of a listener side, on every worker
// (SSL_new on a shared SSL_CTX is thread-safe). A reload builds new contexts;
// connections keep the one they started with through shared_ptr.
#pragma once

#include <openssl/ssl.h>

#include <cstdio>
#include <memory>
#include <string>

#include "config/config.h"

namespace tlsgate {

enum class TlsRole { server, client };

class TlsContext {
 public:
  // Loads every certificate, key and CA the block names. Throws ConfigError
  // naming the file and position. `default_servername` is the host of the
  // connect address, used on the client side when `servername` is unset
  // (TclTLS -autoservername).
  static std::shared_ptr<TlsContext> create(const TlsConfig& config, TlsRole role,
                                            const std::string& default_servername = "");

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;
  TlsContext(TlsContext&&) = delete;
  TlsContext& operator=(TlsContext&&) = delete;

  SSL_CTX* native() const { return ctx_; }
  TlsRole role() const { return role_; }
  const TlsConfig& config() const { return config_; }

  // Client side: the SNI to send (empty for an IP address) and the name the
  // peer certificate must match (empty when verification is off).
  const std::string& servername() const { return servername_; }
  const std::string& verifyName() const { return verify_name_; }
  bool verifiesPeer() const { return verifies_peer_; }

  // The index of the SSL ex_data slot that points back at the TlsSession.
  static int sessionIndex();

 private:
  TlsContext(const TlsConfig& config, TlsRole role);

  void applyProtocolPolicy();
  void loadServerCertificate();
  void loadClientCertificate();
  void loadTrustAnchors();
  void applyVerifyPolicy();
  void applyAlpn();
  void openKeylog();

  TlsConfig config_;
  TlsRole role_;
  SSL_CTX* ctx_ = nullptr;
  std::string servername_;
  std::string verify_name_;
  bool verifies_peer_ = false;
  std::string alpn_wire_;  // ALPN list in wire format
  std::FILE* keylog_ = nullptr;
};

}  // namespace tlsgate
