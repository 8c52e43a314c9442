#include "protocol/pop3_stls.h"

#include <utility>

#include "protocol/ascii_text.h"

namespace tlsgate {

bool isPop3Status(std::string_view line, std::string_view status) {
  return startsWithIgnoringCase(line, status) &&
         (line.size() == status.size() || line[status.size()] == ' ');
}

StepResult Pop3StlsClient::step(ByteQueue& from_server, ByteQueue& to_server,
                                ByteQueue* to_client) {
  while (true) {
    std::string line;
    switch (lines_.next(from_server, line)) {
      case LineReader::Status::need_input:
        return StepResult::needInput();
      case LineReader::Status::too_long:
        return StepResult::fail("the POP3 server sent a line longer than " +
                                std::to_string(kMaxLine) + " bytes");
      case LineReader::Status::line:
        break;
    }
    StepResult result = onLine(line, from_server, to_server, to_client);
    if (result.status != StepStatus::need_input) {
      return result;
    }
  }
}

StepResult Pop3StlsClient::onLine(const std::string& line, const ByteQueue& from_server,
                                  ByteQueue& to_server, ByteQueue* to_client) {
  switch (state_) {
    case State::greeting:
      if (!isPop3Status(line, "+OK")) {
        return StepResult::fail("the POP3 server greeted with " + printable(line));
      }
      if (to_client != nullptr) {
        appendLine(*to_client, line);
      }
      appendLine(to_server, "CAPA");
      state_ = State::capa_status;
      return StepResult::needInput();
    case State::capa_status:
      if (isPop3Status(line, "+OK")) {
        state_ = State::capa_list;
        return StepResult::needInput();
      }
      if (!isPop3Status(line, "-ERR")) {
        return StepResult::fail("the POP3 server answered CAPA with " + printable(line));
      }
      // RFC 2449 came after RFC 1939; an older server may still know STLS.
      appendLine(to_server, "STLS");
      state_ = State::stls;
      return StepResult::needInput();
    case State::capa_list:
      return onCapaLine(line, to_server);
    case State::stls:
      if (isPop3Status(line, "+OK")) {
        return doneIfNothingFollows(from_server, "STLS reply");
      }
      return StepResult::fail("the server refused STLS: " + printable(line));
  }
  return StepResult::fail("the POP3 dialogue is in an unknown state");
}

StepResult Pop3StlsClient::onCapaLine(const std::string& line, ByteQueue& to_server) {
  if (line == ".") {
    if (!stls_listed_) {
      return StepResult::fail(
          "the server does not offer STLS (its CAPA list: " + printable(capa_list_) + ")");
    }
    appendLine(to_server, "STLS");
    state_ = State::stls;
    return StepResult::needInput();
  }
  if (++capa_lines_ > kMaxCapaLines) {
    return StepResult::fail("the POP3 server listed more than " + std::to_string(kMaxCapaLines) +
                            " capabilities");
  }
  // RFC 1939 section 3: a line of a multi-line reply that starts with "."
  // has another "." put in front of it.
  const std::string_view capability =
      line.starts_with('.') ? std::string_view(line).substr(1) : line;
  if (equalsIgnoringCase(firstWord(capability), "STLS")) {
    stls_listed_ = true;
  }
  if (!capa_list_.empty()) {
    capa_list_ += " / ";
  }
  capa_list_ += capability;
  return StepResult::needInput();
}

Pop3StlsServer::Pop3StlsServer(bool require, std::string hostname)
    : CommandServer(require, std::move(hostname), kMaxCommandLine,
                    {
                        .upgrade = "STLS",
                        .line_too_long = "-ERR Line too long",
                        .too_many = "-ERR Too many commands before STLS",
                        .refused = "POP3 commands that need TLS without asking for STLS",
                    }) {}

void Pop3StlsServer::begin(ByteQueue& to_client) {
  appendLine(to_client, "+OK " + hostname() + " ready");
}

StepResult Pop3StlsServer::onCommand(std::string line, const ByteQueue& from_client,
                                     ByteQueue& to_client) {
  if (hasControlBytes(line)) {
    appendLine(to_client, "-ERR Control characters in a command");
    return StepResult::fail("the client sent control characters in a POP3 command: \"" +
                            printable(line) + "\"");
  }
  const std::string_view command = firstWord(line);
  const std::string_view arguments = afterFirstWord(line);
  if (equalsIgnoringCase(command, "CAPA")) {
    appendLine(to_client, "+OK Capability list follows");
    appendLine(to_client, "STLS");
    appendLine(to_client, ".");
    return StepResult::needInput();
  }
  if (equalsIgnoringCase(command, "QUIT")) {
    appendLine(to_client, "+OK Bye");
    return StepResult::close("the client said QUIT before STLS");
  }
  if (equalsIgnoringCase(command, "STLS")) {
    return upgrade(arguments, from_client, to_client, "-ERR STLS takes no arguments",
                   "+OK Begin TLS negotiation");
  }
  return needsTls(std::move(line), to_client, "-ERR Command not permitted until STLS");
}

}  // namespace tlsgate
