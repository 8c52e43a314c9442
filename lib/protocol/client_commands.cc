#include "protocol/client_commands.h"

#include "protocol/starttls_server.h"

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

}  // namespace tlsgate
