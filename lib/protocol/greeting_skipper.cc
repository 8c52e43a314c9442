#include "protocol/greeting_skipper.h"

#include <utility>

#include "protocol/ascii_text.h"
#include "protocol/imap_starttls.h"
#include "protocol/pop3_stls.h"

namespace tlsgate {
namespace {

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t newline = text.find('\n', start);
    const std::size_t end = newline == std::string_view::npos ? text.size() : newline + 1;
    lines.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

bool hasGreeting(StarttlsProtocol protocol) {
  switch (protocol) {
    case StarttlsProtocol::smtp:
    case StarttlsProtocol::imap:
    case StarttlsProtocol::pop3:
    case StarttlsProtocol::ftp:
      return true;
    case StarttlsProtocol::postgres:
    case StarttlsProtocol::none:
      break;
  }
  return false;
}

}  // namespace

GreetingSkipper::GreetingSkipper(StarttlsProtocol protocol, std::size_t replies_after_greeting)
    : GreetingSkipper(protocol, replies_after_greeting, std::string_view()) {}

GreetingSkipper::GreetingSkipper(StarttlsProtocol protocol, std::size_t replies_after_greeting,
                                 std::string_view replay)
    : protocol_(protocol),
      replies_left_(replies_after_greeting),
      replay_(splitLines(replay)),
      replies_(protocol == StarttlsProtocol::ftp ? SmtpReplyReader::Style::ftp
                                                 : SmtpReplyReader::Style::smtp) {}

StepResult GreetingSkipper::advance(ByteQueue& from_server, ByteQueue& to_server) {
  if (const StepResult* ended = end_.result()) {
    return *ended;
  }
  return end_.keep(step(from_server, &to_server));
}

StepResult GreetingSkipper::advance(ByteQueue& from_server) {
  if (const StepResult* ended = end_.result()) {
    return *ended;
  }
  return end_.keep(step(from_server, nullptr));
}

StepResult GreetingSkipper::step(ByteQueue& from_server, ByteQueue* to_server) {
  if (!hasGreeting(protocol_)) {
    replies_left_ = 0;
    sendReplay(to_server);
    return StepResult::done();
  }
  while (!greeted_ || replies_left_ > 0) {
    std::string reason;
    switch (readUnit(from_server, reason)) {
      case Read::need_input:
        return StepResult::needInput();
      case Read::failed:
        return StepResult::fail(std::move(reason));
      case Read::unit:
        break;
    }
    if (!greeted_) {
      greeted_ = true;
    } else {
      --replies_left_;
    }
    sendReplay(to_server);
  }
  return StepResult::done();
}

void GreetingSkipper::sendReplay(ByteQueue* to_server) {
  if (to_server == nullptr) {
    return;
  }
  // One line for each reply still to drop; once none is left, the rest
  // (the client's pending command) goes too.
  while (replay_sent_ < replay_.size()) {
    appendText(*to_server, replay_[replay_sent_++]);
    if (replies_left_ > 0) {
      break;
    }
  }
}

GreetingSkipper::Read GreetingSkipper::readUnit(ByteQueue& from_server, std::string& reason) {
  switch (protocol_) {
    case StarttlsProtocol::smtp:
    case StarttlsProtocol::ftp:
      return readSmtpUnit(from_server, reason);
    case StarttlsProtocol::imap:
      return readImapUnit(from_server, reason);
    case StarttlsProtocol::pop3:
      return readPop3Unit(from_server, reason);
    case StarttlsProtocol::postgres:
    case StarttlsProtocol::none:
      break;
  }
  return Read::unit;
}

GreetingSkipper::Read GreetingSkipper::readSmtpUnit(ByteQueue& from_server, std::string& reason) {
  SmtpReply reply;
  switch (replies_.next(from_server, reply)) {
    case SmtpReplyReader::Status::need_input:
      return Read::need_input;
    case SmtpReplyReader::Status::failed:
      reason = "the server sent " + replies_.error();
      return Read::failed;
    case SmtpReplyReader::Status::reply:
      break;
  }
  if (!greeted_ && reply.code != 220) {
    reason = "the server greeted with " + reply.quoted();
    return Read::failed;
  }
  if (greeted_ && reply.code >= 400) {
    reason = "the server refused the client's replayed command: " + reply.quoted();
    return Read::failed;
  }
  return Read::unit;
}

GreetingSkipper::Read GreetingSkipper::readImapUnit(ByteQueue& from_server, std::string& reason) {
  std::string line;
  while (true) {
    switch (lines_.next(from_server, line)) {
      case LineReader::Status::need_input:
        return Read::need_input;
      case LineReader::Status::too_long:
        reason = "the server sent a line longer than " + std::to_string(kMaxLine) + " bytes";
        return Read::failed;
      case LineReader::Status::line:
        break;
    }
    if (!greeted_) {
      const ImapGreeting greeting = parseImapGreeting(line);
      if (!equalsIgnoringCase(greeting.status, "OK") &&
          !equalsIgnoringCase(greeting.status, "PREAUTH")) {
        reason = "the server greeted with " + printable(line);
        return Read::failed;
      }
      return Read::unit;
    }
    // A response is untagged lines up to the tagged one that completes it.
    if (!line.starts_with("* ")) {
      response_lines_ = 0;
      return Read::unit;
    }
    if (++response_lines_ > kMaxResponseLines) {
      reason = "the server sent more than " + std::to_string(kMaxResponseLines) +
               " lines in one response";
      return Read::failed;
    }
  }
}

GreetingSkipper::Read GreetingSkipper::readPop3Unit(ByteQueue& from_server, std::string& reason) {
  std::string line;
  switch (lines_.next(from_server, line)) {
    case LineReader::Status::need_input:
      return Read::need_input;
    case LineReader::Status::too_long:
      reason = "the server sent a line longer than " + std::to_string(kMaxLine) + " bytes";
      return Read::failed;
    case LineReader::Status::line:
      break;
  }
  if (!isPop3Status(line, "+OK")) {
    reason = greeted_ ? "the server refused the client's replayed command: " + printable(line)
                      : "the server greeted with " + printable(line);
    return Read::failed;
  }
  return Read::unit;
}

}  // namespace tlsgate
