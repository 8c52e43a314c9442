// One direction of TLS 1.3 record protection (RFC 8446, sections 5.2, 5.3
// and 7.3): an AEAD keyed from a traffic secret, with each record's nonce
// made from the write IV and the record's sequence number.
//
// A record is protected in three steps, so that its body can come from, or
// go to, several buffer pieces: begin() with the record header, update()
// over the body, then sealTag() or openTag().
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "util/tls_record_size.h"

namespace tlsgate {

// HKDF-Expand-Label(secret, label, "", out.size()) of RFC 8446 section 7.1,
// for outputs of at most one hash: what RecordCipher derives its keys, IVs
// and next secrets with.
bool expandLabel(const EVP_MD* digest, std::span<const unsigned char> secret,
                 std::string_view label, std::span<unsigned char> out);

class RecordCipher {
 public:
  static constexpr std::size_t kHeaderSize = kTlsRecordHeader;
  static constexpr std::size_t kTagSize = 16;
  // RFC 8446 section 5.5: AES-GCM may protect at most 2^24.5 full-size
  // records under one key; this is that number, rounded down.
  static constexpr std::uint64_t kAesGcmRecordLimit = 23'726'566;

  RecordCipher() = default;
  ~RecordCipher();
  RecordCipher(const RecordCipher&) = delete;
  RecordCipher& operator=(const RecordCipher&) = delete;
  RecordCipher(RecordCipher&&) = delete;
  RecordCipher& operator=(RecordCipher&&) = delete;

  // Whether `suite`'s AEAD is one this class implements: AES-GCM or
  // ChaCha20-Poly1305 (every TLS 1.3 suite but the CCM ones).
  static bool supports(const SSL_CIPHER* suite);

  // Keys this direction from `secret`, going on from record number
  // `sequence`. False when the suite is not supported or OpenSSL fails.
  bool init(const SSL_CIPHER* suite, std::span<const unsigned char> secret, bool encrypt,
            std::uint64_t sequence = 0);
  // KeyUpdate: the next traffic secret, then new keys and sequence number 0.
  bool advanceSecret();

  // The records protected under the current key so far: the sequence number
  // of the next one.
  std::uint64_t records() const { return sequence_; }
  // The most records one key of this AEAD may protect (RFC 8446 section 5.5):
  // kAesGcmRecordLimit for AES-GCM; for ChaCha20-Poly1305, which has no
  // practical limit, UINT64_MAX, where the sequence number runs out.
  std::uint64_t recordLimit() const { return record_limit_; }

  // Starts the next record; `header` is its 5-byte header, the AEAD's
  // additional data. False when the sequence numbers are used up.
  bool begin(std::span<const std::byte> header);
  // Encrypts or decrypts `in` into `out` (which may be `in` itself).
  bool update(std::span<const std::byte> in, std::byte* out);
  bool sealTag(std::span<std::byte, kTagSize> tag);
  // False when the record is not authentic.
  bool openTag(std::span<const std::byte, kTagSize> tag);

 private:
  bool deriveKeys();

  EVP_CIPHER_CTX* ctx_ = nullptr;
  const EVP_CIPHER* aead_ = nullptr;
  const EVP_MD* digest_ = nullptr;
  std::array<unsigned char, EVP_MAX_MD_SIZE> secret_{};
  std::size_t secret_size_ = 0;
  std::array<unsigned char, 12> iv_{};
  std::uint64_t sequence_ = 0;
  std::uint64_t record_limit_ = UINT64_MAX;
  bool encrypt_ = false;
};

}  // namespace tlsgate
