// CRC32C (Castagnoli), the checksum of PROXY v2's PP2_TYPE_CRC32C TLV, as
// RFC 4960 appendix B defines it. Small enough to keep here rather than
// link a crypto library into the protocol parsers for it.
#pragma once

#include <cstdint>
#include <span>

namespace tlsgate {

std::uint32_t crc32c(std::span<const std::uint8_t> bytes);

}  // namespace tlsgate
