// The table `tlsgate status` prints, made from the JSON that /status and
// /connections serve (admin_json.h). Pure functions, so tests need no server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tlsgate {

// A summary line, "tlsgate 0.1.0, generation 3, 2 listeners, 5 connections",
// then a header and one row per connection: ID, LISTENER, STATE, AGE,
// CLIENT, BACKEND, UP, DOWN, ACCEPT (the accept side's protocol/cipher) and
// PEER (the subject of the client's certificate). Columns are two spaces
// apart, or one when that does not fit `width`; if it still does not, the
// widest text columns are cut to fit, ending in "…". Fields missing from the
// JSON show as "-".
std::string formatConnectionTable(const nlohmann::json& status, const nlohmann::json& connections,
                                  std::size_t width = 120);

// 1024-based, one decimal below 10: "0", "999", "1.2K", "340K", "1.2M".
std::string humanBytes(uint64_t bytes);

// "42s", "3m12s", "2h05m", "3d04h".
std::string humanAge(double seconds);

}  // namespace tlsgate
