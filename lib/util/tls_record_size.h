// The size limits of a TLS record (RFC 8446 section 5.1 and 5.2), shared by
// the record layer, the ClientHello reader, the relay and every plaintext
// buffer sized to take one whole record.
#pragma once

#include <cstddef>

namespace tlsgate {

// Every record starts with its type, legacy version and length: 5 bytes.
inline constexpr std::size_t kTlsRecordHeader = 5;
// A record's plaintext: at most 2^14 bytes.
inline constexpr std::size_t kMaxTlsPlaintext = std::size_t{1} << 14;
// A protected record's body: at most 2^14 + 256 bytes.
inline constexpr std::size_t kMaxTlsCiphertext = kMaxTlsPlaintext + 256;
// TLS 1.2 allows more expansion: at most 2^14 + 2048 bytes (RFC 5246
// section 6.2.3). The largest record either version may send, header
// included, is kTlsRecordHeader + kMaxTls12Ciphertext.
inline constexpr std::size_t kMaxTls12Ciphertext = kMaxTlsPlaintext + 2048;

}  // namespace tlsgate
