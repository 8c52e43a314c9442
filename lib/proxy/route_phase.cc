#include "proxy/route_phase.h"

#include "proxy/listener.h"

namespace tlsgate {

PhaseStatus RoutePhase::advance(PhaseContext& context) {
  const Listener& listener = context.listener();
  context.facts().backends = listener.connect.get();
  return PhaseStatus::goOn();
}

}  // namespace tlsgate
