// "did you mean ...?" for misspelled config keys.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tlsgate {

// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
std::size_t editDistance(std::string_view a, std::string_view b);

// The known key closest to `key`, if one is at most two edits away.
std::optional<std::string> closestKey(std::string_view key,
                                      std::span<const std::string_view> known);

}  // namespace tlsgate
