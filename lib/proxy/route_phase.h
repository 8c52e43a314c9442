// Picks the connect side: the first route whose match accepts the client's
// SNI and ALPN, else the listener's own connect block. On a listener that
// does not terminate TLS, the SNI and ALPN offer come from the client's
// ClientHello, read without consuming it (the backend gets it untouched).
#pragma once

#include "protocol/client_hello_reader.h"
#include "proxy/phase.h"

namespace tlsgate {

class RoutePhase final : public Phase {
 public:
  // preread: wait for the ClientHello before choosing.
  explicit RoutePhase(bool preread) : preread_(preread) {}
  PhaseId id() const override { return PhaseId::route; }
  PhaseBudget budget() const override {
    return preread_ ? PhaseBudget::handshake : PhaseBudget::none;
  }
  PhaseStatus advance(PhaseContext& context) override;

 private:
  bool preread_;
  ClientHelloReader reader_;
};

}  // namespace tlsgate
