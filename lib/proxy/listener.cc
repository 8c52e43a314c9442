#include "proxy/listener.h"

#include "config/address_parser.h"
#include "config/via_parser.h"
#include "tls/client_tls_context.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

BackendTarget makeTarget(const Address& address, const std::optional<ClientTlsConfig>& tls) {
  BackendTarget target;
  target.address = address;
  target.text = formatAddress(address);
  target.numeric = numericAddress(address);
  if (tls) {
    target.tls = ClientTlsContext::create(*tls, address.host);
  }
  return target;
}

// The first line of auth_file: "user:password". The loader has checked its
// shape; it is read again here so a reload picks up a new password.
std::string readCredentials(const LocatedPath& file) {
  const SecretLine line(file.value, kMaxAuthFileLine);
  if (std::string error = authFileReadError(line, file.value); !error.empty()) {
    throw ConfigError(file.mark, "auth_file", error);
  }
  return line.text();
}

std::unique_ptr<const BackendSet> makeBackends(const ConnectConfig& config) {
  auto set = std::make_unique<BackendSet>();
  set->config = config;
  for (const Address& address : config.addresses) {
    set->targets.push_back(makeTarget(address, config.tls));
  }
  set->pool =
      std::make_unique<BackendPool>(set->targets.size(), config.balance, config.fail_timeout);
  if (config.via.kind != ViaConfig::Kind::none) {
    set->via = makeTarget(config.via.proxy, std::nullopt);
    if (!config.via.auth_file.value.empty()) {
      set->via_credentials = readCredentials(config.via.auth_file);
    }
  }
  return set;
}

}  // namespace

std::vector<std::shared_ptr<const Listener>> buildListeners(const Config& config,
                                                            uint64_t generation) {
  std::vector<std::shared_ptr<const Listener>> listeners;
  for (const ListenerConfig& lc : config.listeners) {
    auto listener = std::make_shared<Listener>();
    listener->config = lc;
    listener->generation = generation;
    listener->listen_address = resolveAddress(lc.accept.address, "accept.address");
    listener->listen_key = listener->listen_address.str();
    if (lc.accept.tls) {
      listener->accept_tls = ServerTlsContext::create(*lc.accept.tls);
    }
    listener->connect = makeBackends(lc.connect);
    for (const RouteConfig& route : lc.routes) {
      listener->routes.push_back(makeBackends(route.connect));
    }
    listeners.push_back(std::move(listener));
  }
  return listeners;
}

}  // namespace tlsgate
