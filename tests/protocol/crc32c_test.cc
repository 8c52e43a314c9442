#include "protocol/crc32c.h"

#include <gtest/gtest.h>

#include <array>
#include <numeric>
#include <string_view>

namespace tlsgate {
namespace {

std::uint32_t crcOf(std::string_view text) {
  return crc32c({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

TEST(Crc32cTest, MatchesTheCheckValue) {
  EXPECT_EQ(crcOf("123456789"), 0xE3069283U);
  EXPECT_EQ(crcOf(""), 0U);
}

// RFC 3720 appendix B.4, whose CRC32C is the one RFC 4960 uses.
TEST(Crc32cTest, MatchesTheIscsiExamples) {
  std::array<std::uint8_t, 32> bytes{};
  EXPECT_EQ(crc32c(bytes), 0x8A9136AAU);
  bytes.fill(0xFF);
  EXPECT_EQ(crc32c(bytes), 0x62A8AB43U);
  std::iota(bytes.begin(), bytes.end(), std::uint8_t{0});
  EXPECT_EQ(crc32c(bytes), 0x46DD794EU);
}

}  // namespace
}  // namespace tlsgate
