#include "protocol/smtp_starttls.h"

#include <utility>

#include "protocol/ascii_text.h"

namespace tlsgate {
namespace {

// RFC 3207 section 4: the EHLO reply advertises the extension as a keyword
// line of its own; keywords are case-insensitive. The first line names the
// server, so it is skipped.
bool offersStarttls(const SmtpReply& reply) {
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    if (equalsIgnoringCase(firstWord(reply.text(i)), "STARTTLS")) {
      return true;
    }
  }
  return false;
}

}  // namespace

SmtpStarttlsClient::SmtpStarttlsClient(std::string ehlo_name) : ehlo_name_(std::move(ehlo_name)) {
  // EHLO needs a domain; a literal is what RFC 5321 asks of a host with no name.
  if (ehlo_name_.empty()) {
    ehlo_name_ = "[127.0.0.1]";
  }
}

StepResult SmtpStarttlsClient::step(ByteQueue& from_server, ByteQueue& to_server,
                                    ByteQueue* to_client) {
  while (true) {
    SmtpReply reply;
    switch (replies_.next(from_server, reply)) {
      case SmtpReplyReader::Status::need_input:
        return StepResult::needInput();
      case SmtpReplyReader::Status::failed:
        return StepResult::fail("the SMTP server sent " + replies_.error());
      case SmtpReplyReader::Status::reply:
        break;
    }
    StepResult result = onReply(reply, from_server, to_server, to_client);
    if (result.status != StepStatus::need_input) {
      return result;
    }
  }
}

StepResult SmtpStarttlsClient::onReply(const SmtpReply& reply, const ByteQueue& from_server,
                                       ByteQueue& to_server, ByteQueue* to_client) {
  switch (state_) {
    case State::greeting:
      if (reply.code != 220) {
        return StepResult::fail("the SMTP server greeted with " + reply.quoted());
      }
      if (to_client != nullptr) {
        reply.writeTo(*to_client);
      }
      appendLine(to_server, "EHLO " + ehlo_name_);
      state_ = State::ehlo_reply;
      return StepResult::needInput();
    case State::ehlo_reply:
      if (reply.code != 250) {
        return StepResult::fail("the SMTP server refused EHLO: " + reply.quoted());
      }
      if (!offersStarttls(reply)) {
        return StepResult::fail(
            "the server does not offer STARTTLS (its EHLO reply: " + reply.quoted() + ")");
      }
      appendLine(to_server, "STARTTLS");
      state_ = State::starttls_reply;
      return StepResult::needInput();
    case State::starttls_reply:
      if (reply.code != 220) {
        return StepResult::fail("the server refused STARTTLS: " + reply.quoted());
      }
      return doneIfNothingFollows(from_server, "STARTTLS reply");
  }
  return StepResult::fail("the SMTP dialogue is in an unknown state");
}

SmtpStarttlsServer::SmtpStarttlsServer(bool require, std::string hostname)
    : CommandServer(require, std::move(hostname), kMaxCommandLine,
                    {
                        .upgrade = "STARTTLS",
                        .line_too_long = "500 5.5.2 Line too long",
                        .too_many = "421 4.7.0 Too many commands before STARTTLS",
                        .refused = "commands that need TLS without asking for STARTTLS",
                    }) {}

void SmtpStarttlsServer::begin(ByteQueue& to_client) {
  appendLine(to_client, "220 " + hostname() + " ESMTP ready");
}

std::string SmtpStarttlsServer::replay() const {
  std::string pending = CommandServer::replay();
  if (pending.empty() || greeting_line_.empty()) {
    return pending;
  }
  return greeting_line_ + "\r\n" + pending;
}

StepResult SmtpStarttlsServer::onCommand(std::string line, const ByteQueue& from_client,
                                         ByteQueue& to_client) {
  if (hasControlBytes(line)) {
    appendLine(to_client, "500 5.5.2 Syntax error");
    return StepResult::fail("the client sent control characters in an SMTP command: \"" +
                            printable(line) + "\"");
  }
  const std::string_view verb = firstWord(line);
  const std::string_view argument = afterFirstWord(line);
  if (equalsIgnoringCase(verb, "EHLO") || equalsIgnoringCase(verb, "HELO")) {
    if (argument.empty()) {
      appendLine(to_client, "501 5.5.4 Syntax: " + std::string(verb) + " hostname");
      return StepResult::needInput();
    }
    if (equalsIgnoringCase(verb, "EHLO")) {
      appendLine(to_client, "250-" + hostname());
      appendLine(to_client, "250 STARTTLS");
    } else {
      appendLine(to_client, "250 " + hostname());
    }
    greeting_line_ = std::move(line);
    return StepResult::needInput();
  }
  if (equalsIgnoringCase(verb, "NOOP") || equalsIgnoringCase(verb, "RSET")) {
    appendLine(to_client, "250 2.0.0 OK");
    return StepResult::needInput();
  }
  if (equalsIgnoringCase(verb, "QUIT")) {
    appendLine(to_client, "221 2.0.0 Bye");
    return StepResult::close("the client said QUIT before STARTTLS");
  }
  if (equalsIgnoringCase(verb, "STARTTLS")) {
    return upgrade(argument, from_client, to_client,
                   "501 5.5.4 Syntax error (no parameters allowed)",
                   "220 2.0.0 Ready to start TLS");
  }
  return needsTls(std::move(line), to_client, "530 5.7.0 Must issue a STARTTLS command first");
}

}  // namespace tlsgate
