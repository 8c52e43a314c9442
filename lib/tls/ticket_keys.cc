#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "util/text.h"

namespace tlsgate {
namespace {

constexpr std::size_t kKeyBytes = 80;

// Strict base64 of exactly 80 bytes; false for anything else.
bool decodeKey(std::string_view text, TicketKey& key) {
  if (text.size() % 4 != 0 || text.size() > 256) {
    return false;
  }
  unsigned char decoded[256 / 4 * 3] = {};
  const int length = EVP_DecodeBlock(decoded, reinterpret_cast<const unsigned char*>(text.data()),
                                     static_cast<int>(text.size()));
  const auto padding = static_cast<std::size_t>(
      std::count(text.end() - std::min<std::size_t>(2, text.size()), text.end(), '='));
  // EVP_DecodeBlock reads an '=' before the padding as six zero bits, so a
  // damaged line would still make a key.
  const bool padding_only_at_end = text.find('=') >= text.size() - padding;
  const bool ok =
      length >= 0 && padding_only_at_end && static_cast<std::size_t>(length) - padding == kKeyBytes;
  if (ok) {
    std::memcpy(key.name.data(), decoded, key.name.size());
    std::memcpy(key.hmac_secret.data(), decoded + 16, key.hmac_secret.size());
    std::memcpy(key.aes_key.data(), decoded + 48, key.aes_key.size());
  }
  OPENSSL_cleanse(decoded, sizeof decoded);
  return ok;
}

bool initMac(EVP_MAC_CTX* mac, const TicketKey& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  return EVP_MAC_init(mac, key.hmac_secret.data(), key.hmac_secret.size(), params) == 1;
}

}  // namespace

ParseResult<TicketKeys> TicketKeys::parse(std::string_view text) {
  TicketKeys out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = trimLine(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_number;
    if (line.empty() || line.front() == '#') {
      continue;
    }
    TicketKey key;
    if (!decodeKey(line, key)) {
      return ParseResult<TicketKeys>::fail(
          "line " + std::to_string(line_number) +
          " is not the base64 of 80 bytes; make a key with `openssl rand 80 | base64 -w0`");
    }
    out.keys_.push_back(key);
  }
  if (out.keys_.empty()) {
    return ParseResult<TicketKeys>::fail(
        "holds no key; add one made with `openssl rand 80 | base64 -w0`");
  }
  return ParseResult<TicketKeys>::ok(std::move(out));
}

TicketKeys TicketKeys::load(const LocatedPath& path) {
  FileContents file = readWholeFile(path.value);
  if (!file.ok()) {
    throw ConfigError(path.mark, "session.ticket_keys",
                      "cannot read " + path.value + ": " + errnoText(file.error));
  }
  std::string& contents = file.bytes;
  ParseResult<TicketKeys> parsed = parse(contents);
  OPENSSL_cleanse(contents.data(), contents.size());
  if (!parsed.isOk()) {
    throw ConfigError(path.mark, "session.ticket_keys", path.value + ": " + parsed.error());
  }
  return parsed.value();
}

TicketKeys::~TicketKeys() {
  for (TicketKey& key : keys_) {
    OPENSSL_cleanse(&key, sizeof key);
  }
}

int TicketKeys::setUp(unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                      EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, bool encrypt) const {
  if (encrypt) {
    const TicketKey& key = keys_.front();
    std::memcpy(name, key.name.data(), key.name.size());
    if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1 ||
        EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv) != 1 ||
        !initMac(mac, key)) {
      return -1;
    }
    return 1;
  }
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const TicketKey& key = keys_[i];
    if (std::memcmp(name, key.name.data(), key.name.size()) != 0) {
      continue;
    }
    if (!initMac(mac, key) ||
        EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key.aes_key.data(), iv) != 1) {
      return -1;
    }
    return i == 0 ? 1 : 2;  // renew tickets made under an older key
  }
  return 0;
}

}  // namespace tlsgate
