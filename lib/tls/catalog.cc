#include "tls/catalog.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace tlsgate {
namespace {

struct SslCtxDeleter {
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct CipherStackDeleter {
  void operator()(STACK_OF(SSL_CIPHER) * ciphers) const { sk_SSL_CIPHER_free(ciphers); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using CipherStackPtr = std::unique_ptr<STACK_OF(SSL_CIPHER), CipherStackDeleter>;

constexpr int kDefaultSecurityLevel = 2;
// tlsgate refuses TLS 1.0 and 1.1 above security level 0.
constexpr int kLegacySecurityLevel = 0;

struct ProtocolVersion {
  const char* name;
  int version;
  int security_level;
};

constexpr ProtocolVersion kProtocolVersions[] = {
    {"tls1", TLS1_VERSION, kLegacySecurityLevel},
    {"tls1.1", TLS1_1_VERSION, kLegacySecurityLevel},
    {"tls1.2", TLS1_2_VERSION, kDefaultSecurityLevel},
    {"tls1.3", TLS1_3_VERSION, kDefaultSecurityLevel},
};

const ProtocolVersion& findProtocol(const std::string& name) {
  for (const ProtocolVersion& protocol : kProtocolVersions) {
    if (name == protocol.name) {
      return protocol;
    }
  }
  throw std::invalid_argument("unknown protocol \"" + name +
                              "\": use tls1, tls1.1, tls1.2 or tls1.3");
}

// A context limited to [min_version, max_version], or null when the library
// refuses that range (a version compiled out). The compiled-in default lists
// are set explicitly, so the answer does not depend on openssl.cnf.
SslCtxPtr makeContext(int min_version, int max_version, int security_level) {
  SslCtxPtr context(SSL_CTX_new(TLS_method()));
  if (!context) {
    ERR_clear_error();
    throw std::runtime_error("OpenSSL cannot create an SSL_CTX");
  }
  SSL_CTX_set_security_level(context.get(), security_level);
  bool ok = SSL_CTX_set_cipher_list(context.get(), OSSL_default_cipher_list()) == 1 &&
            SSL_CTX_set_ciphersuites(context.get(), OSSL_default_ciphersuites()) == 1 &&
            SSL_CTX_set_min_proto_version(context.get(), min_version) == 1 &&
            SSL_CTX_set_max_proto_version(context.get(), max_version) == 1;
  ERR_clear_error();
  if (!ok) {
    return nullptr;
  }
  return context;
}

// The suites a connection from this context could negotiate: OpenSSL drops
// those outside the version range or below the security level.
std::vector<const SSL_CIPHER*> enabledCiphers(SSL_CTX* context) {
  SslPtr ssl(SSL_new(context));
  CipherStackPtr stack(ssl ? SSL_get1_supported_ciphers(ssl.get()) : nullptr);
  ERR_clear_error();
  std::vector<const SSL_CIPHER*> ciphers;
  if (!stack) {
    return ciphers;
  }
  for (int i = 0; i < sk_SSL_CIPHER_num(stack.get()); ++i) {
    ciphers.push_back(sk_SSL_CIPHER_value(stack.get(), i));
  }
  return ciphers;
}

std::vector<const SSL_CIPHER*> enabledCiphers(int min_version, int max_version,
                                              int security_level) {
  SslCtxPtr context = makeContext(min_version, max_version, security_level);
  if (!context) {
    return {};
  }
  return enabledCiphers(context.get());
}

std::string trimRight(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
    text.pop_back();
  }
  return text;
}

CipherEntry describeCipher(const SSL_CIPHER* cipher) {
  char buffer[256];
  const char* description = SSL_CIPHER_description(cipher, buffer, sizeof buffer);
  const char* standard_name = SSL_CIPHER_standard_name(cipher);
  return CipherEntry{
      .name = SSL_CIPHER_get_name(cipher),
      .standard_name = standard_name != nullptr ? standard_name : "",
      .protocol = SSL_CIPHER_get_version(cipher),
      .description = description != nullptr ? trimRight(description) : "",
  };
}

std::vector<std::string> splitWords(const std::string& text) {
  std::istringstream stream(text);
  std::vector<std::string> words;
  for (std::string word; stream >> word;) {
    words.push_back(word);
  }
  return words;
}

// SSL_CIPHER_description() pads to fixed widths that long names overflow;
// re-aligning its words gives straight columns whatever the names.
std::string formatVerbose(const std::vector<CipherEntry>& ciphers) {
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> widths;
  for (const CipherEntry& cipher : ciphers) {
    rows.push_back(splitWords(cipher.description));
    const std::vector<std::string>& row = rows.back();
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t column = 0; column < row.size(); ++column) {
      widths[column] = std::max(widths[column], row[column].size());
    }
  }
  std::string out;
  for (const std::vector<std::string>& row : rows) {
    std::string line;
    for (size_t column = 0; column < row.size(); ++column) {
      line += row[column];
      line.append(widths[column] + 1 - row[column].size(), ' ');
    }
    out += trimRight(line) + '\n';
  }
  return out;
}

}  // namespace

std::vector<std::string> supportedProtocols() {
  std::vector<std::string> names;
  for (const ProtocolVersion& protocol : kProtocolVersions) {
    // A version counts only if some suite can carry it at the level where
    // tlsgate would allow it; a build without the version refuses the range.
    if (!enabledCiphers(protocol.version, protocol.version, protocol.security_level).empty()) {
      names.emplace_back(protocol.name);
    }
  }
  return names;
}

std::vector<CipherEntry> listCiphers(const std::optional<std::string>& protocol) {
  std::vector<const SSL_CIPHER*> ciphers;
  if (protocol) {
    const ProtocolVersion& version = findProtocol(*protocol);
    ciphers = enabledCiphers(version.version, version.version, version.security_level);
  } else {
    ciphers = enabledCiphers(TLS1_2_VERSION, TLS1_3_VERSION, kDefaultSecurityLevel);
  }
  std::vector<CipherEntry> entries;
  entries.reserve(ciphers.size());
  for (const SSL_CIPHER* cipher : ciphers) {
    entries.push_back(describeCipher(cipher));
  }
  return entries;
}

std::string formatCiphers(const std::vector<CipherEntry>& ciphers, bool verbose) {
  if (verbose) {
    return formatVerbose(ciphers);
  }
  std::string out;
  for (const CipherEntry& cipher : ciphers) {
    out += cipher.name + '\n';
  }
  return out;
}

std::string opensslVersion() {
  return OpenSSL_version(OPENSSL_VERSION);
}

}  // namespace tlsgate
