#include "proxy/phase_plan.h"

#include "proxy/connect_phase.h"
#include "proxy/listener.h"
#include "proxy/route_phase.h"
#include "proxy/tls_handshake_phase.h"

namespace tlsgate {

std::unique_ptr<Phase> makePhase(PhaseId id, PhaseContext& context) {
  const Listener& listener = context.listener();
  const ConnectionFacts& facts = context.facts();
  switch (id) {
    case PhaseId::proxy_protocol:
    case PhaseId::starttls:
      return nullptr;
    case PhaseId::handshake:
      if (!listener.accept_tls) {
        return nullptr;
      }
      return std::make_unique<TlsHandshakePhase>(id, listener.accept_tls);
    case PhaseId::route:
      return std::make_unique<RoutePhase>();
    case PhaseId::connect:
      return std::make_unique<ConnectPhase>();
    case PhaseId::backend_proxy_protocol:
    case PhaseId::backend_starttls:
      return nullptr;
    case PhaseId::backend_handshake: {
      const auto& tls = facts.backends->targets.at(static_cast<std::size_t>(facts.target)).tls;
      if (!tls) {
        return nullptr;
      }
      return std::make_unique<TlsHandshakePhase>(id, tls);
    }
    case PhaseId::proxy:
      return nullptr;
  }
  return nullptr;
}

}  // namespace tlsgate
