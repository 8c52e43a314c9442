#include "proxy/connect_phase.h"

#include "proxy/endpoint.h"
#include "proxy/listener.h"
#include "proxy/name_lookup.h"
#include "proxy/uv_error.h"
#include "proxy/worker.h"

namespace tlsgate {

ConnectPhase::~ConnectPhase() {
  if (lookup_ != nullptr) {
    lookup_->cancel();
  }
}

const BackendTarget& ConnectPhase::target(PhaseContext& context) const {
  return context.facts().backends->targets.at(current_);
}

void ConnectPhase::start(PhaseContext& context) {
  context_ = &context;
  const BackendSet& backends = *context.facts().backends;
  for (std::size_t i = 0; i < backends.targets.size(); ++i) {
    order_.push_back(i);
  }
  deferred_ = tryNext(context);
}

PhaseStatus ConnectPhase::advance(PhaseContext& context) {
  if (deferred_.kind != PhaseStatus::Kind::wait) {
    return std::exchange(deferred_, PhaseStatus::wait());
  }
  if (!connecting_ || !context.backend().connected()) {
    return PhaseStatus::wait();
  }
  context.facts().target = static_cast<int>(current_);
  return PhaseStatus::goOn();
}

PhaseStatus ConnectPhase::tryNext(PhaseContext& context) {
  connecting_ = false;
  if (next_address_ < addresses_.size()) {
    return connectTo(context, addresses_[next_address_++]);
  }
  if (next_target_ >= order_.size()) {
    if (failures_.size() == 1) {
      return PhaseStatus::fail("backend connect failed: " + failures_.front());
    }
    std::string reason = "no backend could be reached:";
    for (const std::string& failure : failures_) {
      reason += (reason.back() == ':' ? " " : "; ") + failure;
    }
    return PhaseStatus::fail(reason);
  }
  current_ = order_[next_target_++];
  addresses_.clear();
  next_address_ = 0;
  context.armTimer(context.worker().global().timeouts.connect.count());
  const BackendTarget& backend = target(context);
  context.facts().backend = backend.text;
  if (backend.numeric) {
    return connectTo(context, *backend.numeric);
  }
  int status = 0;
  lookup_ = NameLookup::start(context.worker().loop(), backend.address, this, onLookup, status);
  if (lookup_ == nullptr) {
    return attemptFailed(context,
                         "cannot look up " + backend.address.host + ": " + uvErrorText(status));
  }
  return PhaseStatus::wait();
}

void ConnectPhase::onLookup(void* owner, int status, std::vector<SocketAddress> addresses) {
  auto* self = static_cast<ConnectPhase*>(owner);
  self->lookup_ = nullptr;
  PhaseContext& context = *self->context_;
  if (status != 0) {
    self->deferred_ =
        self->attemptFailed(context, "cannot look up " + self->target(context).address.host + ": " +
                                         uvErrorText(status));
  } else {
    self->addresses_ = std::move(addresses);
    self->next_address_ = 0;
    self->deferred_ = self->tryNext(context);
  }
  context.progress();
}

PhaseStatus ConnectPhase::connectTo(PhaseContext& context, const SocketAddress& address) {
  Endpoint& backend = context.backend();
  backend.reset();
  int rc = backend.connect(context.worker().loop(), address);
  if (rc != 0) {
    context.metrics().backend_connect_failures.add();
    // Out of descriptors, the socket could not even be made: tlsgate drops
    // the connection, and a burst of those is logged in summary.
    if (isResourceError(rc)) {
      return PhaseStatus::drop("backend connect failed: " + uvErrorText(rc));
    }
    return attemptFailed(context, uvErrorText(rc));
  }
  connecting_ = true;
  return PhaseStatus::wait();
}

PhaseStatus ConnectPhase::attemptFailed(PhaseContext& context, const std::string& why) {
  if (lookup_ != nullptr) {
    lookup_->cancel();
    lookup_ = nullptr;
  }
  const BackendSet& backends = *context.facts().backends;
  failures_.push_back(backends.targets.size() > 1 ? target(context).text + ": " + why : why);
  context.backend().reset();
  return tryNext(context);
}

PhaseStatus ConnectPhase::onConnectFailed(PhaseContext& context, int status) {
  context.metrics().backend_connect_failures.add();
  return attemptFailed(context, uvErrorText(status));
}

PhaseStatus ConnectPhase::onTimeout(PhaseContext& context) {
  context.metrics().backend_connect_failures.add();
  return attemptFailed(context,
                       "timed out after " +
                           std::to_string(context.worker().global().timeouts.connect.count()) +
                           "ms (timeouts.connect)");
}

}  // namespace tlsgate
