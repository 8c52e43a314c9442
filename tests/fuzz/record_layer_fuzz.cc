// Fuzzes RecordLayer::read on records sealed under known keys, so that the
// input reaches what lies behind the AEAD check: content types, padding,
// alerts, KeyUpdate, empty and oversized records, and reads into buffers
// smaller than a record. Both sides' traffic secrets are fixed; the harness
// seals with the client's, as a RecordCipher of its own.
//
// The first byte picks the suite (AES-128-GCM, AES-256-GCM or
// ChaCha20-Poly1305); then each step is an op byte and its arguments:
//
//   0 type pad len bytes...  seal `bytes` as inner content of `type`, with
//                            70 * pad zero bytes of padding
//   1 type hi lo fill        seal (hi << 8 | lo) bytes of `fill`
//   2 len bytes...           raw bytes, unsealed
//   3 request                a KeyUpdate; the harness's keys move on with
//                            the record layer's when the request is valid
//   4 size                   read into a buffer of this size (below 128:
//                            size + 1 bytes, else 130 * (size - 127))
//   5 len bytes...           the server writes `bytes`
//   6                        the server sends close_notify
//
// Whatever read() delivers must be a prefix of the application data the
// harness sealed, no result may claim more bytes than the buffer holds, and
// a failure has a reason.
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tls/record_cipher.h"
#include "tls/record_layer.h"
#include "tls/traffic_secrets.h"

namespace tlsgate {
namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

struct Suite {
  const char* id;  // the two bytes of the cipher suite
  std::size_t secret_size;
};

constexpr std::array<Suite, 3> kSuites = {{{"\x13\x01", 32}, {"\x13\x02", 48}, {"\x13\x03", 32}}};

const SSL_CIPHER* findSuite(const Suite& suite) {
  static SSL_CTX* const kContext = SSL_CTX_new(TLS_method());
  static SSL* const kSsl = SSL_new(kContext);
  return SSL_CIPHER_find(kSsl, reinterpret_cast<const unsigned char*>(suite.id));
}

std::vector<unsigned char> secret(std::size_t size, unsigned char seed) {
  std::vector<unsigned char> out(size);
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<unsigned char>(seed + i * 29);
  }
  return out;
}

std::string hex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// Reads the script: bytes past its end read as zero.
class Script {
 public:
  explicit Script(std::span<const uint8_t> data) : data_(data) {}
  bool done() const { return data_.empty(); }
  uint8_t byte() {
    if (data_.empty()) {
      return 0;
    }
    const uint8_t b = data_.front();
    data_ = data_.subspan(1);
    return b;
  }
  std::span<const std::byte> bytes(std::size_t n) {
    n = std::min(n, data_.size());
    const auto out = std::as_bytes(data_.first(n));
    data_ = data_.subspan(n);
    return out;
  }

 private:
  std::span<const uint8_t> data_;
};

class Harness {
 public:
  explicit Harness(const Suite& suite) {
    const SSL_CIPHER* cipher = findSuite(suite);
    const std::vector<unsigned char> client = secret(suite.secret_size, 0x11);
    const std::vector<unsigned char> server = secret(suite.secret_size, 0x5a);
    const std::string random(64, 'a');
    TrafficSecrets secrets;
    secrets.noteKeylogLine("CLIENT_TRAFFIC_SECRET_0 " + random + " " + hex(client));
    secrets.noteKeylogLine("SERVER_TRAFFIC_SECRET_0 " + random + " " + hex(server));
    layer_ = RecordLayer::create(cipher, secrets, in_, out_);
    check(layer_ != nullptr);
    check(sealer_.init(cipher, client, true));
  }

  void run(Script& script) {
    while (!script.done() && !failed_) {
      step(script);
    }
    read(RecordLayer::kReadRoom);
  }

