#include "config/tls_config_parser.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/env_expansion.h"
#include "util/config_error.h"
#include "util/side.h"
#include "util/text.h"

namespace tlsgate {
namespace {

// Which side of a listener a tls key belongs to: a Side, or both of them.
enum class KeySide { both, accept, connect };

constexpr std::array<std::string_view, 23> kAllTlsKeys = {
    // both sides
    "cafile", "cadir", "castore", "protocols", "cipher", "ciphersuites", "groups", "security_level",
    "alpn", "keylog", "session",
    // accept side
    "certificates", "sni", "client_certs", "dhparams", "ocsp_staple",
    // connect side
    "servername", "verify", "peer_name", "pin_sha256", "cert", "key", "password"};
constexpr std::array<std::string_view, 16> kAcceptTlsKeys = {
    "cafile", "cadir",          "castore",  "protocols",  "cipher",  "ciphersuites",
    "groups", "security_level", "alpn",     "keylog",     "session", "certificates",
    "sni",    "client_certs",   "dhparams", "ocsp_staple"};
constexpr std::array<std::string_view, 18> kConnectTlsKeys = {
    "cafile", "cadir",          "castore",    "protocols", "cipher",  "ciphersuites",
    "groups", "security_level", "alpn",       "keylog",    "session", "servername",
    "verify", "peer_name",      "pin_sha256", "cert",      "key",     "password"};

constexpr std::array<std::string_view, 1> kSniKeys = {"unknown"};
constexpr std::array<std::string_view, 5> kAllSessionKeys = {"tickets", "ticket_keys", "cache_size",
                                                             "timeout", "resume"};
constexpr std::array<std::string_view, 4> kAcceptSessionKeys = {"tickets", "ticket_keys",
                                                                "cache_size", "timeout"};
constexpr std::array<std::string_view, 1> kConnectSessionKeys = {"resume"};
constexpr int64_t kMaxSessionCacheSize = 100000000;

constexpr std::array<std::string_view, 4> kCertificateKeys = {"cert", "key", "password",
                                                              "self_signed"};
constexpr std::array<std::string_view, 2> kPasswordKeys = {"file", "env"};
constexpr std::array<std::string_view, 7> kClientCertsKeys = {
    "mode", "cafile", "cadir", "castore", "verify_depth", "crl", "allow"};
constexpr std::array<std::string_view, 5> kAllowKeys = {"subject_cn", "san_dns", "san_uri",
                                                        "san_ip", "sha256"};

// The connect side's client certificate, inherited from tls_defaults as a unit.
constexpr std::array<std::string_view, 3> kClientCertificateKeys = {"cert", "key", "password"};

constexpr std::size_t kMaxAlpnProtocolLength = 255;  // one length byte on the wire (RFC 7301)

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

KeySide sideOf(std::string_view key) {
  if (contains(kAcceptTlsKeys, key) && contains(kConnectTlsKeys, key)) {
    return KeySide::both;
  }
  return contains(kAcceptTlsKeys, key) ? KeySide::accept : KeySide::connect;
}

bool appliesTo(std::string_view key, Side side) {
  const KeySide key_side = sideOf(key);
  return key_side == KeySide::both || (key_side == KeySide::accept) == (side == Side::accept);
}

KeySchema schemaFor(Side side) {
  if (side == Side::accept) {
    return KeySchema{kAcceptTlsKeys};
  }
  return KeySchema{kConnectTlsKeys};
}

std::string wrongSideReason(std::string_view key, Side side) {
  if (side == Side::connect) {
    return "belongs on the accept side (accept.tls), not on the connect side";
  }
  if (contains(kClientCertificateKeys, key)) {
    return "belongs on the connect side (connect.tls), where it is the client certificate; "
           "the accept side lists its certificates under 'certificates: [{cert: ..., key: ...}]'";
  }
  return "belongs on the connect side (connect.tls), not on the accept side";
}

using TlsEntries = std::map<std::string, ConfigNode, std::less<>>;

const ConfigNode* findEntry(const TlsEntries& entries, std::string_view key) {
  auto it = entries.find(key);
  return it == entries.end() ? nullptr : &it->second;
}

// The block's own entries, each checked against the block's side.
TlsEntries blockEntries(const ConfigNode& block, Side side) {
  TlsEntries out;
  const KeySchema schema = schemaFor(side);
  for (ConfigNode::Entry& entry : block.entries()) {
    if (contains(kAllTlsKeys, entry.key) && !appliesTo(entry.key, side)) {
      throw ConfigError(entry.key_mark, entry.value.path(), wrongSideReason(entry.key, side));
    }
    if (!contains(kAllTlsKeys, entry.key)) {
      throw ConfigError(entry.key_mark, entry.value.path(), unknownKeyReason(entry.key, schema));
    }
    out.emplace(entry.key, std::move(entry.value));
  }
  return out;
}

bool setsClientCertificate(const TlsEntries& entries) {
  return std::any_of(kClientCertificateKeys.begin(), kClientCertificateKeys.end(),
                     [&entries](std::string_view key) { return findEntry(entries, key); });
}

// Adds the defaults that apply to `side` and that the block does not set.
void inheritDefaults(TlsEntries& entries, const ConfigNode& defaults, Side side) {
  const bool block_has_client_certificate = setsClientCertificate(entries);
  for (ConfigNode::Entry& entry : defaults.entries()) {
    if (!appliesTo(entry.key, side)) {
      continue;  // e.g. servername in tls_defaults says nothing to accept blocks
    }
    if (block_has_client_certificate && contains(kClientCertificateKeys, entry.key)) {
      continue;
    }
    entries.emplace(entry.key, std::move(entry.value));  // keeps the block's value if set
  }
}

PasswordSource parsePassword(const ConfigNode& node) {
  node.checkKeys(KeySchema{kPasswordKeys});
  auto file = node.find("file");
  auto env = node.find("env");
  if (file.has_value() == env.has_value()) {
    node.fail("give exactly one of {file: PATH} or {env: VARIABLE}");
  }
  PasswordSource out;
  if (file) {
    out.file = file->asPath();
    return out;
  }
  out.env = env->asLocatedString();
  if (!isEnvName(out.env->value)) {
    env->fail("'" + out.env->value + "' is not an environment variable name");
  }
  return out;
}

CertificateConfig parseCertificate(const ConfigNode& node) {
  node.checkKeys(KeySchema{kCertificateKeys});
  CertificateConfig out;
  out.cert = node.require("cert").asPath();
  if (auto key = node.find("key")) {
    out.key = key->asPath();
  }
  if (auto password = node.find("password")) {
    out.password = parsePassword(*password);
  }
  auto self_signed = node.find("self_signed");
  if (!self_signed || !self_signed->asBool()) {
    return out;
  }
  out.self_signed = true;
  if (out.key.value.empty()) {
    self_signed->fail("self_signed needs both a cert and a key path to write to; add key: PATH");
  }
  if (out.password) {
    self_signed->fail("self_signed writes an unencrypted key; remove password");
  }
  return out;
}

std::vector<CertificateConfig> parseCertificates(const ConfigNode& node) {
  std::vector<CertificateConfig> out;
  for (const ConfigNode& item : node.items()) {
    item.expectMap();
    out.push_back(parseCertificate(item));
  }
  if (out.empty()) {
    node.fail("needs at least one certificate: [{cert: PATH, key: PATH}]");
  }
  return out;
}

ClientCertMode parseClientCertMode(const ConfigNode& node) {
  const std::string mode = node.asString();
  if (mode == "none") {
    return ClientCertMode::none;
  }
  if (mode == "request") {
    return ClientCertMode::request;
  }
  if (mode == "require") {
    return ClientCertMode::require;
  }
  node.fail("expected none, request or require, not '" + mode + "'");
}

std::string parseDnsRule(const ConfigNode& item) {
  std::string name = lowerCase(item.asNonEmptyString());
  const std::size_t star = name.find('*');
  if (star != std::string::npos && (star != 0 || !name.starts_with("*.") || name.size() < 3 ||
                                    name.find('*', 1) != std::string::npos)) {
    item.fail("a wildcard must be a whole first label, like *.internal.example");
  }
  return name;
}

std::string parseIpRule(const ConfigNode& item) {
  const std::string written = item.asNonEmptyString();
  unsigned char address[16] = {};
  char text[INET6_ADDRSTRLEN] = {};
  const int family = written.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, written.c_str(), address) != 1 ||
      inet_ntop(family, address, text, sizeof text) == nullptr) {
    item.fail("'" + written + "' is not an IPv4 or IPv6 address");
  }
  return text;
}

