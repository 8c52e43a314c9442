// The client_certs.allow rules: which verified client certificates are
// admitted. Any one matching rule admits; no rules admit every verified
// certificate.
#pragma once

#include <string>

#include "config/config.h"
#include "tls/peer_identity.h"

namespace tlsgate {

class ClientCertPolicy {
 public:
  explicit ClientCertPolicy(ClientCertAllow allow) : allow_(std::move(allow)) {}

  bool admitsEveryVerifiedCertificate() const { return allow_.empty(); }
  bool admits(const PeerIdentity& identity) const;

  // Why `identity` was refused, for the connection's failure reason.
  static std::string refusal(const PeerIdentity& identity);

 private:
  bool matchesDns(const std::string& name) const;

  ClientCertAllow allow_;
};

}  // namespace tlsgate
