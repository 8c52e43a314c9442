#include "config/connect_parser.h"

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/address_parser.h"
#include "config/starttls_parser.h"
#include "config/tls_config_parser.h"
#include "config/via_parser.h"
#include "util/config_error.h"
#include "util/text.h"

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 7> kConnectKeys = {
    "address", "balance", "fail_timeout", "proxy_protocol", "starttls", "via", "tls"};
constexpr std::array<std::string_view, 2> kProxyProtocolKeys = {"version", "client_cert"};

// Enough for any pool a single listener should balance over; a longer list
// is more likely a generated mistake, and each backend keeps health state.
constexpr std::size_t kMaxAddresses = 64;

std::string lineOf(const SourceMark& mark) {
  return "line " + std::to_string(mark.line);
}

// Host names compare case-insensitively.
std::string identityOf(const Address& address) {
  Address lowered = address;
  lowered.host = lowerCase(lowered.host);
  return formatAddress(lowered);
}

std::vector<Address> parseAddresses(const ConfigNode& node) {
  if (!node.isList()) {
    return {node.asAddress()};
  }
  const std::vector<ConfigNode> items = node.items();
  if (items.empty()) {
    node.fail("needs at least one address");
  }
  if (items.size() > kMaxAddresses) {
    node.fail("lists " + std::to_string(items.size()) + " addresses; at most " +
              std::to_string(kMaxAddresses) + " are allowed");
  }
  std::vector<Address> out;
  std::map<std::string, SourceMark> seen;
  for (const ConfigNode& item : items) {
    Address address = item.asAddress();
    auto [earlier, is_new] = seen.emplace(identityOf(address), address.mark);
    if (!is_new) {
      item.fail("'" + formatAddress(address) + "' is listed twice (first at " +
                lineOf(earlier->second) + "); each backend may appear once");
    }
    out.push_back(std::move(address));
  }
  return out;
}

Balance parseBalance(const ConfigNode& node) {
  const std::string written = node.asString();
  if (written == "round_robin") {
    return Balance::round_robin;
  }
  if (written == "failover") {
    return Balance::failover;
  }
  node.fail("expected round_robin or failover, not '" + written + "'");
}

ProxyProtocolVersion parseProxyVersion(const ConfigNode& node, bool none_allowed) {
  const std::string expected = none_allowed ? "expected none, v1 or v2, or a map { version: v2, "
                                              "client_cert: true }"
                                            : "expected v1 or v2";
  if (!node.isScalar()) {
    node.fail(expected);
  }
  const std::string written = node.asString();
  if (written == "v1") {
    return ProxyProtocolVersion::v1;
  }
  if (written == "v2") {
    return ProxyProtocolVersion::v2;
  }
  if (written == "none" && none_allowed) {
    return ProxyProtocolVersion::none;
  }
  if (written == "none") {
    node.fail("the map form needs version: v1 or v2; write proxy_protocol: none to send no header");
  }
  node.fail(expected + ", not '" + written + "'");
}

// The certificate can only come from the client's TLS handshake with the
// accept side, and only when that side asks for one.
void checkClientCertSource(const ConfigNode& node, const AcceptConfig& accept) {
  if (!accept.tls) {
    node.fail(
        "sends the client's certificate, but the accept side has no tls block, so there is "
        "none to send; remove client_cert or add accept.tls with client_certs");
  }
  if (accept.tls->client_certs.mode == ClientCertMode::none) {
    node.fail(
        "sends the client's certificate, but accept.tls asks clients for none; set "
        "accept.tls.client_certs.mode to request or require, or remove client_cert");
  }
}

