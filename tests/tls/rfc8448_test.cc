// Known answers from RFC 8448 section 3 (Simple 1-RTT Handshake,
// TLS_AES_128_GCM_SHA256): the application traffic secrets, the keys and IVs
// derived from them, and the application data and close_notify records
// protected with them. They pin tlsgate's key schedule and record protection
// to the published trace, not to OpenSSL's behaviour alone.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tls/record_cipher.h"
#include "tls/record_writer.h"

namespace tlsgate::test {
namespace {

// RFC 8448 section 3: {server} derive secret "tls13 c ap traffic" and
// "tls13 s ap traffic" (expanded), and the write traffic keys for
// application data of each side.
const Bytes kClientSecret = fromHex(
    "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7"
    " c1 75 04 a5");
const Bytes kServerSecret = fromHex(
    "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f"
    " cb 63 16 43");
const Bytes kClientKey = fromHex("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51");
const Bytes kClientIv = fromHex("5b 78 92 3d ee 08 57 90 33 e5 23 d9");
const Bytes kServerKey = fromHex("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56");
const Bytes kServerIv = fromHex("cf 78 2b 88 dd 83 54 9a ad f1 e9 84");

// {client} and {server} send application_data record: the payload is the
// 50 bytes 00 01 .. 31. The client's is its first record under its
// application key; the server's is its second, after its NewSessionTicket.
const Bytes kClientData = fromHex(
    "17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea 42 f9 14 aa 66 bc ab"
    " 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b 62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e"
    " 3d ea e6 3a ee bb 21 69 49 15 e4");
const Bytes kServerData = fromHex(
    "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa 1b"
    " 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab"
    " f3 32 54 0d d0 32 e1 67 c2 95 5d");
// {client} and {server} send alert record: close_notify, each side's next
// record.
const Bytes kClientClose =
    fromHex("17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3");
const Bytes kServerClose =
    fromHex("17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9");

// Not in RFC 8448, which has no KeyUpdate: the next secrets ("traffic upd"),
// and the RFC's payload as the first record under the client's next key.
// Computed apart from tlsgate and OpenSSL, with python3-cryptography's
// HMAC-SHA256 (HKDF-Expand-Label written out per RFC 8446 section 7.1) and
// AESGCM, from the two secrets above.
const Bytes kClientNextSecret =
    fromHex("fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207");
const Bytes kServerNextSecret =
    fromHex("51921b8aa3001976eb401d0a4319a8516416a6c56001a357e5d162031e84f916");
const Bytes kClientNextKey = fromHex("3879d82f5f14056e623f2ce5bfc66fce");
const Bytes kClientNextIv = fromHex("5dfb2c5938c3379b6cc5d1f2");
const Bytes kClientNextData = fromHex(
    "170303004308dab385c781c25090659835dd8d7c1d003c6ec2e6a058caf903c16580776a1b2ab63e00cdedf2c514"
    "502b8a361881663b197b2577d50a5707081e221deb8ed217c624");

Bytes payload() {
  Bytes out(50);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<unsigned char>(i);
  }
  return out;
}

const SSL_CIPHER* suite() {
  return tls13Suite("TLS_AES_128_GCM_SHA256");
}

Bytes expand(const Bytes& secret, const char* label, std::size_t length) {
  Bytes out(length);
  EXPECT_TRUE(tlsgate::expandLabel(EVP_sha256(), secret, label, out));
  return out;
}

// Protects one record of `type` with `cipher` the way RecordLayer does.
Bytes seal(RecordCipher& cipher, int type, const Bytes& content) {
  const std::size_t length = content.size() + 1 + RecordCipher::kTagSize;
  Bytes record(5 + length);
  record[0] = SSL3_RT_APPLICATION_DATA;
  record[1] = 0x03;
  record[2] = 0x03;
  record[3] = static_cast<unsigned char>(length >> 8);
  record[4] = static_cast<unsigned char>(length);
  auto* bytes = reinterpret_cast<std::byte*>(record.data());
  const std::array<std::byte, 1> inner_type = {static_cast<std::byte>(type)};
  EXPECT_TRUE(cipher.begin({bytes, 5}));
  EXPECT_TRUE(cipher.update(std::as_bytes(std::span(content)), bytes + 5));
  EXPECT_TRUE(cipher.update(inner_type, bytes + 5 + content.size()));
  EXPECT_TRUE(cipher.sealTag(std::span<std::byte, RecordCipher::kTagSize>(
      bytes + 5 + content.size() + 1, RecordCipher::kTagSize)));
  return record;
}

// Opens `record` with `cipher`; the TLSInnerPlaintext, or empty.
Bytes open(RecordCipher& cipher, const Bytes& record) {
  Bytes copy = record;
  auto* bytes = reinterpret_cast<std::byte*>(copy.data());
  const std::size_t body = copy.size() - 5 - RecordCipher::kTagSize;
  if (!cipher.begin({bytes, 5}) || !cipher.update({bytes + 5, body}, bytes + 5) ||
      !cipher.openTag(std::span<const std::byte, RecordCipher::kTagSize>(bytes + 5 + body,
                                                                         RecordCipher::kTagSize))) {
    return {};
  }
  return {copy.begin() + 5, copy.begin() + 5 + static_cast<std::ptrdiff_t>(body)};
}

TEST(Rfc8448Test, ApplicationKeysAndIvs) {
  EXPECT_EQ(toHex(expand(kClientSecret, "key", 16)), toHex(kClientKey));
  EXPECT_EQ(toHex(expand(kClientSecret, "iv", 12)), toHex(kClientIv));
  EXPECT_EQ(toHex(expand(kServerSecret, "key", 16)), toHex(kServerKey));
  EXPECT_EQ(toHex(expand(kServerSecret, "iv", 12)), toHex(kServerIv));
  // The test's own record writer agrees, so the tests that use it stand on
  // the same ground.
  RecordWriter writer(suite(), kServerSecret);
  EXPECT_EQ(toHex(writer.key()), toHex(kServerKey));
  EXPECT_EQ(toHex(writer.iv()), toHex(kServerIv));
}

TEST(Rfc8448Test, ServerRecordsAreTheRfcsBytes) {
  ASSERT_NE(suite(), nullptr);
  RecordCipher cipher;
  ASSERT_TRUE(cipher.init(suite(), kServerSecret, true, 1));  // after the NewSessionTicket
  Bytes inner_data = payload();
  EXPECT_EQ(toHex(seal(cipher, SSL3_RT_APPLICATION_DATA, inner_data)), toHex(kServerData));
  EXPECT_EQ(toHex(seal(cipher, SSL3_RT_ALERT, {SSL3_AL_WARNING, SSL_AD_CLOSE_NOTIFY})),
            toHex(kServerClose));
}

TEST(Rfc8448Test, ClientRecordsOpen) {
  RecordCipher cipher;
  ASSERT_TRUE(cipher.init(suite(), kClientSecret, false));
  Bytes data = payload();
  data.push_back(SSL3_RT_APPLICATION_DATA);
  EXPECT_EQ(toHex(open(cipher, kClientData)), toHex(data));
  EXPECT_EQ(toHex(open(cipher, kClientClose)), "010015");  // warning, close_notify, alert

  // One bit off, or the wrong sequence number, and the record is refused.
  RecordCipher again;
  ASSERT_TRUE(again.init(suite(), kClientSecret, false, 1));
  EXPECT_TRUE(open(again, kClientData).empty());
  RecordCipher damaged;
  ASSERT_TRUE(damaged.init(suite(), kClientSecret, false));
  Bytes flipped = kClientData;
  flipped[20] ^= 0x01;
  EXPECT_TRUE(open(damaged, flipped).empty());
}

TEST(Rfc8448Test, ClientRecordsSealToTheRfcsBytes) {
  RecordCipher cipher;
  ASSERT_TRUE(cipher.init(suite(), kClientSecret, true));
  EXPECT_EQ(toHex(seal(cipher, SSL3_RT_APPLICATION_DATA, payload())), toHex(kClientData));
  EXPECT_EQ(toHex(seal(cipher, SSL3_RT_ALERT, {SSL3_AL_WARNING, SSL_AD_CLOSE_NOTIFY})),
            toHex(kClientClose));
}

TEST(Rfc8448Test, TrafficUpdateGivesTheNextSecret) {
  EXPECT_EQ(toHex(expand(kClientSecret, "traffic upd", 32)), toHex(kClientNextSecret));
  EXPECT_EQ(toHex(expand(kServerSecret, "traffic upd", 32)), toHex(kServerNextSecret));
  EXPECT_EQ(toHex(expand(kClientNextSecret, "key", 16)), toHex(kClientNextKey));
  EXPECT_EQ(toHex(expand(kClientNextSecret, "iv", 12)), toHex(kClientNextIv));

  // advanceSecret() moves to those keys and starts again at record 0.
  RecordCipher cipher;
  ASSERT_TRUE(cipher.init(suite(), kClientSecret, true, 5));
  ASSERT_TRUE(cipher.advanceSecret());
  EXPECT_EQ(cipher.records(), 0U);
  EXPECT_EQ(toHex(seal(cipher, SSL3_RT_APPLICATION_DATA, payload())), toHex(kClientNextData));
}

}  // namespace
}  // namespace tlsgate::test
