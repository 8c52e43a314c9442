#include "proxy/route_phase.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "proxy/endpoint.h"
#include "proxy/listener.h"
#include "routing/route_matcher.h"

namespace tlsgate {

PhaseStatus RoutePhase::advance(PhaseContext& context) {
  const Listener& listener = context.listener();
  ConnectionFacts& facts = context.facts();
  if (listener.routes.empty()) {
    facts.backends = listener.connect.get();
    return PhaseStatus::goOn();
  }
  std::vector<std::string> alpn;
  if (preread_) {
    Endpoint& client = context.client();
    StepResult result = reader_.peek(client.rx);
    if (auto status =
            unlessDone(result, client, "the client closed before its ClientHello arrived")) {
      if (status->kind == PhaseStatus::Kind::fail && result.status == StepStatus::failed) {
        status->reason = "cannot route: " + status->reason;
      }
      return *status;
    }
    facts.sni = reader_.info().sni;
    alpn = reader_.info().alpn;
  } else if (!facts.alpn.empty()) {
    alpn.push_back(facts.alpn);
  }
  const std::optional<std::size_t> route = matchRoute(listener.config.routes, facts.sni, alpn);
  if (route) {
    facts.backends = listener.routes.at(*route).get();
    spdlog::debug("{} sni={} alpn={}: route {} (line {})", context.label(), facts.sni,
                  alpn.empty() ? "-" : alpn.front(), *route,
                  listener.config.routes.at(*route).mark.line);
  } else {
    facts.backends = listener.connect.get();
  }
  return PhaseStatus::goOn();
}

}  // namespace tlsgate
