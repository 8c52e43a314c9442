// What the accept-side STARTTLS dialogues share: bounded command lines, a
// bound on how many commands come before the upgrade, spotting a client
// that starts a TLS handshake at once because it expects implicit TLS on
// this port, and the steps every protocol takes alike around its own
// commands.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/dialogue_end.h"
#include "protocol/line_reader.h"
#include "protocol/starttls_server.h"
#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class ClientCommands {
 public:
  enum class Status {
    line,           // `line` holds the next command
    need_input,     // no whole line yet
    too_long,       // the line is longer than max_line
    too_many,       // more than StarttlsServer::kMaxCommands lines
    tls_handshake,  // a TLS record where a command should start
  };

  explicit ClientCommands(std::size_t max_line) : max_line_(max_line), lines_(max_line) {}

  Status next(ByteQueue& in, std::string& line);

  // Counts a command refused for lack of TLS; true once there have been
  // StarttlsServer::kMaxRefusals.
  bool refuseAndCheckLimit();

  // Why the dialogue fails for too_long, too_many or tls_handshake;
  // `upgrade` is the protocol's upgrade command (STARTTLS, STLS).
  std::string failureReason(Status status, std::string_view upgrade) const;

 private:
  std::size_t max_line_;
  LineReader lines_;
  std::size_t commands_ = 0;
  std::size_t refusals_ = 0;
};

// A server that reads the client's commands a line at a time. The limits,
// the upgrade, staying in plaintext and refusing work the same in every
// protocol, so that a fix to one (the CVE-2011-0411 guard above all) cannot
// miss another; a protocol supplies its commands and its words.
class CommandServer : public StarttlsServer {
 public:
  StepResult advance(ByteQueue& from_client, ByteQueue& to_client) final;
  bool upgraded() const final { return upgraded_; }
  // The pending command alone; smtp puts its EHLO/HELO line in front.
  std::string replay() const override;
  std::size_t replayReplies() const override { return 0; }

 protected:
  // What the protocol says where the steps are alike. Each points to a
  // string literal.
  struct Words {
    std::string_view upgrade;        // the upgrade command: STARTTLS, STLS
    std::string_view line_too_long;  // the reply to an overlong line
    std::string_view too_many;       // the reply to too many commands
    // Ends the failure reason once there have been kMaxRefusals, after
    // "the client sent 3 ".
    std::string_view refused;
  };

  CommandServer(bool require, std::string hostname, std::size_t max_line, Words words);

  // One command line. need_input: answered, wait for the next command.
  virtual StepResult onCommand(std::string line, const ByteQueue& from_client,
                               ByteQueue& to_client) = 0;

  // The upgrade command with what follows it on its line. The go-ahead
  // reply is queued only when there are no arguments and nothing pipelined.
  StepResult upgrade(std::string_view arguments, const ByteQueue& from_client, ByteQueue& to_client,
                     std::string_view arguments_reply, std::string_view go_ahead);

  // A command tlsgate does not answer: with require: false the client goes
  // on in plaintext with it, else `reply` refuses it.
  StepResult needsTls(std::string line, ByteQueue& to_client, std::string_view reply);

  // Queues `reply` and counts it against kMaxRefusals.
  StepResult refuse(ByteQueue& to_client, std::string_view reply);

  bool require() const { return require_; }
  const std::string& hostname() const { return hostname_; }

 private:
  StepResult step(ByteQueue& from_client, ByteQueue& to_client);

  bool require_;
  std::string hostname_;
  Words words_;
  ClientCommands commands_;
  std::string pending_;  // the command the backend answers first
  bool upgraded_ = false;
  bool plaintext_ = false;  // done without the upgrade
  DialogueEnd end_;
};

}  // namespace tlsgate
