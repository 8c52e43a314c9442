// The accept side of STARTTLS: tlsgate fronts a plaintext-only server and
// offers the upgrade to its clients (accept.starttls). tlsgate answers the
// dialogue before the upgrade itself; the backend is connected only after
// the client's TLS handshake, so routes can use its SNI.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "config/config.h"
#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class StarttlsServer {
 public:
  // Bounds on what a client may do before the upgrade.
  static constexpr std::size_t kMaxCommands = 32;
  static constexpr std::size_t kMaxRefusals = 3;  // commands that need TLS first

  // hostname: in the greeting and the EHLO reply. Null for a protocol the
  // accept side does not offer (none, ftp, postgres).
  static std::unique_ptr<StarttlsServer> create(const AcceptStarttls& config, std::string hostname);

  StarttlsServer() = default;
  virtual ~StarttlsServer() = default;
  StarttlsServer(const StarttlsServer&) = delete;
  StarttlsServer& operator=(const StarttlsServer&) = delete;
  StarttlsServer(StarttlsServer&&) = delete;
  StarttlsServer& operator=(StarttlsServer&&) = delete;

  // Queues the greeting.
  virtual void begin(ByteQueue& to_client) = 0;

  // Answers commands before the upgrade.
  // done + upgraded(): the client asked for the upgrade and the "go ahead"
  // is queued in to_client; from_client is empty. The TLS handshake starts
  // once the reply is written.
  // done + !upgraded() (only with require: false): the client went on in
  // plaintext with a command tlsgate does not answer; replay() holds it,
  // and from_client what the client sent after it.
  // close: the client said QUIT/LOGOUT and the goodbye is queued.
  // failed: garbage, too many commands, an overlong line, too many commands
  // that need TLS first, or bytes pipelined behind the STARTTLS command.
  // The protocol's error reply is queued first, so the client learns why
  // (except for pipelined bytes and a TLS handshake, which get no reply).
  virtual StepResult advance(ByteQueue& from_client, ByteQueue& to_client) = 0;

  virtual bool upgraded() const = 0;

  // For a client that stays in plaintext: the lines to send to the backend,
  // after its greeting has been dropped, to bring it to the state the client
  // thinks it is in, followed by the client's pending command. For smtp the
  // client's last EHLO/HELO line (whose reply must be dropped) comes first.
  // Each line ends in CRLF. GreetingSkipper sends them in step.
  virtual std::string replay() const = 0;

  // Backend replies to drop after its greeting: one per replay() line
  // before the pending command (smtp after EHLO/HELO: 1; otherwise 0).
  virtual std::size_t replayReplies() const = 0;
};

}  // namespace tlsgate
