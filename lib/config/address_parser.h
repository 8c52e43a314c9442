// Listen and connect addresses as they are written in the configuration:
//
//   host:port      IPv4 address or host name
//   [v6]:port      IPv6 address, in brackets
//   unix:/path     unix domain socket
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/parse_result.h"

namespace tlsgate {

// The returned Address has no mark; the caller knows where the text came from.
ParseResult<Address> parseAddress(std::string_view text);

// The text parseAddress() reads back: "127.0.0.1:8443", "[::1]:8443",
// "unix:/run/tlsgate.sock".
std::string formatAddress(const Address& address);

}  // namespace tlsgate
