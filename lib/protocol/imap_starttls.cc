#include "protocol/imap_starttls.h"

#include <utility>

#include "protocol/ascii_text.h"

namespace tlsgate {
namespace {

constexpr std::string_view kCapabilityCode = "[CAPABILITY";

// RFC 3501 section 9: a tag is one or more ASTRING-CHARs other than "+".
bool isValidTag(std::string_view tag) {
  if (tag.empty()) {
    return false;
  }
  for (char c : tag) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      return false;
    }
    switch (c) {
      case '(':
      case ')':
      case '{':
      case '%':
      case '*':
      case '"':
      case '\\':
      case '+':
        return false;
      default:
        break;
    }
  }
  return true;
}

bool isUntagged(std::string_view line) {
  return line.starts_with("* ");
}

// The word after "* " of an untagged line.
std::string_view untaggedStatus(std::string_view line) {
  return firstWord(line.substr(2));
}

}  // namespace

ImapGreeting parseImapGreeting(std::string_view line) {
  ImapGreeting greeting;
  greeting.without_capabilities = std::string(line);
  if (!isUntagged(line)) {
    return greeting;
  }
  greeting.status = untaggedStatus(line);
  const std::size_t after_status = 2 + greeting.status.size();
  const std::string_view rest = line.substr(after_status);
  if (!rest.starts_with(" ") || !startsWithIgnoringCase(rest.substr(1), kCapabilityCode)) {
    return greeting;
  }
  const std::string_view code = rest.substr(1 + kCapabilityCode.size());
  const std::size_t close = code.find(']');
  if (close == std::string_view::npos || (close > 0 && code.front() != ' ')) {
    return greeting;  // not a CAPABILITY code after all
  }
  greeting.has_capabilities = true;
  greeting.capabilities = std::string(trimBlanks(code.substr(0, close)));
  std::string_view text = code.substr(close + 1);
  if (text.starts_with(" ")) {
    text.remove_prefix(1);
  }
  // resp-text needs some text after the code.
  greeting.without_capabilities = "* " + std::string(greeting.status) + " " +
                                  (text.empty() ? std::string("ready") : std::string(text));
  return greeting;
}

StepResult ImapStarttlsClient::step(ByteQueue& from_server, ByteQueue& to_server,
                                    ByteQueue* to_client) {
  while (true) {
    std::string line;
    switch (lines_.next(from_server, line)) {
      case LineReader::Status::need_input:
        return StepResult::needInput();
      case LineReader::Status::too_long:
        return StepResult::fail("the IMAP server sent a line longer than " +
                                std::to_string(kMaxLine) + " bytes");
      case LineReader::Status::line:
        break;
    }
    if (++response_lines_ > kMaxResponseLines) {
      return StepResult::fail("the IMAP server sent more than " +
                              std::to_string(kMaxResponseLines) + " lines in one response");
    }
    if (isUntagged(line) && equalsIgnoringCase(untaggedStatus(line), "BYE")) {
      const char* when = state_ == State::greeting ? "greeted with " : "said ";
      return StepResult::fail("the IMAP server " + std::string(when) + printable(line));
    }
    StepResult result;
    switch (state_) {
      case State::greeting:
        result = onGreeting(line, to_server, to_client);
        break;
      case State::capability:
        result = onCapabilityResponse(line, to_server);
        break;
      case State::starttls:
        result = onStarttlsResponse(line, from_server);
        break;
    }
    if (result.status != StepStatus::need_input) {
      return result;
    }
  }
}

StepResult ImapStarttlsClient::onGreeting(const std::string& line, ByteQueue& to_server,
                                          ByteQueue* to_client) {
  ImapGreeting greeting = parseImapGreeting(line);
  // A PREAUTH greeting cannot downgrade anything: tlsgate still insists on
  // the upgrade, and a server that refuses it in that state fails below.
  if (!equalsIgnoringCase(greeting.status, "OK") &&
      !equalsIgnoringCase(greeting.status, "PREAUTH")) {
    return StepResult::fail("the IMAP server greeted with " + printable(line));
  }
  // The greeting's capabilities are the pre-TLS ones (STARTTLS,
  // LOGINDISABLED); the client must ask again after the upgrade.
  if (to_client != nullptr) {
    appendLine(*to_client, greeting.without_capabilities);
  }
  if (greeting.has_capabilities && hasWordIgnoringCase(greeting.capabilities, "STARTTLS")) {
    send(to_server, "STARTTLS", State::starttls);
  } else {
    send(to_server, "CAPABILITY", State::capability);
  }
  return StepResult::needInput();
}

