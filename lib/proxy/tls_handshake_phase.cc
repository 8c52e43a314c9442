#include "proxy/tls_handshake_phase.h"

#include <uv.h>

#include "metrics/failure_kind.h"
#include "proxy/endpoint.h"
#include "proxy/worker.h"

namespace tlsgate {

Endpoint& TlsHandshakePhase::endpoint(PhaseContext& context) const {
  return acceptSide() ? context.client() : context.backend();
}

TlsSideMetrics& TlsHandshakePhase::sideMetrics(PhaseContext& context) const {
  return acceptSide() ? context.metrics().accept : context.metrics().connect;
}

TlsHandshakePhase::~TlsHandshakePhase() {
  stopCounting();
}

void TlsHandshakePhase::start(PhaseContext& context) {
  Endpoint& side = endpoint(context);
  scheduler_ = &context.worker().handshakes();
  turn_.resume = [&context] { context.progress(); };
  started_ns_ = uv_hrtime();
  if (acceptSide() && side.rx.empty() && !side.inputEnded()) {
    side.stageReads(true);
    return;
  }
  createSession(context);
}

void TlsHandshakePhase::createSession(PhaseContext& context) {
  Endpoint& side = endpoint(context);
  side.tls = TlsSession::create(context_, side.rx, side.tx,
                                context.label() + (acceptSide() ? " accept" : " connect"));
  if (side.tls && side.inputEnded()) {
    side.tls->setInputEnded();  // the peer left during an earlier phase
  }
  if (side.tls && acceptSide()) {
    counted_ = true;
    scheduler_->started();
  }
}

void TlsHandshakePhase::stopCounting() {
  if (counted_) {
    counted_ = false;
    scheduler_->finished();
  }
}

PhaseStatus TlsHandshakePhase::advance(PhaseContext& context) {
  Endpoint& side = endpoint(context);
  if (side.staging()) {
    // The reader only looks; OpenSSL gets every byte, and its own words for
    // whatever is wrong with them (the reader fails past one record).
    const StepResult hello = hello_.peek(side.staged);
    if (hello.status == StepStatus::need_input && !side.inputEnded()) {
      return PhaseStatus::wait();
    }
    side.stageReads(false);
    createSession(context);
  }
  if (!side.tls) {
    return PhaseStatus::fail("out of memory creating a TLS session");
  }
  if (!turn_.take()) {
    scheduler_->enqueue(turn_);
    return PhaseStatus::wait();
  }
  TlsResult result = side.tls->handshake();
  if (!side.flush()) {
    return PhaseStatus::wait();  // the write failure is being reported
  }
  if (result.status != TlsStatus::want_input) {
    stopCounting();
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
