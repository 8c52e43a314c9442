#include "proxy/listener.h"

namespace tlsgate {

std::vector<std::shared_ptr<const Listener>> buildListeners(const Config& config,
                                                            uint64_t generation) {
  std::vector<std::shared_ptr<const Listener>> listeners;
  for (const ListenerConfig& lc : config.listeners) {
    auto listener = std::make_shared<Listener>();
    listener->config = lc;
    listener->generation = generation;
    listener->listen_address = resolveAddress(lc.accept.address, "accept.address");
    listener->listen_key = listener->listen_address.str();
    listener->backend_address = resolveAddress(lc.connect.address(), "connect.address");
    listener->backend_text = listener->backend_address.str();
    if (lc.accept.tls) {
      listener->accept_tls = TlsContext::create(*lc.accept.tls, TlsRole::server);
    }
    if (lc.connect.tls) {
      listener->connect_tls =
          TlsContext::create(*lc.connect.tls, TlsRole::client, lc.connect.address().host);
    }
    listeners.push_back(std::move(listener));
  }
  return listeners;
}

}  // namespace tlsgate
