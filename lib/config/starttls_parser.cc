#include "config/starttls_parser.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "config/host_name.h"

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 3> kAcceptStarttlsKeys = {"protocol", "require", "hostname"};

constexpr std::array<StarttlsProtocol, 6> kAllProtocols = {
    StarttlsProtocol::none, StarttlsProtocol::smtp, StarttlsProtocol::imap,
    StarttlsProtocol::pop3, StarttlsProtocol::ftp,  StarttlsProtocol::postgres};

std::optional<StarttlsProtocol> protocolNamed(std::string_view name) {
  for (StarttlsProtocol protocol : kAllProtocols) {
    if (name == starttlsName(protocol)) {
      return protocol;
    }
  }
  return std::nullopt;
}

bool answeredByTlsgate(StarttlsProtocol protocol) {
  return protocol == StarttlsProtocol::smtp || protocol == StarttlsProtocol::imap ||
         protocol == StarttlsProtocol::pop3;
}

// An accept-side protocol word; `none` only in the short form, where it
// turns the preamble off.
StarttlsProtocol parseAcceptProtocol(const ConfigNode& node, bool none_allowed) {
  const std::string expected =
      none_allowed ? "expected none, smtp, imap or pop3, or a map { protocol: smtp, "
                     "require: true, hostname: NAME }"
                   : "expected smtp, imap or pop3";
  if (!node.isScalar()) {
    node.fail(expected);
  }
  const std::string written = node.asString();
  const std::optional<StarttlsProtocol> protocol = protocolNamed(written);
  if (!protocol) {
    node.fail(expected + ", not '" + written + "'");
  }
  if (*protocol == StarttlsProtocol::none && !none_allowed) {
    node.fail(
        "the map form needs the protocol to offer: smtp, imap or pop3; write starttls: none "
        "to turn STARTTLS off");
  }
  if (*protocol != StarttlsProtocol::none && !answeredByTlsgate(*protocol)) {
    node.fail(written + " STARTTLS is connect-side only: tlsgate can upgrade its connection to a " +
              written +
              " backend (connect.starttls), but does not answer the preamble for clients; the "
              "accept side offers smtp, imap or pop3");
  }
  return *protocol;
}

std::string parseGreetingName(const ConfigNode& node) {
  std::string name = node.asNonEmptyString();
  // The name goes into the plaintext greeting and EHLO reply; anything but a
  // host name could break the protocol's line syntax.
  if (!isHostName(name)) {
    node.fail("'" + name + "' is not a host name such as mx.example.com");
  }
  return name;
}

}  // namespace

const char* starttlsName(StarttlsProtocol protocol) {
  switch (protocol) {
    case StarttlsProtocol::none:
      return "none";
    case StarttlsProtocol::smtp:
      return "smtp";
    case StarttlsProtocol::imap:
      return "imap";
    case StarttlsProtocol::pop3:
      return "pop3";
    case StarttlsProtocol::ftp:
      return "ftp";
    case StarttlsProtocol::postgres:
      return "postgres";
  }
  return "none";
}

AcceptStarttls parseAcceptStarttls(const ConfigNode& node) {
  AcceptStarttls out;
  if (!node.isMap()) {
    out.protocol = parseAcceptProtocol(node, true);
    return out;
  }
  node.checkKeys(KeySchema{kAcceptStarttlsKeys});
  out.protocol = parseAcceptProtocol(node.require("protocol"), false);
  if (auto require = node.find("require")) {
    out.require = require->asBool();
  }
  if (auto hostname = node.find("hostname")) {
    out.hostname = parseGreetingName(*hostname);
  }
  return out;
}

StarttlsProtocol parseConnectStarttls(const ConfigNode& node) {
  const std::string expected = "expected none, smtp, imap, pop3, ftp or postgres";
  if (!node.isScalar()) {
    node.fail(expected);
  }
  const std::string written = node.asString();
  const std::optional<StarttlsProtocol> protocol = protocolNamed(written);
  if (!protocol) {
    node.fail(expected + ", not '" + written + "'");
  }
  return *protocol;
}

}  // namespace tlsgate
