#include "protocol/postgres_ssl_request.h"

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/ascii_text.h"

namespace tlsgate {
namespace {

std::array<std::byte, kPostgresRequestSize> requestBytes(uint32_t code) {
  const uint32_t length = kPostgresRequestSize;
  std::array<std::byte, kPostgresRequestSize> bytes{};
  for (int i = 0; i < 4; ++i) {
    bytes[i] = static_cast<std::byte>(length >> (24 - 8 * i));
    bytes[4 + i] = static_cast<std::byte>(code >> (24 - 8 * i));
  }
  return bytes;
}

uint32_t bigEndian32(const std::byte* bytes) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value = (value << 8) | std::to_integer<uint32_t>(bytes[i]);
  }
  return value;
}

// The 'M' (message) field of an ErrorResponse body: pairs of a field type
// byte and a NUL-terminated string, ended by a zero byte. Empty if absent.
std::string errorMessage(std::string_view fields) {
  while (!fields.empty() && fields.front() != '\0') {
    const char type = fields.front();
    fields.remove_prefix(1);
    const std::size_t end = fields.find('\0');
    if (end == std::string_view::npos) {
      break;
    }
    if (type == 'M') {
      return std::string(fields.substr(0, end));
    }
    fields.remove_prefix(end + 1);
  }
  return {};
}

// Whether `prefix` (shorter than a request) could be the start of one of
// the two requests a client may open with.
bool couldBeEncryptionRequest(std::span<const std::byte> prefix) {
  for (uint32_t code : {kPostgresSslRequestCode, kPostgresGssEncRequestCode}) {
    const auto request = requestBytes(code);
    if (std::equal(prefix.begin(), prefix.end(), request.begin())) {
      return true;
    }
  }
  return false;
}

}  // namespace

void PostgresSslClient::begin(ByteQueue& to_server) {
  to_server.append(requestBytes(kPostgresSslRequestCode));
}

StepResult PostgresSslClient::advance(ByteQueue& from_server, ByteQueue& /*to_server*/,
                                      ByteQueue* /*to_client*/) {
  if (const StepResult* ended = end_.result()) {
    return *ended;
  }
  return end_.keep(step(from_server));
}

StepResult PostgresSslClient::step(ByteQueue& from_server) {
  if (from_server.empty()) {
    return StepResult::needInput();
  }
  const auto answer = std::to_integer<unsigned char>(from_server.front()[0]);
  switch (answer) {
    case 'S':
      from_server.consume(1);
      return doneIfNothingFollows(from_server, "answer 'S' to the SSLRequest");
    case 'N':
      return StepResult::fail(
          "the server does not accept SSL (answered N to SSLRequest); check ssl = on in "
          "postgresql.conf");
    case 'E':
      return onErrorResponse(from_server);
    default:
      return StepResult::fail("the server answered the SSLRequest with " +
                              printable(std::string(1, static_cast<char>(answer))) +
                              ", not S or N (is it a PostgreSQL server?)");
  }
}

StepResult PostgresSslClient::onErrorResponse(ByteQueue& from_server) {
  std::array<std::byte, 5> header{};
  if (from_server.peek(header) < header.size()) {
    return StepResult::needInput();
  }
  // The length counts itself but not the type byte.
  const uint32_t length = bigEndian32(header.data() + 1);
  if (length < 5 || length > kMaxErrorResponse) {
    return StepResult::fail("the server answered the SSLRequest with a malformed error");
  }
  if (from_server.size() < 1 + std::size_t{length}) {
    return StepResult::needInput();
  }
  std::vector<std::byte> message(1 + std::size_t{length});
  from_server.read(message);
  const std::string_view fields(reinterpret_cast<const char*>(message.data()) + header.size(),
                                message.size() - header.size());
  const std::string text = errorMessage(fields);
  if (text.empty()) {
    return StepResult::fail("the server answered the SSLRequest with an error");
  }
  return StepResult::fail("the server answered the SSLRequest with an error: " + printable(text));
}

StepResult declinePostgresEncryption(ByteQueue& from_client, ByteQueue& to_client) {
  while (true) {
    std::array<std::byte, kPostgresRequestSize> head{};
    const std::size_t have = from_client.peek(head);
    const std::span<const std::byte> seen(head.data(), have);
    if (!couldBeEncryptionRequest(seen)) {
      return StepResult::done();
    }
    if (have < head.size()) {
      return StepResult::needInput();
    }
    from_client.consume(head.size());
    // 'N' for either request: the client goes on in plaintext, and tlsgate
    // encrypts towards the server.
    const std::byte no{'N'};
    to_client.append(std::span(&no, 1));
  }
}

}  // namespace tlsgate
