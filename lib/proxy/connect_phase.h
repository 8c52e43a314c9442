// Reaches a backend of the chosen connect side. Each address of the list is
// tried in the balance's order; one that refuses or times out is marked
// down for fail_timeout, and the next is tried within the same client
// connection. A host name is looked up now, and each address it yields is
// tried in turn. With connect.via, the socket goes to the upstream proxy,
// which is asked (HTTP CONNECT or SOCKS5) to open the tunnel to the backend.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "protocol/http_connect_client.h"
#include "protocol/socks5_client.h"
#include "proxy/phase.h"
#include "proxy/socket_address.h"
#include "routing/backend_pool.h"

namespace tlsgate {

class NameLookup;
struct BackendTarget;

class ConnectPhase final : public Phase {
 public:
  ConnectPhase() = default;
  ~ConnectPhase() override;
  ConnectPhase(const ConnectPhase&) = delete;
  ConnectPhase& operator=(const ConnectPhase&) = delete;
  ConnectPhase(ConnectPhase&&) = delete;
  ConnectPhase& operator=(ConnectPhase&&) = delete;

  PhaseId id() const override { return PhaseId::connect; }
  PhaseBudget budget() const override { return PhaseBudget::connect; }
  void start(PhaseContext& context) override;
  PhaseStatus advance(PhaseContext& context) override;
  PhaseStatus onTimeout(PhaseContext& context) override;
  PhaseStatus onConnectFailed(PhaseContext& context, int status) override;

 private:
  // Starts the next attempt; fail when every backend has been tried.
  PhaseStatus tryNext(PhaseContext& context);
  PhaseStatus connectTo(PhaseContext& context, const SocketAddress& address);
  // The current attempt failed: note why and go on to the next.
  PhaseStatus attemptFailed(PhaseContext& context, const std::string& why);
  // The tunnel through connect.via, once the proxy is connected.
  PhaseStatus tunnel(PhaseContext& context);
  const BackendTarget& target(PhaseContext& context) const;
  // Where the socket goes: the via proxy, or the target itself.
  const BackendTarget& dialled(PhaseContext& context) const;
  static void onLookup(void* owner, int status, std::vector<SocketAddress> addresses);

  PhaseContext* context_ = nullptr;
  BackendPool::Order order_;              // the targets, in the order to try them
  std::size_t current_ = 0;               // the target being tried
  std::vector<SocketAddress> addresses_;  // what the current target's name resolved to
  std::size_t next_address_ = 0;
  std::string attempt_;  // the address being connected to
  NameLookup* lookup_ = nullptr;
  bool connecting_ = false;
  std::unique_ptr<HttpConnectClient> http_connect_;
  std::unique_ptr<Socks5Client> socks5_;
  std::vector<std::string> failures_;           // "address: reason", one per failed attempt
  PhaseStatus deferred_ = PhaseStatus::wait();  // the outcome of a lookup callback
};

}  // namespace tlsgate
