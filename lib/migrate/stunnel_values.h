// The values of stunnel options, read the way stunnel reads them and
// written the way tlsgate's YAML wants them. Each function throws
// ConfigError naming the option's file:line when stunnel would refuse the
// value too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "migrate/stunnel_conf.h"

namespace tlsgate {

// "yes" or "no", in any case.
bool stunnelYesNo(const StunnelOption& option);

// A whole number of seconds (the TIMEOUT* and session options).
int64_t stunnelSeconds(const StunnelOption& option);

// A count (sessionCacheSize, securityLevel).
uint64_t stunnelNumber(const StunnelOption& option);

// "[HOST:]PORT" or "/unix/path", as a tlsgate address: "HOST:PORT",
// "[IPv6]:PORT" or "unix:/path". A missing host becomes `default_host`.
std::string stunnelAddress(const StunnelOption& option, std::string_view default_host);

// The host of an address as stunnel would write it ("pop.gmail.com" of
// "pop.gmail.com:995"); empty for a port alone or a unix path.
std::string stunnelHost(std::string_view value);

// debug = [FACILITY.]LEVEL as global.log.level: emerg..debug or 0..7.
std::string stunnelLogLevel(const StunnelOption& option);

// TLS versions in order; sslVersion* names map onto them.
enum class StunnelTlsVersion { sslv2, sslv3, tls1_0, tls1_1, tls1_2, tls1_3 };
// "SSLv3", "TLSv1", ..., "TLSv1.3"; "all" is the caller's to handle.
StunnelTlsVersion stunnelTlsVersion(const StunnelOption& option);

// A tlsgate duration: "12h", "5m", "10s".
std::string durationText(int64_t seconds);

// "name = value" for comments and warnings, with the value of a password or
// secret option left out.
std::string optionText(const StunnelOption& option);

}  // namespace tlsgate
