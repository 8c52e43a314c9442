#include "config/address_parser.h"

#include <arpa/inet.h>
#include <sys/un.h>

#include <cctype>
#include <charconv>
#include <string>

namespace tlsgate {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";

ParseResult<Address> parseUnix(std::string_view text) {
  Address address;
  address.unix_path = std::string(text.substr(kUnixPrefix.size()));
  if (address.unix_path.empty()) {
    return ParseResult<Address>::fail("unix socket address without a path; write unix:/path");
  }
  // sun_path holds the path and its terminating NUL; a longer path cannot be bound.
  if (address.unix_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return ParseResult<Address>::fail("unix socket path is longer than " +
                                      std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                                      " bytes, the most the system accepts");
  }
  return ParseResult<Address>::ok(std::move(address));
}

ParseResult<uint16_t> parsePort(std::string_view port, std::string_view text) {
  if (port.empty()) {
    return ParseResult<uint16_t>::fail(quoted(text) + " has no port; write host:port");
  }
  unsigned value = 0;
  auto [next, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || next != port.data() + port.size() || value < 1 || value > 65535) {
    return ParseResult<uint16_t>::fail("port " + quoted(port) + " in " + quoted(text) +
                                       " is not a number from 1 to 65535");
  }
  return ParseResult<uint16_t>::ok(static_cast<uint16_t>(value));
}

bool isHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

// Host names and IPv4 literals; the resolver has the final word, this only
// catches typos such as spaces or stray brackets early.
bool isPlausibleHost(std::string_view host) {
  for (char c : host) {
    if (!isHostNameChar(c)) {
      return false;
    }
  }
  return true;
}

struct HostAndPort {
  std::string_view host;
  std::string_view port;
  bool bracketed = false;
};

ParseResult<HostAndPort> split(std::string_view text) {
  HostAndPort parts;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return ParseResult<HostAndPort>::fail(quoted(text) + " has '[' without ']'");
    }
    parts.bracketed = true;
    parts.host = text.substr(1, close - 1);
    const std::string_view after = text.substr(close + 1);
    if (!after.starts_with(':')) {
      return ParseResult<HostAndPort>::fail(quoted(text) + " has no port; write [" +
                                            std::string(parts.host) + "]:port");
    }
    parts.port = after.substr(1);
    return ParseResult<HostAndPort>::ok(parts);
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return ParseResult<HostAndPort>::fail(quoted(text) + " has no port; write host:port");
  }
  parts.host = text.substr(0, colon);
  parts.port = text.substr(colon + 1);
  if (parts.host.find(':') != std::string_view::npos) {
    return ParseResult<HostAndPort>::fail(quoted(text) +
                                          " looks like an IPv6 address; write it in brackets, "
                                          "e.g. [::1]:8443");
  }
  return ParseResult<HostAndPort>::ok(parts);
}

}  // namespace

ParseResult<Address> parseAddress(std::string_view text) {
  // The socket calls take C strings: "unix:/a\0b" would bind /a, and
  // "[::1\0x]:1" passed the IPv6 check as ::1.
  if (text.find('\0') != std::string_view::npos) {
    return ParseResult<Address>::fail(
        "address holds a NUL byte, where the system would cut it short; remove it");
  }
  if (text.starts_with(kUnixPrefix)) {
    return parseUnix(text);
  }
  auto parts = split(text);
  if (!parts.isOk()) {
    return ParseResult<Address>::fail(parts.error());
  }
  const HostAndPort& hp = parts.value();
  if (hp.host.empty()) {
    return ParseResult<Address>::fail(quoted(text) +
                                      " has no host; write 0.0.0.0 or [::] for every address");
  }
  Address address;
  address.host = std::string(hp.host);
  if (hp.bracketed) {
    in6_addr scratch{};
    if (inet_pton(AF_INET6, address.host.c_str(), &scratch) != 1) {
      return ParseResult<Address>::fail(quoted(address.host) + " in " + quoted(text) +
                                        " is not an IPv6 address");
    }
  } else if (!isPlausibleHost(hp.host)) {
    return ParseResult<Address>::fail(quoted(address.host) + " in " + quoted(text) +
                                      " is not a host name or IPv4 address");
  }
  auto port = parsePort(hp.port, text);
  if (!port.isOk()) {
    return ParseResult<Address>::fail(port.error());
  }
  address.port = port.value();
  return ParseResult<Address>::ok(std::move(address));
}

std::string formatAddress(const Address& address) {
  if (address.isUnix()) {
    return std::string(kUnixPrefix) + address.unix_path;
  }
  const bool v6 = address.host.find(':') != std::string::npos;
  return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

}  // namespace tlsgate
