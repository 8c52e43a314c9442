// The PROXY protocol (HAProxy's proxy-protocol.txt) at both ends:
// - accept.proxy_protocol: read the v1 or v2 header a load balancer puts
//   before anything else, and take the original client address from it;
// - connect.proxy_protocol: tell the backend who the client is, with v2's
//   TLVs for ALPN, SNI and the TLS session (and the client certificate if
//   asked).
#pragma once

#include "config/config.h"
#include "protocol/proxy_header_parser.h"
#include "proxy/phase.h"

namespace tlsgate {

class ProxyHeaderInPhase final : public Phase {
 public:
  PhaseId id() const override { return PhaseId::proxy_protocol; }
  PhaseBudget budget() const override { return PhaseBudget::handshake; }
  PhaseStatus advance(PhaseContext& context) override;

 private:
  // Room for a client certificate TLV from a balancer that sends one.
  ProxyHeaderParser parser_{kProxyV2MaxBytes};
};

class ProxyHeaderOutPhase final : public Phase {
 public:
  explicit ProxyHeaderOutPhase(ProxyProtocolOut config) : config_(config) {}
  PhaseId id() const override { return PhaseId::backend_proxy_protocol; }
  PhaseBudget budget() const override { return PhaseBudget::none; }
  PhaseStatus advance(PhaseContext& context) override;

 private:
  ProxyProtocolOut config_;
};

}  // namespace tlsgate
