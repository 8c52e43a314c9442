// Session ticket keys shared across processes and restarts.
//
// The file holds one key per line, each the base64 of 80 random bytes
// (`openssl rand 80 | base64 -w0`): a 16-byte key name, a 32-byte HMAC-SHA256
// secret and a 32-byte AES-256 key. The first line encrypts new tickets;
// every line decrypts. To rotate, prepend a new key and drop the oldest one
// after a ticket lifetime. Blank lines and lines starting with # are skipped.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/parse_result.h"

namespace tlsgate {

struct TicketKey {
  std::array<unsigned char, 16> name{};
  std::array<unsigned char, 32> hmac_secret{};
  std::array<unsigned char, 32> aes_key{};
};

class TicketKeys {
 public:
  // Parses the file's text; the failure names the line.
  static ParseResult<TicketKeys> parse(std::string_view text);
  // Reads and parses the file. Throws ConfigError at the path's position.
  static TicketKeys load(const LocatedPath& path);

  TicketKeys(const TicketKeys& other) = default;
  TicketKeys& operator=(const TicketKeys& other) = default;
  TicketKeys(TicketKeys&& other) noexcept = default;
  TicketKeys& operator=(TicketKeys&& other) noexcept = default;
  ~TicketKeys();

  std::size_t size() const { return keys_.size(); }

  // The SSL_CTX_set_tlsext_ticket_key_evp_cb work, for one ticket: with
  // `encrypt`, sets up the first key and writes its name and a fresh IV;
  // otherwise looks the name up. Returns what the callback returns: 1 done,
  // 2 done but re-issue the ticket under the first key, 0 unknown key (a full
  // handshake follows), -1 error.
  int setUp(unsigned char name[16], unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX* cipher,
            EVP_MAC_CTX* mac, bool encrypt) const;

 private:
  TicketKeys() = default;

  std::vector<TicketKey> keys_;
};

}  // namespace tlsgate
