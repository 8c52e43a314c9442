// The size limits of a TLS record (RFC 8446 section 5.1 and 5.2), shared by
// the record layer, the ClientHello reader and every plaintext buffer sized
// to take one whole record.
#pragma once

#include <cstddef>

namespace tlsgate {

// A record's plaintext: at most 2^14 bytes.
inline constexpr std::size_t kMaxTlsPlaintext = std::size_t{1} << 14;
// A protected record's body: at most 2^14 + 256 bytes.
inline constexpr std::size_t kMaxTlsCiphertext = kMaxTlsPlaintext + 256;

}  // namespace tlsgate
