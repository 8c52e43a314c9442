// What the accept-side STARTTLS dialogues share: bounded command lines, a
// bound on how many commands come before the upgrade, and spotting a
// client that starts a TLS handshake at once because it expects implicit
// TLS on this port.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/line_reader.h"
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

}  // namespace tlsgate
