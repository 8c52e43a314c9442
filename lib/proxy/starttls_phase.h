// STARTTLS at both ends (TWAPI's starttls, TclTLS's tls::import):
// - accept.starttls: tlsgate answers the client's plaintext preamble itself
//   and offers the upgrade; the TLS accept phase follows;
// - connect side: either tlsgate talks the server's preamble until it
//   upgrades (connect.starttls; the server's greeting reaches the client),
//   or, behind accept.starttls, it drops the plaintext server's greeting,
//   which the client has had from tlsgate already.
#pragma once

#include <memory>

#include "config/config.h"
#include "protocol/greeting_skipper.h"
#include "protocol/starttls_client.h"
#include "protocol/starttls_server.h"
#include "proxy/phase.h"
#include "util/byte_queue.h"

namespace tlsgate {

class StarttlsAcceptPhase final : public Phase {
 public:
  explicit StarttlsAcceptPhase(AcceptStarttls config) : config_(std::move(config)) {}
  PhaseId id() const override { return PhaseId::starttls; }
  PhaseBudget budget() const override { return PhaseBudget::handshake; }
  void start(PhaseContext& context) override;
  PhaseStatus advance(PhaseContext& context) override;

 private:
  AcceptStarttls config_;
  std::unique_ptr<StarttlsServer> server_;
};

class BackendStarttlsPhase final : public Phase {
 public:
  // accept: the listener's accept.starttls protocol (none: not set);
  // connect: the connect side's starttls.
  BackendStarttlsPhase(StarttlsProtocol accept, StarttlsProtocol connect)
      : accept_(accept), connect_(connect) {}
  PhaseId id() const override { return PhaseId::backend_starttls; }
  PhaseBudget budget() const override { return PhaseBudget::handshake; }
  void start(PhaseContext& context) override;
  PhaseStatus advance(PhaseContext& context) override;

 private:
  PhaseStatus skipGreeting(PhaseContext& context);
  PhaseStatus upgrade(PhaseContext& context);
  PhaseStatus declineClientEncryption(PhaseContext& context);
  // Passes bytes for the client on, through its TLS session if it has one.
  PhaseStatus deliverToClient(PhaseContext& context);

  enum class Stage { skip_greeting, upgrade, decline, done };

  StarttlsProtocol accept_;
  StarttlsProtocol connect_;
  Stage stage_ = Stage::done;
  std::unique_ptr<GreetingSkipper> skipper_;
  std::unique_ptr<StarttlsClient> dialogue_;
  std::unique_ptr<ByteQueue> to_client_;  // the server's greeting, on its way to the client
};

// The name tlsgate gives itself in greetings and EHLO: the host's name.
std::string localHostName();

}  // namespace tlsgate
