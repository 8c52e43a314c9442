#include "proxy/tls_handshake_phase.h"

#include <uv.h>

#include "metrics/failure_kind.h"
#include "proxy/endpoint.h"

namespace tlsgate {

Endpoint& TlsHandshakePhase::endpoint(PhaseContext& context) const {
  return acceptSide() ? context.client() : context.backend();
}

TlsSideMetrics& TlsHandshakePhase::sideMetrics(PhaseContext& context) const {
  return acceptSide() ? context.metrics().accept : context.metrics().connect;
}

void TlsHandshakePhase::start(PhaseContext& context) {
  Endpoint& side = endpoint(context);
  side.tls = TlsSession::create(context_, side.rx, side.tx,
                                context.label() + (acceptSide() ? " accept" : " connect"));
  if (side.tls && side.inputEnded()) {
    side.tls->setInputEnded();  // the peer left during an earlier phase
  }
  started_ns_ = uv_hrtime();
}

PhaseStatus TlsHandshakePhase::advance(PhaseContext& context) {
  Endpoint& side = endpoint(context);
  if (!side.tls) {
    return PhaseStatus::fail("out of memory creating a TLS session");
  }
  TlsResult result = side.tls->handshake();
  if (!side.flush()) {
    return PhaseStatus::wait();  // the write failure is being reported
  }
  switch (result.status) {
    case TlsStatus::ok: {
      TlsSideMetrics& metrics = sideMetrics(context);
      metrics.handshakes.add();
      if (side.tls->resumed()) {
        metrics.resumptions.add();
      }
      metrics.duration.observe((uv_hrtime() - started_ns_) / 1000);
      if (acceptSide()) {
        context.facts().sni = side.tls->servername();
        context.facts().alpn = side.tls->alpn();
      }
      return PhaseStatus::goOn();
    }
    case TlsStatus::want_input:
      return PhaseStatus::wait();
    case TlsStatus::end_of_stream:
    case TlsStatus::failed:
      return PhaseStatus::fail(side.tls->failureReason());
  }
  return PhaseStatus::fail("unexpected TLS handshake state");
}

PhaseStatus TlsHandshakePhase::onTimeout(PhaseContext& context) {
  sideMetrics(context).fail(FailureKind::timeout);
  return Phase::onTimeout(context);
}

void TlsHandshakePhase::countFailure(PhaseContext& context, const std::string& reason) {
  sideMetrics(context).fail(classifyFailure(reason));
}

}  // namespace tlsgate
