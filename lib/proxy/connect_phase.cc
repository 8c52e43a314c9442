#include "proxy/connect_phase.h"

#include "config/address_parser.h"
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

const BackendTarget& ConnectPhase::dialled(PhaseContext& context) const {
  const BackendSet& backends = *context.facts().backends;
  return backends.config.via.kind == ViaConfig::Kind::none ? target(context) : backends.via;
}

void ConnectPhase::start(PhaseContext& context) {
  context_ = &context;
  order_ = context.facts().backends->pool->order(uv_now(context.worker().loop()));
  deferred_ = tryNext(context);
}

PhaseStatus ConnectPhase::advance(PhaseContext& context) {
  if (deferred_.kind != PhaseStatus::Kind::wait) {
    return std::exchange(deferred_, PhaseStatus::wait());
  }
  if (!connecting_ || !context.backend().connected()) {
    return PhaseStatus::wait();
  }
  if (context.facts().backends->config.via.kind != ViaConfig::Kind::none) {
    PhaseStatus status = tunnel(context);
    if (status.kind != PhaseStatus::Kind::go_on) {
      return status;
    }
  }
  context.facts().backends->pool->markOk(current_);
  context.facts().target = static_cast<int>(current_);
  return PhaseStatus::goOn();
}

PhaseStatus ConnectPhase::tunnel(PhaseContext& context) {
  const BackendSet& backends = *context.facts().backends;
  Endpoint& backend = context.backend();
  if (!http_connect_ && !socks5_) {
    const Address& address = target(context).address;
    if (backends.config.via.kind == ViaConfig::Kind::http_connect) {
      http_connect_ =
          std::make_unique<HttpConnectClient>(formatAddress(address), backends.via_credentials);
      http_connect_->begin(backend.tx);
    } else {
      const std::string& credentials = backends.via_credentials;
      const std::size_t colon = credentials.find(':');
      socks5_ = std::make_unique<Socks5Client>(
          address.host, address.port, credentials.substr(0, colon),
          colon == std::string::npos ? std::string() : credentials.substr(colon + 1));
      socks5_->begin(backend.tx);
    }
  }
  StepResult result =
      http_connect_ ? http_connect_->advance(backend.rx) : socks5_->advance(backend.rx, backend.tx);
  if (!backend.flush()) {
    return PhaseStatus::wait();
  }
  switch (result.status) {
    case StepStatus::need_input:
      if (backend.inputEnded()) {
        return attemptFailed(context, "the proxy " + backends.via.text +
                                          " closed the connection before the tunnel was open");
      }
      return PhaseStatus::wait();
    case StepStatus::done:
      return PhaseStatus::goOn();
    case StepStatus::close:
    case StepStatus::failed:
      break;
  }
  return attemptFailed(context, "via " + backends.via.text + ": " + result.reason);
}

PhaseStatus ConnectPhase::tryNext(PhaseContext& context) {
  connecting_ = false;
  if (next_address_ < addresses_.size()) {
    return connectTo(context, addresses_[next_address_++]);
  }
  const std::optional<std::size_t> next = order_.next();
  if (!next) {
    if (failures_.size() == 1) {
      return PhaseStatus::fail("backend connect failed: " + failures_.front());
    }
    std::string reason = "no backend could be reached:";
    for (const std::string& failure : failures_) {
      reason += (reason.back() == ':' ? " " : "; ") + failure;
    }
    return PhaseStatus::fail(reason);
  }
  current_ = *next;
  addresses_.clear();
  next_address_ = 0;
  context.armTimer(context.worker().global().timeouts.connect.count());
  context.facts().backend = target(context).text;
  const BackendTarget& backend = dialled(context);
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
        self->attemptFailed(context, "cannot look up " + self->dialled(context).address.host +
                                         ": " + uvErrorText(status));
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
  attempt_ = address.str();
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
  http_connect_.reset();
  socks5_.reset();
  const BackendSet& backends = *context.facts().backends;
  backends.pool->markFailed(current_, uv_now(context.worker().loop()));
  // Name what failed when there was more than one thing to try.
  std::string what;
  if (backends.targets.size() > 1) {
    what = target(context).text;
  }
  if (addresses_.size() > 1) {
    what += (what.empty() ? "" : " ") + std::string("(") + attempt_ + ")";
  }
  failures_.push_back(what.empty() ? why : what + ": " + why);
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
