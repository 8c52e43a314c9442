#include "tls/record_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <climits>
#include <string_view>

namespace tlsgate {
namespace {

// Fetched once: an explicit fetch keeps the per-connection key set-up off
// OpenSSL 3.0's implicit-fetch path.
const EVP_CIPHER* aeadOf(const SSL_CIPHER* suite) {
  static EVP_CIPHER* const kAes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const kAes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const kChacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  switch (SSL_CIPHER_get_cipher_nid(suite)) {
    case NID_aes_128_gcm:
      return kAes128;
    case NID_aes_256_gcm:
      return kAes256;
    case NID_chacha20_poly1305:
      return kChacha;
    default:
      return nullptr;
  }
}

EVP_MAC_CTX* makeHmac(const char* digest_name) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);  // the context keeps its own reference
  // OSSL_PARAM takes non-const pointers; OpenSSL only reads this one.
  std::array<OSSL_PARAM, 2> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name), 0),
      OSSL_PARAM_construct_end(),
  };
  if (ctx != nullptr && EVP_MAC_CTX_set_params(ctx, params.data()) != 1) {
    EVP_MAC_CTX_free(ctx);
    ctx = nullptr;
  }
  return ctx;
}

// HMAC contexts with their digest set, one per TLS 1.3 hash and thread,
// made on first use and reused: setting a digest fetches it through
// OpenSSL 3.0's provider layer, which costs more than the HMAC itself.
EVP_MAC_CTX* hmacFor(const EVP_MD* digest) {
  struct Contexts {
    Contexts() = default;
    ~Contexts() {
      EVP_MAC_CTX_free(sha256);
      EVP_MAC_CTX_free(sha384);
    }
    Contexts(const Contexts&) = delete;
    Contexts& operator=(const Contexts&) = delete;
    Contexts(Contexts&&) = delete;
    Contexts& operator=(Contexts&&) = delete;

    EVP_MAC_CTX* sha256 = makeHmac("SHA256");
    EVP_MAC_CTX* sha384 = makeHmac("SHA384");
  };
  thread_local Contexts contexts;
  switch (EVP_MD_get_type(digest)) {
    case NID_sha256:
      return contexts.sha256;
    case NID_sha384:
      return contexts.sha384;
    default:
      return nullptr;
  }
}

// HKDF-Expand-Label(secret, label, "", length), RFC 8446 section 7.1, for
// several labels from one secret. Every output here is at most one hash
// long, so HKDF-Expand is a single HMAC, T(1) = HMAC(secret, HkdfLabel ||
// 0x01): the thread's HMAC context is keyed once for all the labels, where
// OpenSSL 3.0's HKDF would build an HMAC context for each.
class LabelExpander {
 public:
  LabelExpander(const EVP_MD* digest, std::span<const unsigned char> secret)
      : mac_(hmacFor(digest)),
        hash_size_(static_cast<std::size_t>(EVP_MD_get_size(digest))),
        keyed_(mac_ != nullptr && EVP_MAC_init(mac_, secret.data(), secret.size(), nullptr) == 1) {}

  // The context outlives the connection: keying it again with a placeholder
  // makes OpenSSL wipe its copy of the secret.
  ~LabelExpander() {
    if (keyed_) {
      const unsigned char placeholder = 0;
      EVP_MAC_init(mac_, &placeholder, 1, nullptr);
    }
  }
  LabelExpander(const LabelExpander&) = delete;
  LabelExpander& operator=(const LabelExpander&) = delete;
  LabelExpander(LabelExpander&&) = delete;
  LabelExpander& operator=(LabelExpander&&) = delete;

  bool expand(std::string_view label, std::span<unsigned char> out) {
    constexpr std::string_view kPrefix = "tls13 ";
    if (!keyed_ || out.size() > hash_size_) {
      return false;
    }
    // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; },
    // then HKDF-Expand's block counter.
    std::array<unsigned char, 2 + 1 + 32 + 1 + 1> info{};
    std::size_t size = 0;
    info[size++] = static_cast<unsigned char>(out.size() >> 8);
    info[size++] = static_cast<unsigned char>(out.size() & 0xff);
    info[size++] = static_cast<unsigned char>(kPrefix.size() + label.size());
    for (std::string_view part : {kPrefix, label}) {
      for (char c : part) {
        info[size++] = static_cast<unsigned char>(c);
      }
    }
    info[size++] = 0;  // empty context
    info[size++] = 1;  // T(1)

    std::array<unsigned char, EVP_MAX_MD_SIZE> block{};
    std::size_t block_size = 0;
    // The first label uses the state the constructor keyed; each later one
    // starts again from the same key.
    bool ok = (!used_ || EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1) &&
              EVP_MAC_update(mac_, info.data(), size) == 1 &&
              EVP_MAC_final(mac_, block.data(), &block_size, block.size()) == 1 &&
              block_size >= out.size();
    used_ = true;
    if (ok) {
      std::copy_n(block.begin(), out.size(), out.begin());
    }
    OPENSSL_cleanse(block.data(), block.size());
    return ok;
  }

