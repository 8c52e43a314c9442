// Fuzzes the small text parsers of lib/config. The first byte picks one;
// the rest is its input.
//
//   0 parseAddress    what parses comes back the same through formatAddress,
//                     and names one thing: no NUL that C calls would cut at
//   1 parseDuration   what parses reads the same when written in ms
//   2 parseSize       what parses reads the same when written in bytes
//   3 isHostName      an accepted name keeps the documented shape, and an
//                     IPv4 literal is a host name too
//   4 expandEnv       text without '$' is kept as is; expansion is bounded
//   5 editDistance    a metric: zero only for equal strings, symmetric,
//                     at most the longer length
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/address_parser.h"
#include "config/duration.h"
#include "config/env_expansion.h"
#include "config/host_name.h"
#include "config/key_suggestion.h"

namespace tlsgate {
namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void fuzzAddress(std::string_view text) {
  const auto parsed = parseAddress(text);
  if (!parsed.isOk()) {
    check(!parsed.error().empty());
    return;
  }
  const Address& address = parsed.value();
  check(address.isUnix() != !address.host.empty());
  check(address.host.find('\0') == std::string::npos);
  check(address.unix_path.find('\0') == std::string::npos);
  const auto again = parseAddress(formatAddress(address));
  check(again.isOk());
  check(again.value().host == address.host && again.value().port == address.port &&
        again.value().unix_path == address.unix_path);
}

void fuzzDuration(std::string_view text) {
  const auto parsed = parseDuration(text);
  if (!parsed.isOk()) {
    check(!parsed.error().empty());
    return;
  }
  check(parsed.value().count() >= 0);
  const auto again = parseDuration(std::to_string(parsed.value().count()) + "ms");
  check(again.isOk() && again.value() == parsed.value());
}

void fuzzSize(std::string_view text) {
  const auto parsed = parseSize(text);
  if (!parsed.isOk()) {
    check(!parsed.error().empty());
    return;
  }
  const auto again = parseSize(std::to_string(parsed.value()));
  check(again.isOk() && again.value() == parsed.value());
}

void fuzzHostName(std::string_view text) {
  if (isIpv4Literal(text)) {
    check(isHostName(text));
  }
  if (!isHostName(text)) {
    return;
  }
  check(!text.empty() && text.size() <= 253);
  check(text.front() != '.' && text.back() != '.' && text.find("..") == std::string_view::npos);
  for (char c : text) {
    check(c > 0x20 && c < 0x7F);
  }
}

void fuzzEnv(std::string_view text) {
  static const std::map<std::string, std::string> kEnv = {
      {"HOST", "backend.example"}, {"PORT", "8443"}, {"EMPTY", ""}, {"DOLLAR", "${HOST}"}};
  const EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    const auto it = kEnv.find(name);
    return it == kEnv.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  const auto expanded = expandEnv(text, lookup);
  if (text.find('$') == std::string_view::npos) {
    check(expanded.isOk() && expanded.value() == text);
    return;
  }
  if (!expanded.isOk()) {
    check(!expanded.error().empty());
    return;
  }
  // A reference is at least "${X}", four bytes, for at most 15 bytes of value.
  check(expanded.value().size() <= text.size() * 4);
}

void fuzzEditDistance(std::string_view text) {
  // Keys are short; long inputs would only make the quadratic table slow.
  text = text.substr(0, 256);
  const std::size_t cut = text.empty() ? 0 : static_cast<unsigned char>(text[0]) % text.size();
  const std::string_view a = text.substr(0, cut);
  const std::string_view b = text.substr(cut);
  const std::size_t d = editDistance(a, b);
  check(d == editDistance(b, a));
  check((d == 0) == (a == b));
  check(d <= std::max(a.size(), b.size()));
}

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  if (size == 0) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      fuzzAddress(text);
      break;
    case 1:
      fuzzDuration(text);
      break;
    case 2:
      fuzzSize(text);
      break;
    case 3:
      fuzzHostName(text);
      break;
    case 4:
      fuzzEnv(text);
      break;
    default:
      fuzzEditDistance(text);
      break;
  }
  return 0;
}