 private:
  void step(Script& script) {
    switch (script.byte() % 7) {
      case 0: {
        const int type = script.byte();
        const std::size_t padding = std::size_t{70} * script.byte();
        const auto content = script.bytes(script.byte());
        seal(type, content, padding);
        return;
      }
      case 1: {
        const int type = script.byte();
        const std::size_t size = std::size_t{script.byte()} << 8 | script.byte();
        const std::vector<std::byte> content(size, std::byte{script.byte()});
        seal(type, content, 0);
        return;
      }
      case 2:
        in_.append(script.bytes(script.byte()));
        return;
      case 3: {
        const uint8_t request = script.byte();
        const std::array<std::byte, 5> message = {std::byte{SSL3_MT_KEY_UPDATE}, std::byte{0},
                                                  std::byte{0}, std::byte{1}, std::byte{request}};
        seal(SSL3_RT_HANDSHAKE, message, 0);
        if (request <= 1) {
          check(sealer_.advanceSecret());
        }
        return;
      }
      case 4: {
        const uint8_t size = script.byte();
        read(size < 128 ? std::size_t{size} + 1 : std::size_t{130} * (size - 127));
        return;
      }
      case 5:
        layer_->write(script.bytes(script.byte()));
        out_.clear();
        return;
      default:
        layer_->sendCloseNotify();
        out_.clear();
        return;
    }
  }

  // A TLS 1.3 record: header, then content, type and padding under the
  // AEAD, then the tag. Lengths beyond what TLS allows are sealed anyway.
  void seal(int type, std::span<const std::byte> content, std::size_t padding) {
    const std::size_t length = content.size() + 1 + padding + RecordCipher::kTagSize;
    if (length > 0xFFFF) {
      return;
    }
    const std::array<std::byte, RecordCipher::kHeaderSize> header = {
        std::byte{SSL3_RT_APPLICATION_DATA}, std::byte{0x03}, std::byte{0x03},
        static_cast<std::byte>(length >> 8), static_cast<std::byte>(length & 0xFF)};
    std::vector<std::byte> inner(content.begin(), content.end());
    inner.push_back(static_cast<std::byte>(type));
    inner.resize(inner.size() + padding);
    std::vector<std::byte> record(header.begin(), header.end());
    record.resize(header.size() + inner.size() + RecordCipher::kTagSize);
    check(sealer_.begin(header) && sealer_.update(inner, record.data() + header.size()) &&
          sealer_.sealTag(std::span(record).last<RecordCipher::kTagSize>()));
    in_.append(record);
    // What the receiver reads (RFC 8446, 5.2): the type is the last byte
    // that is not zero, so with type 0 the content's own last byte is.
    auto end = inner.end();
    while (end != inner.begin() && *(end - 1) == std::byte{0}) {
      --end;
    }
    if (end != inner.begin() && *(end - 1) == std::byte{SSL3_RT_APPLICATION_DATA}) {
      sealed_.insert(sealed_.end(), inner.begin(), end - 1);
    }
  }

  void read(std::size_t size) {
    std::vector<std::byte> buffer(size);
    for (int i = 0; i < 64 && !failed_; ++i) {
      const TlsResult result = layer_->read(buffer);
      check(result.bytes <= buffer.size());
      if (result.status == TlsStatus::failed) {
        check(!layer_->failureReason().empty());
        failed_ = true;
      }
      out_.clear();
      if (result.status != TlsStatus::ok) {
        break;
      }
      delivered_.insert(delivered_.end(), buffer.begin(),
                        buffer.begin() + static_cast<std::ptrdiff_t>(result.bytes));
    }
    check(delivered_.size() <= sealed_.size() &&
          std::equal(delivered_.begin(), delivered_.end(), sealed_.begin()));
  }

  BufferPool pool_{std::size_t{16} * 1024 + 512, 16};
  ByteQueue in_{pool_};
  ByteQueue out_{pool_};
  std::unique_ptr<RecordLayer> layer_;
  RecordCipher sealer_;
  std::vector<std::byte> sealed_;
  std::vector<std::byte> delivered_;
  bool failed_ = false;
};

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  if (size == 0) {
    return 0;
  }
  Harness harness(kSuites[data[0] % kSuites.size()]);
  Script script(std::span(data + 1, size - 1));
  harness.run(script);
  return 0;
}
