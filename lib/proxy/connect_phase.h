// Reaches a backend of the chosen connect side. Each address of the list is
// tried in the balance's order; one that refuses or times out is marked
// down for fail_timeout, and the next is tried within the same client
// connection. A host name is looked up now, and each address it yields is
// tried in turn.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "proxy/phase.h"
#include "proxy/socket_address.h"

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
  const BackendTarget& target(PhaseContext& context) const;
  static void onLookup(void* owner, int status, std::vector<SocketAddress> addresses);

  PhaseContext* context_ = nullptr;
  std::vector<std::size_t> order_;        // the targets, in the order to try them
  std::size_t next_target_ = 0;           // into order_
  std::size_t current_ = 0;               // the target being tried
  std::vector<SocketAddress> addresses_;  // what the current target's name resolved to
  std::size_t next_address_ = 0;
  NameLookup* lookup_ = nullptr;
  bool connecting_ = false;
  std::vector<std::string> failures_;           // "address: reason", one per failed attempt
  PhaseStatus deferred_ = PhaseStatus::wait();  // the outcome of a lookup callback
};

}  // namespace tlsgate