ProxyProtocolOut parseProxyProtocol(const ConfigNode& node, const AcceptConfig& accept) {
  ProxyProtocolOut out;
  if (!node.isMap()) {
    out.version = parseProxyVersion(node, true);
    return out;
  }
  node.checkKeys(KeySchema{kProxyProtocolKeys});
  out.version = parseProxyVersion(node.require("version"), false);
  auto client_cert = node.find("client_cert");
  if (!client_cert || !client_cert->asBool()) {
    return out;
  }
  if (out.version != ProxyProtocolVersion::v2) {
    client_cert->fail(
        "needs version: v2; a PROXY v1 header is one text line and cannot carry a certificate");
  }
  checkClientCertSource(*client_cert, accept);
  out.client_cert = true;
  return out;
}

// Name verification needs a name; a unix socket path does not provide one.
void checkBackendName(const ConnectConfig& connect, const ConfigNode& tls_node) {
  const ClientTlsConfig& tls = *connect.tls;
  const bool any_unix = std::any_of(connect.addresses.begin(), connect.addresses.end(),
                                    [](const Address& address) { return address.isUnix(); });
  if (!any_unix || !tls.verify || !tls.servername.empty() || !tls.peer_name.empty()) {
    return;
  }
  tls_node.fail(
      "a unix socket address has no host name to verify the backend against; set servername "
      "or peer_name to the name in its certificate, or verify: false");
}

// HTTP CONNECT and SOCKS5 ask the proxy for a host and port.
void checkViaTargets(const ConnectConfig& connect, const ConfigNode& address_node) {
  for (std::size_t i = 0; i < connect.addresses.size(); ++i) {
    const Address& address = connect.addresses[i];
    if (!address.isUnix()) {
      continue;
    }
    const std::string path = address_node.isList()
                                 ? address_node.path() + "[" + std::to_string(i) + "]"
                                 : address_node.path();
    throw ConfigError(address.mark, path,
                      "'" + formatAddress(address) +
                          "' cannot be reached through via: an HTTP CONNECT or SOCKS5 proxy "
                          "connects to HOST:PORT only; remove via or use a host:port backend");
  }
}

void checkUpgradeHasTls(const ConnectConfig& connect, const ConfigNode& starttls) {
  if (connect.starttls == StarttlsProtocol::none || connect.tls) {
    return;
  }
  starttls.fail(
      "starttls needs a tls block on the same side: the upgrade is to TLS; add connect.tls");
}

}  // namespace

ConnectConfig parseConnect(const ConfigNode& node, const AcceptConfig& accept,
                           const std::optional<ConfigNode>& tls_defaults) {
  node.expectMap();
  node.checkKeys(KeySchema{kConnectKeys});
  ConnectConfig connect;
  connect.mark = node.mark();
  const ConfigNode address = node.require("address");
  connect.addresses = parseAddresses(address);
  if (auto balance = node.find("balance")) {
    connect.balance = parseBalance(*balance);
  }
  if (auto fail_timeout = node.find("fail_timeout")) {
    connect.fail_timeout = fail_timeout->asPositiveDuration();
  }
  if (auto proxy_protocol = node.find("proxy_protocol")) {
    connect.proxy_protocol = parseProxyProtocol(*proxy_protocol, accept);
  }
  if (auto via = node.find("via")) {
    connect.via = parseVia(*via);
    checkViaTargets(connect, address);
  }
  if (auto tls = node.find("tls")) {
    connect.tls = parseClientTlsBlock(*tls, tls_defaults);
    checkBackendName(connect, *tls);
  }
  if (auto starttls = node.find("starttls")) {
    connect.starttls = parseConnectStarttls(*starttls);
    checkUpgradeHasTls(connect, *starttls);
    // A client that stays in plaintext past tlsgate's own preamble would need
    // that preamble replayed inside the server's TLS; tlsgate does not.
    if (connect.starttls != StarttlsProtocol::none &&
        accept.starttls.protocol != StarttlsProtocol::none && !accept.starttls.require) {
      starttls->fail(
          "cannot follow accept.starttls with require: false: a client that stays in plaintext "
          "would have to be replayed inside the server's TLS; set require: true on the accept "
          "side, or remove one of the two");
    }
  }
  return connect;
}

}  // namespace tlsgate