StepResult ImapStarttlsClient::onCapabilityResponse(const std::string& line, ByteQueue& to_server) {
  if (isUntagged(line)) {
    if (equalsIgnoringCase(untaggedStatus(line), "CAPABILITY")) {
      capability_seen_ = true;
      capabilities_ = std::string(afterFirstWord(line.substr(2)));
    }
    return StepResult::needInput();
  }
  const std::string_view status = taggedStatus(line);
  if (status.empty()) {
    return StepResult::fail("the IMAP server sent an unexpected line: " + printable(line));
  }
  if (!equalsIgnoringCase(status, "OK")) {
    return StepResult::fail("the IMAP server refused CAPABILITY: " + printable(line));
  }
  if (!capability_seen_) {
    return StepResult::fail("the server does not offer STARTTLS (it sent no CAPABILITY list)");
  }
  if (!hasWordIgnoringCase(capabilities_, "STARTTLS")) {
    return StepResult::fail(
        "the server does not offer STARTTLS (its CAPABILITY reply: * CAPABILITY " +
        printable(capabilities_) + ")");
  }
  send(to_server, "STARTTLS", State::starttls);
  return StepResult::needInput();
}

StepResult ImapStarttlsClient::onStarttlsResponse(const std::string& line,
                                                  const ByteQueue& from_server) {
  if (isUntagged(line)) {
    return StepResult::needInput();
  }
  const std::string_view status = taggedStatus(line);
  if (status.empty()) {
    return StepResult::fail("the IMAP server sent an unexpected line: " + printable(line));
  }
  if (!equalsIgnoringCase(status, "OK")) {
    return StepResult::fail("the server refused STARTTLS: " + printable(line));
  }
  return doneIfNothingFollows(from_server, "STARTTLS reply");
}

void ImapStarttlsClient::send(ByteQueue& to_server, std::string_view command, State next) {
  tag_ = "tlsgate" + std::to_string(++tag_number_);
  appendLine(to_server, tag_ + " " + std::string(command));
  state_ = next;
  response_lines_ = 0;
}

std::string_view ImapStarttlsClient::taggedStatus(std::string_view line) const {
  if (!line.starts_with(tag_) || line.substr(tag_.size(), 1) != " ") {
    return {};
  }
  return firstWord(line.substr(tag_.size() + 1));
}

ImapStarttlsServer::ImapStarttlsServer(bool require, std::string hostname)
    : CommandServer(require, std::move(hostname), kMaxCommandLine,
                    {
                        .upgrade = "STARTTLS",
                        .line_too_long = "* BYE Line too long",
                        .too_many = "* BYE Too many commands before STARTTLS",
                        .refused = "IMAP commands that were refused before STARTTLS",
                    }) {}

std::string ImapStarttlsServer::capabilities() const {
  // LOGINDISABLED (RFC 3501 section 6.2.3) tells the client not to send a
  // password in the clear, which require: true would refuse anyway.
  return require() ? "IMAP4rev1 STARTTLS LOGINDISABLED" : "IMAP4rev1 STARTTLS";
}

void ImapStarttlsServer::begin(ByteQueue& to_client) {
  appendLine(to_client, "* OK [CAPABILITY " + capabilities() + "] " + hostname() + " ready");
}

StepResult ImapStarttlsServer::onCommand(std::string line, const ByteQueue& from_client,
                                         ByteQueue& to_client) {
  if (hasControlBytes(line)) {
    appendLine(to_client, "* BYE Control characters in a command");
    return StepResult::fail("the client sent control characters in an IMAP command: \"" +
                            printable(line) + "\"");
  }
  const std::string tag(firstWord(line));
  if (!isValidTag(tag)) {
    return refuse(to_client, "* BAD Expected a tag and a command");
  }
  const std::string_view rest = afterFirstWord(line);
  const std::string_view command = firstWord(rest);
  const std::string_view arguments = afterFirstWord(rest);
  if (command.empty()) {
    return refuse(to_client, tag + " BAD Missing command");
  }
  if (equalsIgnoringCase(command, "CAPABILITY")) {
    appendLine(to_client, "* CAPABILITY " + capabilities());
    appendLine(to_client, tag + " OK CAPABILITY completed");
    return StepResult::needInput();
  }
  if (equalsIgnoringCase(command, "NOOP")) {
    appendLine(to_client, tag + " OK NOOP completed");
    return StepResult::needInput();
  }
  if (equalsIgnoringCase(command, "LOGOUT")) {
    appendLine(to_client, "* BYE " + hostname() + " logging out");
    appendLine(to_client, tag + " OK LOGOUT completed");
    return StepResult::close("the client said LOGOUT before STARTTLS");
  }
  if (equalsIgnoringCase(command, "STARTTLS")) {
    return upgrade(arguments, from_client, to_client, tag + " BAD STARTTLS takes no arguments",
                   tag + " OK Begin TLS negotiation now");
  }
  return needsTls(std::move(line), to_client,
                  tag + " NO [PRIVACYREQUIRED] STARTTLS is required first");
}

}  // namespace tlsgate