 private:
  EVP_MAC_CTX* mac_;
  std::size_t hash_size_;
  bool keyed_;
  bool used_ = false;
};

}  // namespace

bool expandLabel(const EVP_MD* digest, std::span<const unsigned char> secret,
                 std::string_view label, std::span<unsigned char> out) {
  return digest != nullptr && LabelExpander(digest, secret).expand(label, out);
}

RecordCipher::~RecordCipher() {
  EVP_CIPHER_CTX_free(ctx_);
  OPENSSL_cleanse(secret_.data(), secret_.size());
  OPENSSL_cleanse(iv_.data(), iv_.size());
}

bool RecordCipher::supports(const SSL_CIPHER* suite) {
  return suite != nullptr && aeadOf(suite) != nullptr;
}

bool RecordCipher::init(const SSL_CIPHER* suite, std::span<const unsigned char> secret,
                        bool encrypt, std::uint64_t sequence) {
  aead_ = suite != nullptr ? aeadOf(suite) : nullptr;
  digest_ = suite != nullptr ? SSL_CIPHER_get_handshake_digest(suite) : nullptr;
  if (aead_ == nullptr || digest_ == nullptr ||
      secret.size() != static_cast<std::size_t>(EVP_MD_get_size(digest_)) ||
      secret.size() > secret_.size()) {
    return false;
  }
  std::copy(secret.begin(), secret.end(), secret_.begin());
  secret_size_ = secret.size();
  encrypt_ = encrypt;
  // aeadOf() admits AES-GCM and ChaCha20-Poly1305 only.
  record_limit_ =
      SSL_CIPHER_get_cipher_nid(suite) == NID_chacha20_poly1305 ? UINT64_MAX : kAesGcmRecordLimit;
  ctx_ = EVP_CIPHER_CTX_new();
  if (ctx_ == nullptr || !deriveKeys()) {
    return false;
  }
  sequence_ = sequence;
  return true;
}

bool RecordCipher::advanceSecret() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> next{};
  std::span<unsigned char> out(next.data(), secret_size_);
  if (!LabelExpander(digest_, {secret_.data(), secret_size_}).expand("traffic upd", out)) {
    return false;
  }
  std::copy(out.begin(), out.end(), secret_.begin());
  OPENSSL_cleanse(next.data(), next.size());
  return deriveKeys();
}

bool RecordCipher::deriveKeys() {
  std::array<unsigned char, EVP_MAX_KEY_LENGTH> key{};
  const auto key_size = static_cast<std::size_t>(EVP_CIPHER_get_key_length(aead_));
  LabelExpander expander(digest_, {secret_.data(), secret_size_});
  bool ok = key_size <= key.size() && expander.expand("key", {key.data(), key_size}) &&
            expander.expand("iv", iv_) &&
            EVP_CipherInit_ex(ctx_, aead_, nullptr, key.data(), nullptr, encrypt_ ? 1 : 0) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  sequence_ = 0;
  if (!ok) {
    ERR_clear_error();
  }
  return ok;
}

bool RecordCipher::begin(std::span<const std::byte> header) {
  if (sequence_ == UINT64_MAX) {
    return false;  // RFC 8446 section 5.3: the connection must not go on
  }
  std::array<unsigned char, 12> nonce = iv_;
  for (std::size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<unsigned char>(sequence_ >> (8 * i));
  }
  ++sequence_;
  int written = 0;
  return EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce.data(), -1) == 1 &&
         EVP_CipherUpdate(ctx_, nullptr, &written,
                          reinterpret_cast<const unsigned char*>(header.data()),
                          static_cast<int>(header.size())) == 1;
}

bool RecordCipher::update(std::span<const std::byte> in, std::byte* out) {
  int written = 0;
  return in.empty() || EVP_CipherUpdate(ctx_, reinterpret_cast<unsigned char*>(out), &written,
                                        reinterpret_cast<const unsigned char*>(in.data()),
                                        static_cast<int>(in.size())) == 1;
}

bool RecordCipher::sealTag(std::span<std::byte, kTagSize> tag) {
  std::array<unsigned char, kTagSize> unused{};  // an AEAD's final step writes no bytes
  int written = 0;
  return EVP_CipherFinal_ex(ctx_, unused.data(), &written) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagSize), tag.data()) ==
             1;
}

bool RecordCipher::openTag(std::span<const std::byte, kTagSize> tag) {
  std::array<unsigned char, kTagSize> unused{};
  int written = 0;
  // The tag is only read; EVP_CIPHER_CTX_ctrl takes a void*.
  bool ok = EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagSize),
                                const_cast<std::byte*>(tag.data())) == 1 &&
            EVP_CipherFinal_ex(ctx_, unused.data(), &written) == 1;
  if (!ok) {
    ERR_clear_error();
  }
  return ok;
}

}  // namespace tlsgate
