// SMTP STARTTLS (RFC 3207) on both sides.
#pragma once

#include <cstddef>
#include <string>

#include "protocol/client_commands.h"
#include "protocol/dialogue_end.h"
#include "protocol/smtp_reply.h"
#include "protocol/starttls_client.h"

namespace tlsgate {

// Greeting (220, forwarded), EHLO, a 250 reply that lists STARTTLS,
// STARTTLS, 220.
class SmtpStarttlsClient final : public ServerFirstStarttlsClient {
 public:
  // An empty ehlo_name says EHLO [127.0.0.1], an address literal.
  explicit SmtpStarttlsClient(std::string ehlo_name);

 private:
  enum class State { greeting, ehlo_reply, starttls_reply };

  StepResult step(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) override;
  StepResult onReply(const SmtpReply& reply, const ByteQueue& from_server, ByteQueue& to_server,
                     ByteQueue* to_client);

  std::string ehlo_name_;
  State state_ = State::greeting;
  SmtpReplyReader replies_;
  DialogueEnd end_;
};

// Greets, answers EHLO/HELO/NOOP/RSET/QUIT, and STARTTLS with 220.
class SmtpStarttlsServer final : public CommandServer {
 public:
  // RFC 5321 section 4.5.3.1.6: a text line is at most 1000 octets.
  static constexpr std::size_t kMaxCommandLine = 1000;

  SmtpStarttlsServer(bool require, std::string hostname);

  void begin(ByteQueue& to_client) override;
  std::string replay() const override;
  std::size_t replayReplies() const override { return greeting_line_.empty() ? 0 : 1; }

 private:
  StepResult onCommand(std::string line, const ByteQueue& from_client,
                       ByteQueue& to_client) override;

  std::string greeting_line_;  // the client's last EHLO or HELO
};

}  // namespace tlsgate