// "AB:CD:..." or "abcd...": 32 bytes in hex, colons optional.
std::string parseSha256Pin(const ConfigNode& item) {
  const std::string written = item.asNonEmptyString();
  std::string hex;
  for (char c : written) {
    if (c == ':') {
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      item.fail("'" + written + "' is not a SHA-256 fingerprint in hex (AB:CD:... or abcd...)");
    }
    hex.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (hex.size() != 64) {
    item.fail("a SHA-256 fingerprint has 64 hex digits, not " + std::to_string(hex.size()) +
              " (see sha256_hash in `tlsgate cert-info FILE`)");
  }
  return hex;
}

template <typename Parse>
std::vector<std::string> parseRuleList(const ConfigNode& node, Parse parse) {
  std::vector<std::string> out;
  for (const ConfigNode& item : node.items()) {
    out.push_back(parse(item));
  }
  return out;
}

ClientCertAllow parseAllow(const ConfigNode& node) {
  node.checkKeys(KeySchema{kAllowKeys});
  ClientCertAllow out;
  const auto any = [](const ConfigNode& item) { return item.asNonEmptyString(); };
  if (auto list = node.find("subject_cn")) {
    out.subject_cn = parseRuleList(*list, any);
  }
  if (auto list = node.find("san_dns")) {
    out.san_dns = parseRuleList(*list, parseDnsRule);
  }
  if (auto list = node.find("san_uri")) {
    out.san_uri = parseRuleList(*list, any);
  }
  if (auto list = node.find("san_ip")) {
    out.san_ip = parseRuleList(*list, parseIpRule);
  }
  if (auto list = node.find("sha256")) {
    out.sha256 = parseRuleList(*list, parseSha256Pin);
  }
  return out;
}

ClientCertConfig parseClientCerts(const ConfigNode& node) {
  node.checkKeys(KeySchema{kClientCertsKeys});
  ClientCertConfig out;
  if (auto mode = node.find("mode")) {
    out.mode = parseClientCertMode(*mode);
  }
  if (auto cafile = node.find("cafile")) {
    out.cafile = cafile->asPath();
  }
  if (auto cadir = node.find("cadir")) {
    out.cadir = cadir->asPath();
  }
  if (auto castore = node.find("castore")) {
    out.castore = castore->asNonEmptyString();
  }
  if (auto depth = node.find("verify_depth")) {
    out.verify_depth = static_cast<int>(depth->asInteger(1, 100));
  }
  if (auto crl = node.find("crl")) {
    out.crl = crl->asPath();
  }
  if (auto allow = node.find("allow")) {
    out.allow = parseAllow(*allow);
  }
  if (out.mode != ClientCertMode::none) {
    return out;
  }
  for (std::string_view key : {"crl", "allow"}) {
    if (auto unused = node.find(key)) {
      unused->fail("has no effect with mode: none; set mode: request or require, or remove it");
    }
  }
  return out;
}

SniConfig parseSni(const ConfigNode& node) {
  node.checkKeys(KeySchema{kSniKeys});
  SniConfig out;
  auto unknown = node.find("unknown");
  if (!unknown) {
    return out;
  }
  const std::string value = unknown->asString();
  if (value != "default" && value != "reject") {
    unknown->fail("expected default or reject, not '" + value + "'");
  }
  out.reject_unknown = value == "reject";
  return out;
}

// In a block, the session keys of the other side are errors. Inherited from
// tls_defaults, they are skipped, like the side-specific tls keys.
void checkSessionKeys(const ConfigNode& node, Side side) {
  const bool accept = side == Side::accept;
  for (const ConfigNode::Entry& entry : node.entries()) {
    const bool mine =
        accept ? contains(kAcceptSessionKeys, entry.key) : contains(kConnectSessionKeys, entry.key);
    if (mine) {
      continue;
    }
    if (contains(kAllSessionKeys, entry.key)) {
      throw ConfigError(entry.key_mark, entry.value.path(),
                        accept ? "belongs on the connect side: session.resume is for connect.tls"
                               : "belongs on the accept side: the connect side's session takes "
                                 "only resume");
    }
    const KeySchema schema{accept ? std::span<const std::string_view>(kAcceptSessionKeys)
                                  : std::span<const std::string_view>(kConnectSessionKeys)};
    throw ConfigError(entry.key_mark, entry.value.path(), unknownKeyReason(entry.key, schema));
  }
}

Duration parseSessionTimeout(const ConfigNode& node) {
  const Duration timeout = node.asPositiveDuration();
  if (timeout < std::chrono::seconds(1)) {
    node.fail("must be at least 1s: OpenSSL counts session lifetimes in whole seconds");
  }
  return timeout;
}

// `inherited`: the session block came from tls_defaults, where the keys of
// both sides may appear; the other side's are skipped, not errors.
ServerSessionConfig parseServerSession(const ConfigNode& node, bool inherited) {
  if (!inherited) {
    checkSessionKeys(node, Side::accept);
  }
  ServerSessionConfig out;
  if (auto tickets = node.find("tickets")) {
    out.tickets = tickets->asBool();
  }
  if (auto keys = node.find("ticket_keys")) {
    out.ticket_keys = keys->asPath();
  }
  if (auto size = node.find("cache_size")) {
    out.cache_size = static_cast<uint64_t>(size->asInteger(0, kMaxSessionCacheSize));
  }
  if (auto timeout = node.find("timeout")) {
    out.timeout = parseSessionTimeout(*timeout);
  }
  if (!out.tickets && !out.ticket_keys.value.empty()) {
    node.require("ticket_keys").fail("has no effect with tickets: false; remove one of them");
  }
  return out;
}

ClientSessionConfig parseClientSession(const ConfigNode& node, bool inherited) {
  if (!inherited) {
    checkSessionKeys(node, Side::connect);
  }
  ClientSessionConfig out;
  if (auto resume = node.find("resume")) {
    out.resume = resume->asBool();
  }
  return out;
}

std::vector<std::string> parseAlpn(const ConfigNode& node) {
  std::vector<std::string> out;
  for (const ConfigNode& item : node.items()) {
    std::string protocol = item.asNonEmptyString();
    if (protocol.size() > kMaxAlpnProtocolLength) {
      item.fail("an ALPN protocol name is at most 255 bytes");
    }
    out.push_back(std::move(protocol));
  }
  return out;
}

std::string normalizedProtocolName(std::string name) {
  name = lowerCase(name);
  // OpenSSL spells them TLSv1.2; accept that too.
  if (name.starts_with("tlsv") || name.starts_with("sslv")) {
    name.erase(3, 1);
  }
  return name;
}

bool isLegacy(TlsProtocol protocol) {
  return protocol == TlsProtocol::tls1_0 || protocol == TlsProtocol::tls1_1;
}

TlsProtocol parseProtocol(const ConfigNode& item, int security_level) {
  const std::string written = item.asString();
  const std::string name = normalizedProtocolName(written);
  if (name.starts_with("ssl")) {
    item.fail("'" + written + "' is never supported: SSL 2 and 3 are broken; use tls1.2 or tls1.3");
  }
  TlsProtocol protocol{};
  if (name == "tls1.3") {
    protocol = TlsProtocol::tls1_3;
  } else if (name == "tls1.2") {
    protocol = TlsProtocol::tls1_2;
  } else if (name == "tls1.1") {
    protocol = TlsProtocol::tls1_1;
  } else if (name == "tls1" || name == "tls1.0") {
    protocol = TlsProtocol::tls1_0;
  } else {
    item.fail("unknown protocol '" + written + "'; expected tls1.2 or tls1.3");
  }
  if (isLegacy(protocol) && security_level != 0) {
    item.fail("'" + written +
              "' is insecure and only allowed with security_level: 0 (in this tls block or "
              "tls_defaults); prefer tls1.2 and tls1.3");
  }
  return protocol;
}

std::vector<TlsProtocol> parseProtocols(const ConfigNode& node, int security_level) {
  std::vector<TlsProtocol> out;
  for (const ConfigNode& item : node.items()) {
    const TlsProtocol protocol = parseProtocol(item, security_level);
    if (std::find(out.begin(), out.end(), protocol) != out.end()) {
      item.fail("is listed twice");
    }
    out.push_back(protocol);
  }
  if (out.empty()) {
    node.fail("needs at least one protocol, e.g. [tls1.2, tls1.3]");
  }
  std::sort(out.begin(), out.end());
  // OpenSSL takes a minimum and a maximum version, so a gap cannot be honoured.
  if (static_cast<std::size_t>(static_cast<int>(out.back()) - static_cast<int>(out.front())) + 1 !=
      out.size()) {
    node.fail("must be a contiguous range of versions, e.g. [tls1.2, tls1.3]");
  }
  return out;
}

std::optional<CertificateConfig> parseClientCertificate(const TlsEntries& entries) {
  const ConfigNode* cert = findEntry(entries, "cert");
  for (std::string_view needs_cert : {"key", "password"}) {
    const ConfigNode* node = findEntry(entries, needs_cert);
    if (node != nullptr && cert == nullptr) {
      node->fail("needs cert: the client certificate's key and password go with a cert");
    }
  }
  if (cert == nullptr) {
    return std::nullopt;
  }
  CertificateConfig out;
  out.cert = cert->asPath();
  if (const ConfigNode* key = findEntry(entries, "key")) {
    out.key = key->asPath();
  }
  if (const ConfigNode* password = findEntry(entries, "password")) {
    out.password = parsePassword(*password);
  }
  return out;
}

// Keys of either side's block that set one field each.
void applyPolicyKey(std::string_view key, const ConfigNode& value, TlsPolicyConfig& tls) {
  if (key == "cafile") {
    tls.cafile = value.asPath();
  } else if (key == "cadir") {
    tls.cadir = value.asPath();
  } else if (key == "castore") {
    tls.castore = value.asNonEmptyString();
  } else if (key == "cipher") {
    tls.cipher = value.asString();
  } else if (key == "ciphersuites") {
    tls.ciphersuites = value.asString();
  } else if (key == "groups") {
    tls.groups = value.asString();
  } else if (key == "security_level") {
    tls.security_level = static_cast<int>(value.asInteger(0, 5));
  } else if (key == "alpn") {
    tls.alpn = parseAlpn(value);
  } else if (key == "keylog") {
    tls.keylog = value.asPath();
  }
  // protocols depends on security_level; see parsePolicy.
}

// Keys of an accept block that set one field each.
void applyServerKey(std::string_view key, const ConfigNode& value, ServerTlsConfig& tls) {
  if (key == "certificates") {
    tls.certificates = parseCertificates(value);
  } else if (key == "sni") {
    tls.sni = parseSni(value);
  } else if (key == "dhparams") {
    tls.dhparams = value.asPath();
  } else if (key == "ocsp_staple") {
    tls.ocsp_staple = value.asPath();
  } else if (key == "client_certs") {
    tls.client_certs = parseClientCerts(value);
  }
}

// Keys of a connect block that set one field each. cert, key and password
// make one client certificate; see parseClientCertificate.
void applyClientKey(std::string_view key, const ConfigNode& value, ClientTlsConfig& tls) {
  if (key == "servername") {
    tls.servername = value.asNonEmptyString();
  } else if (key == "verify") {
    tls.verify = value.asBool();
  } else if (key == "peer_name") {
    tls.peer_name = value.asNonEmptyString();
  } else if (key == "pin_sha256") {
    tls.pin_sha256 = parseRuleList(value, parseSha256Pin);
  }
}

// The keys both sides share, the same way for either.
void parsePolicy(const TlsEntries& entries, TlsPolicyConfig& tls) {
  for (const auto& [key, value] : entries) {
    applyPolicyKey(key, value, tls);
  }
  // After security_level, which decides whether legacy versions are allowed.
  if (const ConfigNode* protocols = findEntry(entries, "protocols")) {
    tls.protocols = parseProtocols(*protocols, tls.security_level);
  }
}

bool hasTrustAnchors(const ServerTlsConfig& tls) {
  const ClientCertConfig& cc = tls.client_certs;
  return !cc.cafile.value.empty() || !cc.cadir.value.empty() || !cc.castore.empty() ||
         !tls.cafile.value.empty() || !tls.cadir.value.empty() || !tls.castore.empty();
}

void checkAcceptSide(const ServerTlsConfig& tls, const ConfigNode& block,
                     const TlsEntries& entries) {
  if (tls.certificates.empty()) {
    block.fail(
        "the accept side needs certificates: [{cert: PATH, key: PATH}] "
        "(here or in global.tls_defaults)");
  }
  if (tls.client_certs.mode == ClientCertMode::none || hasTrustAnchors(tls)) {
    return;
  }
  const ConfigNode& client_certs = *findEntry(entries, "client_certs");
  const ConfigNode mode = client_certs.require("mode");
  mode.fail(
      "client certificates cannot be verified without a CA; set cafile, cadir or castore "
      "in client_certs or in the tls block");
}

void checkConnectSide(const ClientTlsConfig& tls, const TlsEntries& entries) {
  if (!tls.verify && !tls.pin_sha256.empty()) {
    findEntry(entries, "pin_sha256")
        ->fail(
            "needs verify: true; pins are checked after the chain and name, which verify: "
            "false turns off");
  }
  if (tls.verify || tls.peer_name.empty()) {
    return;
  }
  findEntry(entries, "peer_name")
      ->fail(
          "has no effect with verify: false; remove one of them (verify: false turns off "
          "name checks too)");
}

// A block's entries, checked against its side, with the defaults that apply
// to that side added.
struct SideEntries {
  TlsEntries entries;
  bool session_inherited = false;  // the session key came from tls_defaults
};

SideEntries sideEntries(const ConfigNode& block, Side side,
                        const std::optional<ConfigNode>& defaults) {
  block.expectMap();
  SideEntries out{blockEntries(block, side)};
  out.session_inherited = findEntry(out.entries, "session") == nullptr;
  if (defaults) {
    inheritDefaults(out.entries, *defaults, side);
  }
  return out;
}

}  // namespace

