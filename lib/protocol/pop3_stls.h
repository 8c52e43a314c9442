// POP3 STLS (RFC 2595 section 4) on both sides.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/client_commands.h"
#include "protocol/dialogue_end.h"
#include "protocol/line_reader.h"
#include "protocol/starttls_client.h"

namespace tlsgate {

// Greeting (+OK, forwarded), CAPA (RFC 2449) to check that STLS is
// offered, then STLS and its +OK. A server without CAPA gets STLS anyway.
class Pop3StlsClient final : public ServerFirstStarttlsClient {
 public:
  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxCapaLines = 64;

 private:
  enum class State { greeting, capa_status, capa_list, stls };

  StepResult step(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) override;
  StepResult onLine(const std::string& line, const ByteQueue& from_server, ByteQueue& to_server,
                    ByteQueue* to_client);
  StepResult onCapaLine(const std::string& line, ByteQueue& to_server);

  State state_ = State::greeting;
  LineReader lines_{kMaxLine};
  std::size_t capa_lines_ = 0;
  bool stls_listed_ = false;
  std::string capa_list_;  // for the failure reason
  DialogueEnd end_;
};

// Greets, answers CAPA and QUIT, and STLS with +OK.
class Pop3StlsServer final : public CommandServer {
 public:
  static constexpr std::size_t kMaxCommandLine = 1000;

  Pop3StlsServer(bool require, std::string hostname);

  void begin(ByteQueue& to_client) override;

 private:
  StepResult onCommand(std::string line, const ByteQueue& from_client,
                       ByteQueue& to_client) override;
};

// "+OK" and "-ERR" status indicators, alone or followed by a space.
bool isPop3Status(std::string_view line, std::string_view status);

}  // namespace tlsgate
