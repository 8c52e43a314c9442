// Text in and out of ByteQueues for the dialogue tests.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "util/byte_queue.h"

namespace tlsgate {

inline void put(ByteQueue& queue, std::string_view text) {
  queue.append(std::as_bytes(std::span(text.data(), text.size())));
}

// Everything queued so far, consumed.
inline std::string take(ByteQueue& queue) {
  std::string text(queue.size(), '\0');
  queue.read(std::as_writable_bytes(std::span(text.data(), text.size())));
  return text;
}

}  // namespace tlsgate
