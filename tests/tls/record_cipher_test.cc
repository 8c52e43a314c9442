// RecordCipher's limits: how many records one key may protect (RFC 8446
// section 5.5) and the end of the sequence numbers (section 5.3).
#include "tls/record_cipher.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>

#include "tls/record_writer.h"

namespace tlsgate::test {
namespace {

const Bytes kSecret(32, 0x5a);
const Bytes kSecret384(48, 0x5a);

bool beginRecord(RecordCipher& cipher) {
  const std::array<std::byte, 5> header = {std::byte{0x17}, std::byte{0x03}, std::byte{0x03},
                                           std::byte{0x00}, std::byte{0x11}};
  return cipher.begin(header);
}

TEST(RecordCipherTest, AesGcmKeysAreLimitedAndChaChaKeysAreNot) {
  RecordCipher aes128;
  ASSERT_TRUE(aes128.init(tls13Suite("TLS_AES_128_GCM_SHA256"), kSecret, true));
  EXPECT_EQ(aes128.recordLimit(), 23'726'566U) << "2^24.5, rounded down";
  RecordCipher aes256;
  ASSERT_TRUE(aes256.init(tls13Suite("TLS_AES_256_GCM_SHA384"), kSecret384, true));
  EXPECT_EQ(aes256.recordLimit(), RecordCipher::kAesGcmRecordLimit);
  RecordCipher chacha;
  ASSERT_TRUE(chacha.init(tls13Suite("TLS_CHACHA20_POLY1305_SHA256"), kSecret, true));
  EXPECT_EQ(chacha.recordLimit(), UINT64_MAX);
}

TEST(RecordCipherTest, RecordsCountUpAndStartAgainAfterAKeyUpdate) {
  RecordCipher cipher;
  ASSERT_TRUE(cipher.init(tls13Suite("TLS_AES_128_GCM_SHA256"), kSecret, true, 7));
  EXPECT_EQ(cipher.records(), 7U);
  ASSERT_TRUE(beginRecord(cipher));
  EXPECT_EQ(cipher.records(), 8U);
  ASSERT_TRUE(cipher.advanceSecret());
  EXPECT_EQ(cipher.records(), 0U);
}

TEST(RecordCipherTest, TheLastSequenceNumberIsNeverUsed) {
  RecordCipher cipher;
  ASSERT_TRUE(
      cipher.init(tls13Suite("TLS_CHACHA20_POLY1305_SHA256"), kSecret, true, UINT64_MAX - 1));
  EXPECT_TRUE(beginRecord(cipher));
  EXPECT_FALSE(beginRecord(cipher)) << "RFC 8446 section 5.3: the sequence number must not wrap";
}

}  // namespace
}  // namespace tlsgate::test
