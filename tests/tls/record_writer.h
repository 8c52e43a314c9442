// TLS 1.3 records sealed and opened under a known traffic secret, with plain
// EVP calls (RFC 8446 sections 5.2, 5.3 and 7.1-7.3): tests write records no
// TLS stack would send (padding, empty fragments, odd handshake bytes) and
// read what the record layer wrote, without checking it against itself.
#pragma once

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>

#include <array>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace tlsgate::test {

using Bytes = std::vector<unsigned char>;

inline Bytes fromHex(const std::string& hex) {
  Bytes out;
  std::string digits;
  for (char c : hex) {
    if (std::isxdigit(static_cast<unsigned char>(c)) != 0) {
      digits += c;
    }
  }
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(static_cast<unsigned char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

inline std::string toHex(std::span<const unsigned char> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

// A TLS 1.3 suite by its IANA name, e.g. "TLS_AES_128_GCM_SHA256". The
// SSL_CIPHER lives in libssl's static tables, past the SSL_CTX.
inline const SSL_CIPHER* tls13Suite(const std::string& name) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  const SSL_CIPHER* found = nullptr;
  STACK_OF(SSL_CIPHER)* suites = SSL_CTX_get_ciphers(ctx);
  for (int i = 0; i < sk_SSL_CIPHER_num(suites); ++i) {
    const SSL_CIPHER* suite = sk_SSL_CIPHER_value(suites, i);
    if (name == SSL_CIPHER_get_name(suite)) {
      found = suite;
    }
  }
  SSL_CTX_free(ctx);
  return found;
}

// HKDF-Expand-Label(secret, label, "", length), through OpenSSL's HKDF in
// expand-only mode with the HkdfLabel built here.
inline Bytes expandLabel(const std::string& digest, const Bytes& secret, const std::string& label,
                         std::size_t length) {
  const std::string full = "tls13 " + label;
  Bytes info = {static_cast<unsigned char>(length >> 8), static_cast<unsigned char>(length),
                static_cast<unsigned char>(full.size())};
  info.insert(info.end(), full.begin(), full.end());
  info.push_back(0);  // empty context
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  std::string digest_name = digest;
  Bytes key = secret;
  std::array<OSSL_PARAM, 5> params = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key.data(), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  Bytes out(length);
  const bool ok = ctx != nullptr && EVP_KDF_derive(ctx, out.data(), out.size(), params.data()) == 1;
  EVP_KDF_CTX_free(ctx);
  if (!ok) {
    throw std::runtime_error("HKDF-Expand-Label failed");
  }
  return out;
}

// One direction's record protection: "AES-128-GCM", "AES-256-GCM" or
// "ChaCha20-Poly1305" with "SHA256" or "SHA384".
class RecordWriter {
 public:
  RecordWriter(std::string aead, std::string digest, Bytes secret, std::uint64_t sequence = 0)
      : aead_(std::move(aead)),
        digest_(std::move(digest)),
        secret_(std::move(secret)),
        sequence_(sequence) {
    deriveKeys();
  }

  // The AEAD and hash of a negotiated suite.
  RecordWriter(const SSL_CIPHER* suite, Bytes secret, std::uint64_t sequence = 0)
      : RecordWriter(aeadName(suite), EVP_MD_get0_name(SSL_CIPHER_get_handshake_digest(suite)),
                     std::move(secret), sequence) {}

  const Bytes& key() const { return key_; }
  const Bytes& iv() const { return iv_; }
  const Bytes& secret() const { return secret_; }
  std::uint64_t sequence() const { return sequence_; }

  // A whole record: TLSInnerPlaintext is `content`, the type, `padding` zeros.
  Bytes seal(int type, std::span<const unsigned char> content, std::size_t padding = 0) {
    Bytes inner(content.begin(), content.end());
    inner.push_back(static_cast<unsigned char>(type));
    inner.resize(inner.size() + padding, 0);
    return sealInner(inner);
  }
  Bytes seal(int type, std::initializer_list<unsigned char> content, std::size_t padding = 0) {
    const Bytes bytes(content);
    return seal(type, bytes, padding);
  }
  // A record whose TLSInnerPlaintext is `inner` as given, type included.
  Bytes sealInner(const Bytes& inner) {
    const std::size_t length = inner.size() + kTag;
    Bytes record(5 + length);
    record[0] = SSL3_RT_APPLICATION_DATA;
    record[1] = 0x03;
    record[2] = 0x03;
    record[3] = static_cast<unsigned char>(length >> 8);
    record[4] = static_cast<unsigned char>(length);
    if (!crypt(true, record.data(), inner.data(), inner.size(), record.data() + 5,
               record.data() + 5 + inner.size())) {
      throw std::runtime_error("sealing a record failed");
    }
    return record;
  }

  // The TLSInnerPlaintext of the record at the start of `bytes`, which it
  // takes off; nullopt when the record is not authentic or not whole.
  std::optional<Bytes> open(Bytes& bytes) {
    if (bytes.size() < 5) {
      return std::nullopt;
    }
    const std::size_t length = static_cast<std::size_t>(bytes[3]) << 8 | bytes[4];
    if (length < kTag || bytes.size() < 5 + length) {
      return std::nullopt;
    }
    Bytes inner(length - kTag);
    Bytes tag(bytes.begin() + 5 + static_cast<std::ptrdiff_t>(inner.size()),
              bytes.begin() + 5 + static_cast<std::ptrdiff_t>(length));
    if (!crypt(false, bytes.data(), bytes.data() + 5, inner.size(), inner.data(), tag.data())) {
      return std::nullopt;
    }
    bytes.erase(bytes.begin(), bytes.begin() + 5 + static_cast<std::ptrdiff_t>(length));
    return inner;
  }

  // KeyUpdate: the next secret ("traffic upd"), new keys, sequence 0.
  void nextSecret() {
    secret_ = expandLabel(digest_, secret_, "traffic upd", secret_.size());
    sequence_ = 0;
    deriveKeys();
  }

 private:
  static constexpr std::size_t kTag = 16;

  static std::string aeadName(const SSL_CIPHER* suite) {
    switch (SSL_CIPHER_get_cipher_nid(suite)) {
      case NID_aes_128_gcm:
        return "AES-128-GCM";
      case NID_aes_256_gcm:
        return "AES-256-GCM";
      default:
        return "ChaCha20-Poly1305";
    }
  }

  void deriveKeys() {
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, aead_.c_str(), nullptr);
    const auto key_size = static_cast<std::size_t>(EVP_CIPHER_get_key_length(cipher));
    EVP_CIPHER_free(cipher);
    key_ = expandLabel(digest_, secret_, "key", key_size);
    iv_ = expandLabel(digest_, secret_, "iv", 12);
  }

  // One AEAD operation with this record's nonce; the header is the AAD.
  bool crypt(bool encrypt, const unsigned char* header, const unsigned char* in, std::size_t size,
             unsigned char* out, unsigned char* tag) {
    Bytes nonce = iv_;
    for (std::size_t i = 0; i < 8; ++i) {
      nonce[11 - i] ^= static_cast<unsigned char>(sequence_ >> (8 * i));
    }
    EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, aead_.c_str(), nullptr);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    bool ok = EVP_CipherInit_ex(ctx, cipher, nullptr, key_.data(), nonce.data(), encrypt) == 1 &&
              EVP_CipherUpdate(ctx, nullptr, &n, header, 5) == 1 &&
              (size == 0 || EVP_CipherUpdate(ctx, out, &n, in, static_cast<int>(size)) == 1) &&
              (encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTag, tag) == 1) &&
              EVP_CipherFinal_ex(ctx, out + size, &n) == 1 &&
              (!encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTag, tag) == 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    if (ok) {
      ++sequence_;
    }
    return ok;
  }

  std::string aead_;
  std::string digest_;
  Bytes secret_;
  Bytes key_;
  Bytes iv_;
  std::uint64_t sequence_;
};

}  // namespace tlsgate::test
