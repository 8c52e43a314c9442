// The AEAD usage limits of RFC 8446 section 5.5 on a RecordLayer made
// directly from known secrets, starting a few records short of a limit.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "tls/record_layer.h"
#include "tls/record_writer.h"
#include "tls/traffic_secrets.h"
#include "util/byte_queue.h"

namespace tlsgate::test {
namespace {

const std::string kRandom(64, '0');
const Bytes kClientSecret(32, 0x11);
const Bytes kServerSecret(32, 0x22);

class RecordLayerLimitsTest : public ::testing::Test {
 protected:
  std::unique_ptr<RecordLayer> make(const char* suite, PriorRecords before) {
    secrets.noteKeylogLine("CLIENT_TRAFFIC_SECRET_0 " + kRandom + " " + toHex(kClientSecret));
    secrets.noteKeylogLine("SERVER_TRAFFIC_SECRET_0 " + kRandom + " " + toHex(kServerSecret));
    return RecordLayer::create(tls13Suite(suite), secrets, in, out, before);
  }
  Bytes drain() {
    Bytes bytes(out.size());
    out.read(std::as_writable_bytes(std::span(bytes)));
    return bytes;
  }
  static std::span<const std::byte> text(const char* s) {
    return std::as_bytes(std::span(s, std::char_traits<char>::length(s)));
  }

  TrafficSecrets secrets;
  BufferPool pool{std::size_t{16} * 1024 + 512, 16};
  ByteQueue in{pool};
  ByteQueue out{pool};
};

TEST_F(RecordLayerLimitsTest, AesGcmWriteKeyIsUpdatedAfterTwoToTheTwentyThreeRecords) {
  auto layer = make("TLS_AES_128_GCM_SHA256", {0, RecordLayer::kKeyUpdateAfter - 1});
  ASSERT_TRUE(layer);
  ASSERT_EQ(layer->write(text("last")).status, TlsStatus::ok);
  ASSERT_EQ(layer->write(text("next")).status, TlsStatus::ok);

  RecordWriter peer("AES-128-GCM", "SHA256", kServerSecret, RecordLayer::kKeyUpdateAfter - 1);
  Bytes bytes = drain();
  EXPECT_EQ(toHex(peer.open(bytes).value_or(Bytes{})), toHex(Bytes{'l', 'a', 's', 't', 0x17}));
  EXPECT_EQ(toHex(peer.open(bytes).value_or(Bytes{})), "180000010016")
      << "KeyUpdate(update_not_requested), under the old key";
  peer.nextSecret();
  EXPECT_EQ(toHex(peer.open(bytes).value_or(Bytes{})), toHex(Bytes{'n', 'e', 'x', 't', 0x17}));
  EXPECT_TRUE(bytes.empty());
}

TEST_F(RecordLayerLimitsTest, ChaChaWriteKeyHasNoLimit) {
  auto layer = make("TLS_CHACHA20_POLY1305_SHA256", {0, RecordLayer::kKeyUpdateAfter + 5});
  ASSERT_TRUE(layer);
  ASSERT_EQ(layer->write(text("data")).status, TlsStatus::ok);
  EXPECT_EQ(out.size(), 5U + 4 + 1 + 16) << "one record, no KeyUpdate";
}

TEST_F(RecordLayerLimitsTest, PeerGoingPastTheAesGcmLimitIsRefused) {
  auto layer = make("TLS_AES_128_GCM_SHA256", {RecordCipher::kAesGcmRecordLimit - 1, 0});
  ASSERT_TRUE(layer);
  RecordWriter peer("AES-128-GCM", "SHA256", kClientSecret, RecordCipher::kAesGcmRecordLimit - 1);
  const Bytes last = peer.seal(SSL3_RT_APPLICATION_DATA, {'o', 'k'});
  const Bytes over = peer.seal(SSL3_RT_APPLICATION_DATA, {'n', 'o'});
  in.append(std::as_bytes(std::span(last)));
  in.append(std::as_bytes(std::span(over)));

  std::array<std::byte, RecordLayer::kReadRoom> buffer{};
  EXPECT_EQ(layer->read(buffer).bytes, 2U) << "the limit's last record is read";
  EXPECT_EQ(layer->read(buffer).status, TlsStatus::failed);
  EXPECT_EQ(layer->failureReason(),
            "peer sent more TLS records under one key than its cipher may protect");
  RecordWriter reader("AES-128-GCM", "SHA256", kServerSecret);
  Bytes bytes = drain();
  EXPECT_EQ(toHex(reader.open(bytes).value_or(Bytes{})), "020a15") << "fatal unexpected_message";
}

TEST_F(RecordLayerLimitsTest, PeerUpdatingItsKeyInTimeGoesOn) {
  auto layer = make("TLS_AES_128_GCM_SHA256", {RecordCipher::kAesGcmRecordLimit - 1, 0});
  ASSERT_TRUE(layer);
  RecordWriter peer("AES-128-GCM", "SHA256", kClientSecret, RecordCipher::kAesGcmRecordLimit - 1);
  const Bytes update = peer.seal(SSL3_RT_HANDSHAKE, {SSL3_MT_KEY_UPDATE, 0, 0, 1, 0});
  peer.nextSecret();
  const Bytes data = peer.seal(SSL3_RT_APPLICATION_DATA, {'o', 'k'});
  in.append(std::as_bytes(std::span(update)));
  in.append(std::as_bytes(std::span(data)));
  std::array<std::byte, RecordLayer::kReadRoom> buffer{};
  EXPECT_EQ(layer->read(buffer).bytes, 2U) << layer->failureReason();
}

TEST_F(RecordLayerLimitsTest, ChaChaPeerHasNoLimit) {
  auto layer = make("TLS_CHACHA20_POLY1305_SHA256", {RecordCipher::kAesGcmRecordLimit + 5, 0});
  ASSERT_TRUE(layer);
  RecordWriter peer("ChaCha20-Poly1305", "SHA256", kClientSecret,
                    RecordCipher::kAesGcmRecordLimit + 5);
  const Bytes data = peer.seal(SSL3_RT_APPLICATION_DATA, {'o', 'k'});
  in.append(std::as_bytes(std::span(data)));
  std::array<std::byte, RecordLayer::kReadRoom> buffer{};
  EXPECT_EQ(layer->read(buffer).bytes, 2U) << layer->failureReason();
}

}  // namespace
}  // namespace tlsgate::test
