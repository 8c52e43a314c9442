// Fuzzes TicketKeys::parse against a plain base64 decoder written here: a
// file is accepted exactly when every key line is the base64 of 80 bytes,
// and then each key is found by its name, the first one encrypting. The
// one leniency both share is in the two bits of the last group that carry
// no data, which OpenSSL's decoder ignores.
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tls/ticket_keys.h"
#include "util/text.h"

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  return c == '/' ? 63 : -1;
}

// 80 bytes take 26 whole groups and a last one of three characters and '='.
std::optional<std::vector<unsigned char>> decode80(std::string_view text) {
  if (text.size() != 108 || text.back() != '=') {
    return std::nullopt;
  }
  std::vector<unsigned char> out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : text.substr(0, 107)) {
    const int value = sextet(c);
    if (value < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<unsigned char>(bits >> count));
      bits &= (1U << count) - 1;
    }
  }
  return out;
}

// The key names the file holds, or nullopt when a line is not a key.
std::optional<std::vector<std::array<unsigned char, 16>>> expectedNames(std::string_view text) {
  std::vector<std::array<unsigned char, 16>> names;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = tlsgate::trimLine(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#') {
      continue;
    }
    const auto key = decode80(line);
    if (!key) {
      return std::nullopt;
    }
    std::array<unsigned char, 16> name{};
    std::memcpy(name.data(), key->data(), name.size());
    names.push_back(name);
  }
  return names;
}

void checkKeys(const tlsgate::TicketKeys& keys,
               const std::vector<std::array<unsigned char, 16>>& names) {
  check(keys.size() == names.size());
  EVP_CIPHER_CTX* cipher = EVP_CIPHER_CTX_new();
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* mac = EVP_MAC_CTX_new(hmac);
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, EVP_MAX_IV_LENGTH> iv{};
  check(keys.setUp(name.data(), iv.data(), cipher, mac, true) == 1);
  check(name == names.front());
  for (std::size_t i = 0; i < names.size(); ++i) {
    name = names[i];
    const bool first = names[i] == names.front();
    check(keys.setUp(name.data(), iv.data(), cipher, mac, false) == (first ? 1 : 2));
  }
  name.fill(0);
  bool known = false;
  for (const auto& n : names) {
    known = known || n == name;
  }
  if (!known) {
    check(keys.setUp(name.data(), iv.data(), cipher, mac, false) == 0);
  }
  EVP_MAC_CTX_free(mac);
  EVP_MAC_free(hmac);
  EVP_CIPHER_CTX_free(cipher);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = tlsgate::TicketKeys::parse(text);
  const auto names = expectedNames(text);
  const bool expected = names && !names->empty();
  check(parsed.isOk() == expected);
  if (!parsed.isOk()) {
    check(!parsed.error().empty());
    return 0;
  }
  checkKeys(parsed.value(), *names);
  return 0;
}
