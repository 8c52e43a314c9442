// The TLS handshake on one endpoint: the accept side (tlsgate is the
// server) or the connect side (tlsgate is the client). Counts the
// handshake, its duration and resumption, or its failure by reason.
#pragma once

#include <cstdint>
#include <memory>

#include "proxy/phase.h"
#include "tls/tls_context.h"

namespace tlsgate {

class TlsHandshakePhase final : public Phase {
 public:
  // PhaseId::handshake or PhaseId::backend_handshake.
  TlsHandshakePhase(PhaseId id, std::shared_ptr<const TlsContext> context)
      : id_(id), context_(std::move(context)) {}

  PhaseId id() const override { return id_; }
  PhaseBudget budget() const override { return PhaseBudget::handshake; }
  void start(PhaseContext& context) override;
  PhaseStatus advance(PhaseContext& context) override;
  PhaseStatus onTimeout(PhaseContext& context) override;
  void countFailure(PhaseContext& context, const std::string& reason) override;

 private:
  bool acceptSide() const { return id_ == PhaseId::handshake; }
  Endpoint& endpoint(PhaseContext& context) const;
  TlsSideMetrics& sideMetrics(PhaseContext& context) const;

  PhaseId id_;
  std::shared_ptr<const TlsContext> context_;
  uint64_t started_ns_ = 0;
};

}  // namespace tlsgate
