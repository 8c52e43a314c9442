// connect.via: reach the backend through an upstream proxy, HTTP CONNECT or
// SOCKS5 (TWAPI -socketcmd).
#pragma once

#include <cstddef>
#include <string>

#include "config/config.h"
#include "config/config_node.h"
#include "util/secret_line.h"

namespace tlsgate {

// Enough for any sensible credentials line; a longer first line of an
// auth_file is refused rather than read without bound.
inline constexpr std::size_t kMaxAuthFileLine = 4096;

// Why the first line of the auth_file at `path` could not be read, or ""
// when it was. Never quotes the line.
std::string authFileReadError(const SecretLine& line, const std::string& path);

// `{ http_connect: HOST:PORT, auth_file: PATH }` or `{ socks5: HOST:PORT,
// auth_file: PATH }`. The auth file is read once here to check its shape;
// the secret is not kept and never appears in an error.
ViaConfig parseVia(const ConfigNode& node);

}  // namespace tlsgate
