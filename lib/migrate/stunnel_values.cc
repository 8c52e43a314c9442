#include "migrate/stunnel_values.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "util/config_error.h"
#include "util/text.h"

namespace tlsgate {
namespace {

[[noreturn]] void refuse(const StunnelOption& option, const std::string& reason) {
  throw ConfigError(option.where.str() + ": " + option.name + ": " + reason);
}

std::optional<uint64_t> parseNumber(std::string_view text) {
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

// stunnel's log levels, by number.
constexpr std::array<std::string_view, 8> kSyslogLevels = {"emerg",   "alert",  "crit", "err",
                                                           "warning", "notice", "info", "debug"};
// tlsgate's level for each of them: notice has no level of its own.
constexpr std::array<std::string_view, 8> kTlsgateLevels = {
    "critical", "critical", "critical", "error", "warn", "info", "info", "debug"};

}  // namespace

bool stunnelYesNo(const StunnelOption& option) {
  const std::string value = lowerCase(option.value);
  if (value == "yes") {
    return true;
  }
  if (value == "no") {
    return false;
  }
  refuse(option, "expected yes or no, found '" + option.value + "'");
}

int64_t stunnelSeconds(const StunnelOption& option) {
  const std::optional<uint64_t> value = parseNumber(option.value);
  if (!value || *value > uint64_t{100} * 365 * 24 * 3600) {
    refuse(option, "expected a number of seconds, found '" + option.value + "'");
  }
  return static_cast<int64_t>(*value);
}

uint64_t stunnelNumber(const StunnelOption& option) {
  const std::optional<uint64_t> value = parseNumber(option.value);
  if (!value) {
    refuse(option, "expected a number, found '" + option.value + "'");
  }
  return *value;
}

std::string stunnelHost(std::string_view value) {
  if (value.empty() || value.front() == '/') {
    return "";
  }
  const std::size_t colon = value.rfind(':');
  return colon == std::string_view::npos ? "" : std::string(value.substr(0, colon));
}

std::string stunnelAddress(const StunnelOption& option, std::string_view default_host) {
  const std::string_view value = option.value;
  if (!value.empty() && value.front() == '/') {
    return "unix:" + std::string(value);
  }
  const std::size_t colon = value.rfind(':');
  const std::string_view port = colon == std::string_view::npos ? value : value.substr(colon + 1);
  const std::optional<uint64_t> number = parseNumber(port);
  if (!number || *number == 0 || *number > 65535) {
    refuse(option,
           "expected [HOST:]PORT with a port number from 1 to 65535 or a /unix/path, found '" +
               option.value + "'");
  }
  std::string host = colon == std::string_view::npos ? std::string(default_host)
                                                     : std::string(value.substr(0, colon));
  if (host.empty()) {
    refuse(option, "the host before ':' is empty");
  }
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = "[" + host + "]";
  }
  return host + ":" + std::string(port);
}

std::string stunnelLogLevel(const StunnelOption& option) {
  std::string level = lowerCase(option.value);
  if (const std::size_t dot = level.find('.'); dot != std::string::npos) {
    level.erase(0, dot + 1);  // the facility is syslog's business
  }
  if (const std::optional<uint64_t> number = parseNumber(level)) {
    if (*number < kTlsgateLevels.size()) {
      return std::string(kTlsgateLevels.at(*number));
    }
  }
  for (std::size_t i = 0; i < kSyslogLevels.size(); ++i) {
    if (level == kSyslogLevels.at(i)) {
      return std::string(kTlsgateLevels.at(i));
    }
  }
  refuse(option, "expected a level from emerg to debug or 0 to 7, found '" + option.value + "'");
}

StunnelTlsVersion stunnelTlsVersion(const StunnelOption& option) {
  const std::string value = lowerCase(option.value);
  if (value == "sslv2") {
    return StunnelTlsVersion::sslv2;
  }
  if (value == "sslv3") {
    return StunnelTlsVersion::sslv3;
  }
  if (value == "tlsv1" || value == "tlsv1.0") {
    return StunnelTlsVersion::tls1_0;
  }
  if (value == "tlsv1.1") {
    return StunnelTlsVersion::tls1_1;
  }
  if (value == "tlsv1.2") {
    return StunnelTlsVersion::tls1_2;
  }
  if (value == "tlsv1.3") {
    return StunnelTlsVersion::tls1_3;
  }
  refuse(option,
         "expected all, SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, found '" + option.value + "'");
}

std::string durationText(int64_t seconds) {
  if (seconds != 0 && seconds % 3600 == 0) {
    return std::to_string(seconds / 3600) + "h";
  }
  if (seconds != 0 && seconds % 60 == 0) {
    return std::to_string(seconds / 60) + "m";
  }
  return std::to_string(seconds) + "s";
}

std::string optionText(const StunnelOption& option) {
  if (option.key.find("password") != std::string::npos ||
      option.key.find("secret") != std::string::npos) {
    return option.name + " = (not shown)";
  }
  return option.name + " = " + option.value;
}

}  // namespace tlsgate
