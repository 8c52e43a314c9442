#include "config/via_parser.h"

#include <array>
#include <string>
#include <string_view>

#include "util/errno_text.h"

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 3> kViaKeys = {"http_connect", "socks5", "auth_file"};

// RFC 1929: the user name and the password each have a one-byte length.
constexpr std::size_t kMaxSocksCredential = 255;
void checkCredentials(const ConfigNode& node, const std::string& path, ViaConfig::Kind kind) {
  const SecretLine line(path, kMaxAuthFileLine);
  if (std::string error = authFileReadError(line, path); !error.empty()) {
    node.fail(error);
  }
  const std::size_t colon = line.text().find(':');
  if (colon == std::string::npos) {
    node.fail("the first line of " + path +
              " must be user:password, and it has no ':' (the line is not shown here because "
              "it may hold a password)");
  }
  const std::size_t user_length = colon;
  const std::size_t password_length = line.text().size() - colon - 1;
  if (user_length == 0) {
    node.fail("the first line of " + path + " has an empty user name before the ':'");
  }
  if (kind != ViaConfig::Kind::socks5) {
    return;
  }
  if (password_length == 0) {
    node.fail("the first line of " + path +
              " has an empty password after the ':'; SOCKS5 needs one of 1 to 255 bytes "
              "(RFC 1929)");
  }
  if (user_length > kMaxSocksCredential) {
    node.fail("the user name in " + path + " is " + std::to_string(user_length) +
              " bytes; SOCKS5 allows at most 255 (RFC 1929)");
  }
  if (password_length > kMaxSocksCredential) {
    node.fail("the password in " + path + " is " + std::to_string(password_length) +
              " bytes; SOCKS5 allows at most 255 (RFC 1929)");
  }
}

Address parseProxyAddress(const ConfigNode& node) {
  Address proxy = node.asAddress();
  if (proxy.isUnix()) {
    node.fail("the proxy is reached at HOST:PORT; a unix: proxy address is not supported");
  }
  return proxy;
}

}  // namespace

std::string authFileReadError(const SecretLine& line, const std::string& path) {
  if (line.error() != 0) {
    return "cannot read " + path + ": " + errnoText(line.error());
  }
  if (line.tooLong()) {
    return "the first line of " + path + " is longer than " + std::to_string(kMaxAuthFileLine) +
           " bytes; it must be user:password";
  }
  return {};
}

ViaConfig parseVia(const ConfigNode& node) {
  node.expectMap();
  node.checkKeys(KeySchema{kViaKeys});
  const auto http_connect = node.find("http_connect");
  const auto socks5 = node.find("socks5");
  if (http_connect && socks5) {
    socks5->fail(
        "give only one of http_connect and socks5: a backend is reached through one proxy");
  }
  if (!http_connect && !socks5) {
    node.fail("needs http_connect: HOST:PORT or socks5: HOST:PORT");
  }
  ViaConfig via;
  via.kind = http_connect ? ViaConfig::Kind::http_connect : ViaConfig::Kind::socks5;
  via.proxy = parseProxyAddress(http_connect ? *http_connect : *socks5);
  if (auto auth_file = node.find("auth_file")) {
    via.auth_file = auth_file->asPath();
    checkCredentials(*auth_file, via.auth_file.value, via.kind);
  }
  return via;
}

}  // namespace tlsgate
