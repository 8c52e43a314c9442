// For accept.starttls with a client that stayed in plaintext: the backend is
// connected only then, and greets as if the client were new. The client has
// already seen tlsgate's greeting, so the backend's is read and dropped, the
// client's EHLO is sent again and its reply dropped, and then the client's
// pending command goes through.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "protocol/dialogue_end.h"
#include "protocol/line_reader.h"
#include "protocol/smtp_reply.h"
#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class GreetingSkipper {
 public:
  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxResponseLines = 64;

  // Drops the greeting (smtp and ftp 220, imap "* OK" or "* PREAUTH", pop3
  // "+OK") and then `replies_after_greeting` whole replies: a multi-line
  // smtp reply, an imap response up to its tagged line, one pop3 line.
  // Protocols with no greeting (none, postgres) have nothing to drop.
  GreetingSkipper(StarttlsProtocol protocol, std::size_t replies_after_greeting);

  // Also sends `replay` (StarttlsServer::replay(), CRLF-ended lines) in
  // step with the replies: the greeting is awaited before the first line,
  // and each reply to drop before the next line, as a client that waits
  // for every reply would. Servers that refuse early talkers (Exim's
  // synchronization check, Postfix's postscreen) would drop a client that
  // sent it all at once.
  GreetingSkipper(StarttlsProtocol protocol, std::size_t replies_after_greeting,
                  std::string_view replay);

  // done: everything to drop has been dropped (and the whole replay queued
  // in to_server); what is left in from_server is the backend's answer to
  // the client's pending command and goes to the client.
  StepResult advance(ByteQueue& from_server, ByteQueue& to_server);

  // The same without sending: for a caller that times the replay itself.
  StepResult advance(ByteQueue& from_server);

 private:
  enum class Read { unit, need_input, failed };

  StepResult step(ByteQueue& from_server, ByteQueue* to_server);
  // Reads the greeting or the next reply; failed sets `reason`.
  Read readUnit(ByteQueue& from_server, std::string& reason);
  Read readSmtpUnit(ByteQueue& from_server, std::string& reason);
  Read readImapUnit(ByteQueue& from_server, std::string& reason);
  Read readPop3Unit(ByteQueue& from_server, std::string& reason);
  // Sends the replay lines that may go now.
  void sendReplay(ByteQueue* to_server);

  StarttlsProtocol protocol_;
  bool greeted_ = false;
  std::size_t replies_left_;
  std::vector<std::string> replay_;  // lines still to send, each with its CRLF
  std::size_t replay_sent_ = 0;
  SmtpReplyReader replies_;
  LineReader lines_{kMaxLine};
  std::size_t response_lines_ = 0;
  DialogueEnd end_;
};

}  // namespace tlsgate
