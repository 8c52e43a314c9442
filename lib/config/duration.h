// Durations ("500ms", "10s", "5m", "1h") and sizes ("512", "64k", "1m", "1g")
// as they are written in the configuration.
#pragma once

#include <cstdint>
#include <string_view>

#include "config/config.h"
#include "config/parse_result.h"

namespace tlsgate {

// A whole number followed by ms, s, m or h. A bare number is refused: "10"
// could mean seconds or milliseconds, and guessing wrong is a silent bug.
ParseResult<Duration> parseDuration(std::string_view text);

// A whole number of bytes, optionally followed by k, m or g (powers of 1024,
// either case).
ParseResult<uint64_t> parseSize(std::string_view text);

}  // namespace tlsgate
