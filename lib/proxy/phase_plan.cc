#include "proxy/phase_plan.h"

#include "proxy/connect_phase.h"
#include "proxy/listener.h"
#include "proxy/proxy_header_phase.h"
#include "proxy/route_phase.h"
#include "proxy/starttls_phase.h"
#include "proxy/tls_handshake_phase.h"

namespace tlsgate {

std::unique_ptr<Phase> makePhase(PhaseId id, PhaseContext& context) {
  const Listener& listener = context.listener();
  const ListenerConfig& config = listener.config;
  const ConnectionFacts& facts = context.facts();
  const StarttlsProtocol accept_starttls = config.accept.starttls.protocol;
  switch (id) {
    case PhaseId::proxy_protocol:
      if (!config.accept.proxy_protocol) {
        return nullptr;
      }
      return std::make_unique<ProxyHeaderInPhase>();
    case PhaseId::starttls:
      if (accept_starttls == StarttlsProtocol::none) {
        return nullptr;
      }
      return std::make_unique<StarttlsAcceptPhase>(config.accept.starttls);
    case PhaseId::handshake:
      // A client that stayed in plaintext (accept.starttls, require: false)
      // has no handshake.
      if (!listener.accept_tls || facts.stayed_plaintext) {
        return nullptr;
      }
      return std::make_unique<TlsHandshakePhase>(id, listener.accept_tls);
    case PhaseId::route:
      return std::make_unique<RoutePhase>(!listener.routes.empty() && !listener.accept_tls);
    case PhaseId::connect:
      return std::make_unique<ConnectPhase>();
    case PhaseId::backend_proxy_protocol: {
      const ProxyProtocolOut& out = facts.backends->config.proxy_protocol;
      if (out.version == ProxyProtocolVersion::none) {
        return nullptr;
      }
      return std::make_unique<ProxyHeaderOutPhase>(out);
    }
    case PhaseId::backend_starttls: {
      const StarttlsProtocol connect_starttls = facts.backends->config.starttls;
      if (accept_starttls == StarttlsProtocol::none && connect_starttls == StarttlsProtocol::none) {
        return nullptr;
      }
      return std::make_unique<BackendStarttlsPhase>(accept_starttls, connect_starttls);
    }
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
