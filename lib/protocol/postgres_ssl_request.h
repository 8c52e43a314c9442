// PostgreSQL's SSLRequest (frontend/backend protocol, section 53.2.10): not
// a text dialogue but an 8-byte request and a one-byte answer.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol/dialogue_end.h"
#include "protocol/starttls_client.h"

namespace tlsgate {

inline constexpr uint32_t kPostgresSslRequestCode = 80877103;
inline constexpr uint32_t kPostgresGssEncRequestCode = 80877104;
inline constexpr std::size_t kPostgresRequestSize = 8;

// Sends the SSLRequest; 'S' is done.
class PostgresSslClient final : public StarttlsClient {
 public:
  // Far more than an ErrorResponse to an SSLRequest needs; a larger length
  // means the bytes are not one.
  static constexpr std::size_t kMaxErrorResponse = 8192;

  void begin(ByteQueue& to_server) override;
  StepResult advance(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) override;

 private:
  StepResult step(ByteQueue& from_server);
  StepResult onErrorResponse(ByteQueue& from_server);

  DialogueEnd end_;
};

}  // namespace tlsgate
