#include "config/duration.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace tlsgate {
namespace {

struct NumberAndUnit {
  uint64_t number = 0;
  std::string_view unit;
};

// Splits "64k" into 64 and "k". Fails when there are no leading digits or
// the number does not fit.
bool splitNumber(std::string_view text, NumberAndUnit& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [next, ec] = std::from_chars(begin, end, out.number);
  if (ec != std::errc() || next == begin) {
    return false;
  }
  out.unit = text.substr(static_cast<std::size_t>(next - begin));
  return true;
}

bool multiplyFits(uint64_t a, uint64_t b, uint64_t limit) {
  return b == 0 || a <= limit / b;
}

}  // namespace

ParseResult<Duration> parseDuration(std::string_view text) {
  static constexpr const char* kHelp = " (write a whole number and a unit: 500ms, 10s, 5m or 1h)";
  NumberAndUnit parsed;
  if (!splitNumber(text, parsed)) {
    return ParseResult<Duration>::fail(quoted(text) + " is not a duration" + kHelp);
  }
  if (parsed.unit.empty()) {
    return ParseResult<Duration>::fail(quoted(text) + " has no unit; add one, e.g. " +
                                       std::string(text) + "s or " + std::string(text) + "ms");
  }
  uint64_t factor = 0;
  if (parsed.unit == "ms") {
    factor = 1;
  } else if (parsed.unit == "s") {
    factor = 1000;
  } else if (parsed.unit == "m") {
    factor = uint64_t{60} * 1000;
  } else if (parsed.unit == "h") {
    factor = uint64_t{60} * 60 * 1000;
  } else {
    return ParseResult<Duration>::fail("unknown unit " + quoted(parsed.unit) + " in " +
                                       quoted(text) + kHelp);
  }
  const auto limit = static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max());
  if (!multiplyFits(parsed.number, factor, limit)) {
    return ParseResult<Duration>::fail(quoted(text) + " is too long");
  }
  return ParseResult<Duration>::ok(Duration(static_cast<Duration::rep>(parsed.number * factor)));
}

ParseResult<uint64_t> parseSize(std::string_view text) {
  static constexpr const char* kHelp = " (write bytes, or a number followed by k, m or g: 64k, 1m)";
  NumberAndUnit parsed;
  if (!splitNumber(text, parsed)) {
    return ParseResult<uint64_t>::fail(quoted(text) + " is not a size" + kHelp);
  }
  uint64_t factor = 1;
  if (parsed.unit.size() > 1) {
    return ParseResult<uint64_t>::fail("unknown unit " + quoted(parsed.unit) + " in " +
                                       quoted(text) + kHelp);
  }
  if (parsed.unit.size() == 1) {
    switch (std::tolower(static_cast<unsigned char>(parsed.unit[0]))) {
      case 'k':
        factor = uint64_t{1} << 10;
        break;
      case 'm':
        factor = uint64_t{1} << 20;
        break;
      case 'g':
        factor = uint64_t{1} << 30;
        break;
      default:
        return ParseResult<uint64_t>::fail("unknown unit " + quoted(parsed.unit) + " in " +
                                           quoted(text) + kHelp);
    }
  }
  if (!multiplyFits(parsed.number, factor, std::numeric_limits<uint64_t>::max())) {
    return ParseResult<uint64_t>::fail(quoted(text) + " is too large");
  }
  return ParseResult<uint64_t>::ok(parsed.number * factor);
}

}  // namespace tlsgate
