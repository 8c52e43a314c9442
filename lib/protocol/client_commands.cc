#include "protocol/client_commands.h"

#include <utility>

#include "protocol/ascii_text.h"

namespace tlsgate {
namespace {

// The first byte of a TLS handshake record; no command starts with it.
constexpr std::byte kTlsHandshakeRecord{0x16};

}  // namespace

ClientCommands::Status ClientCommands::next(ByteQueue& in, std::string& line) {
  if (lines_.pending() == 0 && !in.empty() && in.front()[0] == kTlsHandshakeRecord) {
    return Status::tls_handshake;
  }
  switch (lines_.next(in, line)) {
    case LineReader::Status::need_input:
      return Status::need_input;
    case LineReader::Status::too_long:
      return Status::too_long;
    case LineReader::Status::line:
      break;
  }
  if (++commands_ > StarttlsServer::kMaxCommands) {
    return Status::too_many;
  }
  return Status::line;
}

std::string ClientCommands::failureReason(Status status, std::string_view upgrade) const {
  const std::string before = " before " + std::string(upgrade);
  switch (status) {
    case Status::too_long:
      return "the client sent a command line longer than " + std::to_string(max_line_) + " bytes" +
             before;
    case Status::too_many:
      return "the client sent more than " + std::to_string(StarttlsServer::kMaxCommands) +
             " commands" + before;
    case Status::tls_handshake:
      return "the client started a TLS handshake without " + std::string(upgrade) +
             " (it may expect implicit TLS, which this listener does not offer)";
    case Status::line:
    case Status::need_input:
      break;
  }
  return "the client's commands" + before;
}

bool ClientCommands::refuseAndCheckLimit() {
  return ++refusals_ >= StarttlsServer::kMaxRefusals;
}

CommandServer::CommandServer(bool require, std::string hostname, std::size_t max_line, Words words)
    : require_(require), hostname_(std::move(hostname)), words_(words), commands_(max_line) {}

StepResult CommandServer::advance(ByteQueue& from_client, ByteQueue& to_client) {
  if (const StepResult* ended = end_.result()) {
    return *ended;
  }
  return end_.keep(step(from_client, to_client));
}

std::string CommandServer::replay() const {
  return plaintext_ ? pending_ + "\r\n" : std::string();
}

StepResult CommandServer::step(ByteQueue& from_client, ByteQueue& to_client) {
  while (true) {
    std::string line;
    const ClientCommands::Status status = commands_.next(from_client, line);
    switch (status) {
      case ClientCommands::Status::need_input:
        return StepResult::needInput();
      case ClientCommands::Status::too_long:
        appendLine(to_client, words_.line_too_long);
        return StepResult::fail(commands_.failureReason(status, words_.upgrade));
      case ClientCommands::Status::too_many:
        appendLine(to_client, words_.too_many);
        return StepResult::fail(commands_.failureReason(status, words_.upgrade));
      case ClientCommands::Status::tls_handshake:
        return StepResult::fail(commands_.failureReason(status, words_.upgrade));
      case ClientCommands::Status::line:
        break;
    }
    StepResult result = onCommand(std::move(line), from_client, to_client);
    if (result.status != StepStatus::need_input) {
      return result;
    }
  }
}

StepResult CommandServer::upgrade(std::string_view arguments, const ByteQueue& from_client,
                                  ByteQueue& to_client, std::string_view arguments_reply,
                                  std::string_view go_ahead) {
  if (!arguments.empty()) {
    appendLine(to_client, arguments_reply);
    return StepResult::needInput();
  }
  // What follows the upgrade command in the same read would be taken as
  // sent inside TLS by a careless server (CVE-2011-0411); it gets no "go
  // ahead".
  if (!from_client.empty()) {
    return StepResult::fail("the client sent data after " + std::string(words_.upgrade) +
                            " before the handshake (possible command injection)");
  }
  appendLine(to_client, go_ahead);
  upgraded_ = true;
  return StepResult::done();
}

StepResult CommandServer::needsTls(std::string line, ByteQueue& to_client, std::string_view reply) {
  if (!require_) {
    pending_ = std::move(line);
    plaintext_ = true;
    return StepResult::done();
  }
  return refuse(to_client, reply);
}

StepResult CommandServer::refuse(ByteQueue& to_client, std::string_view reply) {
  appendLine(to_client, reply);
  if (commands_.refuseAndCheckLimit()) {
    return StepResult::fail("the client sent " + std::to_string(kMaxRefusals) + " " +
                            std::string(words_.refused));
  }
  return StepResult::needInput();
}

}  // namespace tlsgate
