#include "config/key_suggestion.h"

#include <algorithm>
#include <vector>

namespace tlsgate {
namespace {

// More than this many edits and the suggestion is more likely noise than help.
constexpr std::size_t kMaxSuggestionDistance = 2;

}  // namespace

// Optimal string alignment distance: Levenshtein plus adjacent swaps, because
// "cihper" is as likely a typo as "ciper".
std::size_t editDistance(std::string_view a, std::string_view b) {
  const std::size_t rows = a.size() + 1;
  const std::size_t cols = b.size() + 1;
  std::vector<std::size_t> d(rows * cols);
  auto at = [cols, &d](std::size_t i, std::size_t j) -> std::size_t& { return d[i * cols + j]; };
  for (std::size_t i = 0; i < rows; ++i) {
    at(i, 0) = i;
  }
  for (std::size_t j = 0; j < cols; ++j) {
    at(0, j) = j;
  }
  for (std::size_t i = 1; i < rows; ++i) {
    for (std::size_t j = 1; j < cols; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(rows - 1, cols - 1);
}

std::optional<std::string> closestKey(std::string_view key,
                                      std::span<const std::string_view> known) {
  std::optional<std::string> best;
  std::size_t best_distance = kMaxSuggestionDistance + 1;
  for (std::string_view candidate : known) {
    const std::size_t distance = editDistance(key, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace tlsgate
