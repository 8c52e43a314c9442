// Picks the connect side: the first route whose match accepts the client's
// SNI and ALPN, else the listener's own connect block.
#pragma once

#include "proxy/phase.h"

namespace tlsgate {

class RoutePhase final : public Phase {
 public:
  PhaseId id() const override { return PhaseId::route; }
  PhaseBudget budget() const override { return PhaseBudget::none; }
  PhaseStatus advance(PhaseContext& context) override;
};

}  // namespace tlsgate
