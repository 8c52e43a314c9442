#include "proxy/phase.h"

#include <array>
#include <string>

#include "proxy/endpoint.h"
#include "proxy/uv_error.h"
#include "proxy/worker.h"

namespace tlsgate {

const char* phaseName(PhaseId phase) {
  static constexpr std::array<const char*, 9> kNames = {
      "proxy_protocol",         "starttls",         "handshake",         "route", "connect",
      "backend_proxy_protocol", "backend_starttls", "backend_handshake", "proxy"};
  return kNames.at(static_cast<std::size_t>(phase));
}

PhaseStatus Phase::onTimeout(PhaseContext& context) {
  const Timeouts& timeouts = context.worker().global().timeouts;
  switch (budget()) {
    case PhaseBudget::handshake:
      return PhaseStatus::fail("handshake timed out after " +
                               std::to_string(timeouts.handshake.count()) +
                               "ms (timeouts.handshake)");
    case PhaseBudget::connect:
      return PhaseStatus::fail("backend connect failed: timed out after " +
                               std::to_string(timeouts.connect.count()) + "ms (timeouts.connect)");
    case PhaseBudget::idle:
    case PhaseBudget::none:
      break;
  }
  return PhaseStatus::fail(std::string(phaseName(id())) + " timed out");
}

std::optional<PhaseStatus> unlessDone(const StepResult& step, const Endpoint& peer,
                                      const char* ended) {
  switch (step.status) {
    case StepStatus::need_input:
      return peer.inputEnded() ? PhaseStatus::fail(ended) : PhaseStatus::wait();
    case StepStatus::done:
      return std::nullopt;
    case StepStatus::close:
      return PhaseStatus::close(step.reason);
    case StepStatus::failed:
      break;
  }
  return PhaseStatus::fail(step.reason);
}

PhaseStatus Phase::onConnectFailed(PhaseContext& /*context*/, int status) {
  return PhaseStatus::fail("backend connect failed: " + uvErrorText(status));
}

}  // namespace tlsgate