void checkTlsDefaults(const ConfigNode& defaults) {
  defaults.checkKeys(KeySchema{kAllTlsKeys});
  TlsEntries entries;
  for (ConfigNode::Entry& entry : defaults.entries()) {
    entries.emplace(entry.key, std::move(entry.value));
  }
  // Type-check every value. Legacy protocols are let through here: whether
  // they are allowed depends on each block's security_level.
  ServerTlsConfig server;
  ClientTlsConfig client;
  for (const auto& [key, value] : entries) {
    applyPolicyKey(key, value, server);
    applyServerKey(key, value, server);
    applyClientKey(key, value, client);
  }
  if (const ConfigNode* protocols = findEntry(entries, "protocols")) {
    parseProtocols(*protocols, 0);
  }
  if (const ConfigNode* session = findEntry(entries, "session")) {
    session->checkKeys(KeySchema{kAllSessionKeys});
    parseServerSession(*session, true);
    parseClientSession(*session, true);
  }
  parseClientCertificate(entries);
}

ServerTlsConfig parseServerTlsBlock(const ConfigNode& block,
                                    const std::optional<ConfigNode>& defaults) {
  const auto [entries, session_inherited] = sideEntries(block, Side::accept, defaults);
  ServerTlsConfig tls;
  parsePolicy(entries, tls);
  for (const auto& [key, value] : entries) {
    applyServerKey(key, value, tls);
  }
  if (const ConfigNode* session = findEntry(entries, "session")) {
    tls.session = parseServerSession(*session, session_inherited);
  }
  tls.mark = block.mark();
  checkAcceptSide(tls, block, entries);
  return tls;
}

ClientTlsConfig parseClientTlsBlock(const ConfigNode& block,
                                    const std::optional<ConfigNode>& defaults) {
  const auto [entries, session_inherited] = sideEntries(block, Side::connect, defaults);
  ClientTlsConfig tls;
  parsePolicy(entries, tls);
  for (const auto& [key, value] : entries) {
    applyClientKey(key, value, tls);
  }
  if (const ConfigNode* session = findEntry(entries, "session")) {
    tls.session = parseClientSession(*session, session_inherited);
  }
  tls.client_certificate = parseClientCertificate(entries);
  tls.mark = block.mark();
  checkConnectSide(tls, entries);
  return tls;
}

}  // namespace tlsgate
