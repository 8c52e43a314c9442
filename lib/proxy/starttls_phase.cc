#include "proxy/starttls_phase.h"

#include <unistd.h>

#include <array>

#include "proxy/endpoint.h"
#include "proxy/worker.h"

namespace tlsgate {

std::string localHostName() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name.data();
}

void StarttlsAcceptPhase::start(PhaseContext& context) {
  server_ = StarttlsServer::create(config_,
                                   config_.hostname.empty() ? localHostName() : config_.hostname);
  server_->begin(context.client().tx);
  context.client().flush();
}

PhaseStatus StarttlsAcceptPhase::advance(PhaseContext& context) {
  Endpoint& client = context.client();
  StepResult result = server_->advance(client.rx, client.tx);
  if (!client.flush()) {
    return PhaseStatus::wait();  // the write failure is being reported
  }
  if (auto status = unlessDone(result, client, "the client closed before asking for STARTTLS")) {
    return *status;
  }
  if (!server_->upgraded()) {
    ConnectionFacts& facts = context.facts();
    facts.stayed_plaintext = true;
    facts.replay = server_->replay();
    facts.replay_replies = server_->replayReplies();
  }
  return PhaseStatus::goOn();
}

void BackendStarttlsPhase::start(PhaseContext& context) {
  Endpoint& backend = context.backend();
  if (connect_ != StarttlsProtocol::none) {
    dialogue_ = StarttlsClient::create(connect_, localHostName());
    to_client_ = std::make_unique<ByteQueue>(context.worker().pool());
    dialogue_->begin(backend.tx);
    backend.flush();
    stage_ = Stage::upgrade;
    return;
  }
  // A client that stayed in plaintext has its EHLO (and pending command)
  // replayed to the server, in step with the server's replies.
  const ConnectionFacts& facts = context.facts();
  skipper_ = std::make_unique<GreetingSkipper>(accept_, facts.replay_replies, facts.replay);
  stage_ = Stage::skip_greeting;
}

PhaseStatus BackendStarttlsPhase::advance(PhaseContext& context) {
  PhaseStatus status = PhaseStatus::goOn();
  while (status.kind == PhaseStatus::Kind::go_on && stage_ != Stage::done) {
    switch (stage_) {
      case Stage::skip_greeting:
        status = skipGreeting(context);
        break;
      case Stage::upgrade:
        status = upgrade(context);
        break;
      case Stage::decline:
        status = declineClientEncryption(context);
        break;
      case Stage::done:
        break;
    }
  }
  return status;
}

PhaseStatus BackendStarttlsPhase::skipGreeting(PhaseContext& context) {
  Endpoint& backend = context.backend();
  StepResult result = skipper_->advance(backend.rx, backend.tx);
  if (!backend.flush()) {
    return PhaseStatus::wait();  // the write failure is being reported
  }
  if (auto status = unlessDone(result, backend, "the server closed before its greeting")) {
    return *status;
  }
  stage_ = Stage::done;
  return PhaseStatus::goOn();
}

PhaseStatus BackendStarttlsPhase::upgrade(PhaseContext& context) {
  Endpoint& backend = context.backend();
  // Behind accept.starttls the client has had tlsgate's greeting: the
  // server's is dropped.
  ByteQueue* greeting = accept_ != StarttlsProtocol::none ? nullptr : to_client_.get();
  StepResult result = dialogue_->advance(backend.rx, backend.tx, greeting);
  if (!backend.flush()) {
    return PhaseStatus::wait();  // the write failure is being reported
  }
  if (PhaseStatus delivered = deliverToClient(context);
      delivered.kind != PhaseStatus::Kind::go_on) {
    return delivered;
  }
  if (auto status = unlessDone(result, backend, "the server closed during the STARTTLS preamble")) {
    return *status;
  }
  stage_ = connect_ == StarttlsProtocol::postgres ? Stage::decline : Stage::done;
  return PhaseStatus::goOn();
}

// psql's default sslmode=prefer opens with an SSLRequest of its own: tlsgate
// answers it with 'N', so the client goes on in plaintext to tlsgate.
PhaseStatus BackendStarttlsPhase::declineClientEncryption(PhaseContext& context) {
  Endpoint& client = context.client();
  StepResult result = declinePostgresEncryption(client.rx, *to_client_);
  if (PhaseStatus delivered = deliverToClient(context);
      delivered.kind != PhaseStatus::Kind::go_on) {
    return delivered;
  }
  // A client that leaves before its first message is the relay's business.
  if (result.status == StepStatus::need_input && !client.inputEnded()) {
    return PhaseStatus::wait();
  }
  if (result.status == StepStatus::failed) {
    return PhaseStatus::fail(result.reason);
  }
  stage_ = Stage::done;
  return PhaseStatus::goOn();
}

PhaseStatus BackendStarttlsPhase::deliverToClient(PhaseContext& context) {
  Endpoint& client = context.client();
  while (!to_client_->empty()) {
    std::span<const std::byte> bytes = to_client_->front();
    if (client.tls) {
      if (client.tls->write(bytes).status != TlsStatus::ok) {
        return PhaseStatus::fail(client.tls->failureReason());
      }
    } else {
      client.tx.append(bytes);
    }
    to_client_->consume(bytes.size());
  }
  return client.flush() ? PhaseStatus::goOn() : PhaseStatus::wait();
}

}  // namespace tlsgate
