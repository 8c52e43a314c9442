// FTP AUTH TLS (RFC 4217 section 4) for the control connection.
#pragma once

#include "protocol/smtp_reply.h"
#include "protocol/starttls_client.h"

namespace tlsgate {

// Greeting (220, forwarded), AUTH TLS, 234.
class FtpAuthTlsClient final : public ServerFirstStarttlsClient {
 private:
  enum class State { greeting, auth_reply };

  StepResult step(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) override;

  State state_ = State::greeting;
  SmtpReplyReader replies_{SmtpReplyReader::Style::ftp};
};

}  // namespace tlsgate
