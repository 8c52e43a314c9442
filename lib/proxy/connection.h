// One proxied connection: an accepted client endpoint joined to a backend
// endpoint. It runs its phases in order (phase.h), then relays (relay.h).
//
// The connection owns the endpoints' sockets through them, and one timer.
// It deletes itself when the last of its handles has closed. close() may
// be called any number of times.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "metrics/listener_metrics.h"
#include "metrics/snapshots.h"
#include "proxy/endpoint.h"
#include "proxy/listener.h"
#include "proxy/phase.h"
#include "proxy/relay.h"

namespace tlsgate {

class Worker;

class Connection final : private EndpointEvents, private PhaseContext {
 public:
  // Serves `fd`, a socket just accepted for `listener`.
  static void accept(Worker& worker, std::shared_ptr<const Listener> listener,
                     ListenerMetrics& metrics, int fd);

  // Ends the connection now as a failure, logging `reason` and counting a
  // timeout of `kind` (used when a drain times out).
  void abort(const std::string& reason, TimeoutKind kind);
  // During a drain: closes the connection, both ways and gracefully, when
  // it has moved nothing for `idle_ms` and holds nothing to deliver.
  void closeIfIdle(uint64_t now_ms, uint64_t idle_ms);
  // The live state for /connections (tls::status / tls::connection fields).
  ConnectionSnapshot snapshot() const;

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) = delete;
  Connection& operator=(Connection&&) = delete;

  // The worker's intrusive list.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  Connection(Worker& worker, std::shared_ptr<const Listener> listener, ListenerMetrics& metrics);

  void start(int fd);
  // Moves the connection forward after any event. Safe to call at any time.
  void run();
  // Makes the next phase that applies current; false once only the relay is left.
  bool enterNextPhase();
  bool handle(PhaseStatus status);
  void relay();
  void updateReading();
  void armIdleTimer();
  void scheduleHandOver();
  void handOverIfDue();
  bool inRelay() const { return phase_id_ == PhaseId::proxy; }

  void failTimeout(TimeoutKind kind, std::string reason);
  void drop(std::string reason);
  void fail(std::string reason);
  void failIo(Endpoint& endpoint, Operation operation, int status);
  bool clientLeftUnused(Endpoint& endpoint, int status);
  void close();
  void logClose();
  bool exchangedNothing() const { return relay_.bytesUp() == 0 && relay_.bytesDown() == 0; }

  // EndpointEvents
  void onEndpointInput(Endpoint& endpoint) override;
  void onEndpointOutput(Endpoint& endpoint) override;
  void onEndpointConnected(Endpoint& endpoint) override;
  void onEndpointError(Endpoint& endpoint, Operation operation, int status) override;
  void onSocketOpened() override;
  void onSocketClosed() override;

  // PhaseContext
  Endpoint& client() override { return client_; }
  Endpoint& backend() override { return backend_; }
  const Listener& listener() const override { return *listener_; }
  Worker& worker() override { return worker_; }
  ListenerMetrics& metrics() override { return metrics_; }
  ConnectionFacts& facts() override { return facts_; }
  const std::string& label() const override { return label_; }
  void progress() override { run(); }
  void armTimer(uint64_t milliseconds) override;

  static void onTimer(uv_timer_t* timer);
  static void onTimerClosed(uv_handle_t* handle);

  Worker& worker_;
  std::shared_ptr<const Listener> listener_;
  ListenerMetrics& metrics_;
  uint64_t id_;
  std::string label_;
  Endpoint client_;
  Endpoint backend_;
  Relay relay_;
  ConnectionFacts facts_;
  std::unique_ptr<Phase> phase_;  // null once relaying
  PhaseId phase_id_ = PhaseId::proxy_protocol;
  PhaseBudget budget_ = PhaseBudget::none;  // the one the timer counts against now
  uv_timer_t timer_{};
  int open_handles_ = 0;  // the timer and every socket not yet closed
  bool phases_started_ = false;
  bool running_ = false;  // run() is on the stack
  bool run_again_ = false;
  bool closing_ = false;
  bool failed_ = false;
  bool dropped_ = false;
  bool half_closed_ = false;  // the close timeout applies
  uint64_t started_ms_ = 0;
  uint64_t last_activity_ms_ = 0;
  // When the client side's TLS session is to move to the record layer; 0:
  // it will not (any more).
  uint64_t hand_over_at_ms_ = 0;
  std::string reason_;
  std::string close_note_;  // an ordinary end worth a word in the log line
};

}  // namespace tlsgate
