// A connection runs as a list of phases over its two endpoints, in this
// order, each skipped when the listener does not ask for it:
//
//   proxy_protocol -> starttls -> handshake -> route -> connect (via) ->
//   backend_proxy_protocol -> backend_starttls -> backend_handshake -> proxy
//
// A phase has one job, a timeout it counts against and a failure reason.
// After every event the connection calls the current phase's advance(),
// which says go on (the next phase starts at once), wait, close (an
// ordinary end) or fail. The names are those of the `phase=` field of the
// connection log line.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "metrics/listener_metrics.h"
#include "protocol/step_result.h"

struct uv_loop_s;

namespace tlsgate {

class Endpoint;
class Worker;
struct Listener;
struct BackendSet;

enum class PhaseId {
  proxy_protocol,          // read a PROXY v1/v2 header from the load balancer
  starttls,                // answer the client's plaintext preamble and its STARTTLS
  handshake,               // TLS accept
  route,                   // pick the connect side by SNI and ALPN
  connect,                 // reach a backend (through the via proxy, if any)
  backend_proxy_protocol,  // send a PROXY header
  backend_starttls,        // talk the server's preamble until it upgrades
  backend_handshake,       // TLS connect
  proxy,                   // relay
};

const char* phaseName(PhaseId phase);

// Which budget a phase spends: timeouts.handshake, timeouts.connect, or the
// idle timeout for the relay.
enum class PhaseBudget { handshake, connect, idle, none };

struct PhaseStatus {
  // drop: tlsgate cannot serve the connection at all (out of descriptors);
  // counted and logged in summary, like a connection over max_connections.
  enum class Kind { go_on, wait, close, fail, drop };
  Kind kind = Kind::wait;
  std::string reason;  // fail: the log line's reason; close: an optional note

  static PhaseStatus goOn() { return {Kind::go_on, {}}; }
  static PhaseStatus wait() { return {Kind::wait, {}}; }
  static PhaseStatus close(std::string note = {}) { return {Kind::close, std::move(note)}; }
  static PhaseStatus fail(std::string why) { return {Kind::fail, std::move(why)}; }
  static PhaseStatus drop(std::string why) { return {Kind::drop, std::move(why)}; }
};

struct ProxiedAddresses {
  sockaddr_storage source{};       // the original client
  sockaddr_storage destination{};  // the address it connected to
};

// What phases learn about a connection and pass on to later ones.
struct ConnectionFacts {
  std::string client;  // the client's address (the original one, with PROXY)
  // The addresses a load balancer's PROXY header gave, for a header sent
  // on; null: those of the client's socket. Kept apart so connections
  // without PROXY carry none of it.
  std::unique_ptr<ProxiedAddresses> proxied;
  std::string sni;   // asked for by the client (TLS accept or ClientHello preread)
  std::string alpn;  // negotiated on the accept side (or the client's first offer)
  const BackendSet* backends = nullptr;  // the chosen connect side
  int target = -1;                       // index into backends->targets, once connected
  std::string backend;                   // the backend being tried or used, for logs
  // accept.starttls with require: false, and the client stayed in
  // plaintext: no TLS accept; the backend first gets `replay`, and
  // `replay_replies` of its replies are dropped.
  bool stayed_plaintext = false;
  std::string replay;
  std::size_t replay_replies = 0;
};

// The connection as its phases see it.
class PhaseContext {
 public:
  virtual Endpoint& client() = 0;
  virtual Endpoint& backend() = 0;
  virtual const Listener& listener() const = 0;
  virtual Worker& worker() = 0;
  virtual ListenerMetrics& metrics() = 0;
  virtual ConnectionFacts& facts() = 0;
  virtual const std::string& label() const = 0;
  // Runs the current phase's advance() again, for a phase whose own
  // callback (a name lookup) has news; called from inside advance(), it
  // makes the connection take one more turn once advance() returns.
  virtual void progress() = 0;
  // (Re)starts the connection's timer for the current phase.
  virtual void armTimer(uint64_t milliseconds) = 0;

 protected:
  ~PhaseContext() = default;
  PhaseContext() = default;
  PhaseContext(const PhaseContext&) = default;
  PhaseContext& operator=(const PhaseContext&) = default;
  PhaseContext(PhaseContext&&) = default;
  PhaseContext& operator=(PhaseContext&&) = default;
};

class Phase {
 public:
  Phase() = default;
  virtual ~Phase() = default;
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;
  Phase(Phase&&) = delete;
  Phase& operator=(Phase&&) = delete;
  virtual PhaseId id() const = 0;
  virtual PhaseBudget budget() const = 0;
  // Called once when the phase becomes current, then advance().
  virtual void start(PhaseContext& context) { (void)context; }
  virtual PhaseStatus advance(PhaseContext& context) = 0;
  // The phase's timer fired. The default fails with the budget's reason;
  // connect tries the next backend instead.
  virtual PhaseStatus onTimeout(PhaseContext& context);
  // Connecting the backend endpoint failed with a UV error.
  virtual PhaseStatus onConnectFailed(PhaseContext& context, int status);
  // The phase's own failure metrics (a failed handshake by reason).
  virtual void countFailure(PhaseContext& context, const std::string& reason) {
    (void)context;
    (void)reason;
  }
};

// How a step of a sans-IO dialogue answers for the phase that drives it,
// unless the dialogue is done (nullopt: the caller goes on). need_input
// waits, or fails with `ended` once `peer` has sent its FIN; close and
// failed carry the step's reason.
std::optional<PhaseStatus> unlessDone(const StepResult& step, const Endpoint& peer,
                                      const char* ended);

}  // namespace tlsgate
