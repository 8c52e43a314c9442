// IMAP STARTTLS (RFC 3501 section 6.2.1, RFC 2595) on both sides.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/client_commands.h"
#include "protocol/dialogue_end.h"
#include "protocol/line_reader.h"
#include "protocol/starttls_client.h"

namespace tlsgate {

// Greeting (* OK, forwarded without its CAPABILITY code), CAPABILITY when
// the greeting does not list STARTTLS, then STARTTLS and its tagged OK.
class ImapStarttlsClient final : public ServerFirstStarttlsClient {
 public:
  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxResponseLines = 64;

 private:
  enum class State { greeting, capability, starttls };

  StepResult step(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) override;
  StepResult onGreeting(const std::string& line, ByteQueue& to_server, ByteQueue* to_client);
  StepResult onCapabilityResponse(const std::string& line, ByteQueue& to_server);
  StepResult onStarttlsResponse(const std::string& line, const ByteQueue& from_server);
  void send(ByteQueue& to_server, std::string_view command, State next);
  // The status word of a tagged line of ours ("OK", "NO"), or empty when
  // the line is not tagged with the current tag.
  std::string_view taggedStatus(std::string_view line) const;

  State state_ = State::greeting;
  LineReader lines_{kMaxLine};
  std::size_t response_lines_ = 0;
  unsigned tag_number_ = 0;
  std::string tag_;
  bool capability_seen_ = false;
  std::string capabilities_;
  DialogueEnd end_;
};

// Greets with a CAPABILITY code, answers CAPABILITY/NOOP/LOGOUT, and
// STARTTLS with OK.
class ImapStarttlsServer final : public CommandServer {
 public:
  // RFC 7162 section 4 asks servers to take command lines of 8192 octets.
  static constexpr std::size_t kMaxCommandLine = 8192;

  ImapStarttlsServer(bool require, std::string hostname);

  void begin(ByteQueue& to_client) override;

 private:
  StepResult onCommand(std::string line, const ByteQueue& from_client,
                       ByteQueue& to_client) override;
  std::string capabilities() const;
};

// An IMAP greeting line taken apart: its status, the line without a
// [CAPABILITY ...] response code, and that code's capability list.
struct ImapGreeting {
  std::string_view status;  // "OK", "PREAUTH", "BYE"...: points into the line; empty if tagged
  std::string without_capabilities;
  bool has_capabilities = false;
  std::string capabilities;
};
ImapGreeting parseImapGreeting(std::string_view line);

}  // namespace tlsgate
