// The TLS handshake on one endpoint: the accept side (tlsgate is the
// server) or the connect side (tlsgate is the client). Counts the
// handshake, its duration and resumption, or its failure by reason.
//
// On the accept side no TLS session exists until the client's first
// ClientHello record is whole: until then its bytes wait in the endpoint's
// small staging chunks, so a client that sends a few bytes and stalls
// costs a few hundred bytes, not an SSL object and its buffers (some 40 kB
// with OpenSSL 3.0). Every step of the handshake then waits for its turn
// in the worker's HandshakeScheduler.
#pragma once

#include <cstdint>
#include <memory>

#include "protocol/client_hello_reader.h"
#include "proxy/handshake_scheduler.h"
#include "proxy/phase.h"
#include "tls/tls_context.h"

namespace tlsgate {

class TlsHandshakePhase final : public Phase {
 public:
  // PhaseId::handshake or PhaseId::backend_handshake.
  TlsHandshakePhase(PhaseId id, std::shared_ptr<const TlsContext> context)
      : id_(id), context_(std::move(context)) {}
  ~TlsHandshakePhase() override;
  TlsHandshakePhase(const TlsHandshakePhase&) = delete;
  TlsHandshakePhase& operator=(const TlsHandshakePhase&) = delete;
  TlsHandshakePhase(TlsHandshakePhase&&) = delete;
  TlsHandshakePhase& operator=(TlsHandshakePhase&&) = delete;

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
  void createSession(PhaseContext& context);
  void stopCounting();

  PhaseId id_;
  std::shared_ptr<const TlsContext> context_;
  uint64_t started_ns_ = 0;
  ClientHelloReader hello_;
  HandshakeScheduler* scheduler_ = nullptr;
  HandshakeTurn turn_;
  bool counted_ = false;  // in the scheduler's count of handshakes in progress
};

}  // namespace tlsgate
