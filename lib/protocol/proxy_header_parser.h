// Reads the PROXY protocol header (HAProxy's proxy-protocol.txt, version 1
// or 2) that a load balancer puts before a relayed connection's own bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "protocol/proxy_header.h"
#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class ProxyHeaderParser {
 public:
  // A v2 header longer than `max_bytes` is refused. Its 16-bit length
  // allows 65,551 bytes, so a balancer that passes the client's
  // certificate in a TLV needs more than the default.
  explicit ProxyHeaderParser(std::size_t max_bytes = 4096) : max_bytes_(max_bytes) {}

  // Reads one v1 or v2 header from the head of `in` and consumes exactly
  // the header, so the bytes after it (a TLS ClientHello, say) stay in
  // `in`. need_input until the whole header has arrived; failed, with a
  // reason a person can act on, as soon as the bytes cannot be a PROXY
  // header. Once done or failed, later calls give the same answer and
  // consume nothing.
  StepResult parse(ByteQueue& in);

  const ProxyHeader& header() const { return header_; }
  // 1 or 2 once the first bytes have said which; 0 before.
  int version() const { return version_; }

 private:
  StepResult step(ByteQueue& in);
  StepResult parseV1(ByteQueue& in);
  // The fixed 16 bytes, or as many as have arrived: failed as soon as they
  // cannot start a header, done once all 16 are good.
  StepResult checkV2Prefix(std::span<const std::uint8_t> head);
  StepResult parseV2(ByteQueue& in);
  StepResult parseV2Body(std::span<std::uint8_t> whole);

  std::size_t max_bytes_;
  ProxyHeader header_;
  int version_ = 0;
  std::optional<StepResult> outcome_;  // set once done or failed
};

}  // namespace tlsgate
