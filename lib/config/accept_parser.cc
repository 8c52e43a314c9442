#include "config/accept_parser.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/starttls_parser.h"
#include "config/tls_config_parser.h"

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 5> kAcceptKeys = {"address", "tls", "proxy_protocol",
                                                         "starttls", "unix_socket"};
constexpr std::array<std::string_view, 3> kUnixSocketKeys = {"mode", "owner", "group"};

constexpr uint32_t kMaxMode = 0777;
constexpr uint32_t kWriteBits = 0222;
// uid_t and gid_t are 32 bits; (uid_t)-1 means "unchanged" to chown().
constexpr uint64_t kMaxId = 4294967294;

Address parseListenAddress(const ConfigNode& node) {
  if (node.isList()) {
    node.fail(
        "expected a string: a listener accepts on one address; add a listener for each further "
        "address");
  }
  return node.asAddress();
}

// yaml-cpp hands over the scalar as written, so `mode: 0660` arrives as the
// text "0660" and is read here as octal, the way chmod reads it. YAML 1.2's
// 0o660 is accepted too.
uint32_t parseMode(const ConfigNode& node) {
  const std::string written = node.asNonEmptyString();
  std::string_view digits = written;
  if (digits.starts_with("0o") || digits.starts_with("0O")) {
    digits.remove_prefix(2);
  }
  uint32_t mode = 0;
  auto [next, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), mode, 8);
  if (digits.empty() || ec != std::errc() || next != digits.data() + digits.size()) {
    node.fail("'" + written + "' is not an octal mode; write permission bits such as 0660");
  }
  if (mode > kMaxMode) {
    node.fail("'" + written + "' is more than 0777; give only the permission bits, such as 0660");
  }
  // connect() on a unix socket needs write permission on the socket file.
  if ((mode & kWriteBits) == 0) {
    node.fail("'" + written +
              "' lets no one connect: a client needs write permission on the socket; "
              "use e.g. 0660");
  }
  return mode;
}

bool isAllDigits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

bool isAccountNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

// A user or group name, or a numeric id. The name is looked up when the
// socket is bound, so an account created later (or only inside a container)
// still works; this catches only what can never be an account.
std::string parseAccount(const ConfigNode& node, std::string_view what) {
  std::string written = node.asNonEmptyString();
  if (isAllDigits(written)) {
    uint64_t id = 0;
    auto [next, ec] = std::from_chars(written.data(), written.data() + written.size(), id);
    if (ec != std::errc() || next != written.data() + written.size() || id > kMaxId) {
      node.fail("'" + written + "' is not a valid " + std::string(what) + " id (0 to " +
                std::to_string(kMaxId) + ")");
    }
    return written;
  }
  // Samba machine accounts end in '$'; nothing else uses it.
  std::string_view name = written;
  if (name.size() > 1 && name.ends_with('$')) {
    name.remove_suffix(1);
  }
  bool plausible = name.front() != '-';
  for (char c : name) {
    plausible = plausible && isAccountNameChar(c);
  }
  if (!plausible) {
    node.fail("'" + written + "' is not a " + std::string(what) + " name or a numeric " +
              std::string(what) + " id");
  }
  return written;
}

UnixSocketOptions parseUnixSocket(const ConfigNode& node, const Address& address) {
  node.expectMap();
  node.checkKeys(KeySchema{kUnixSocketKeys});
  if (!address.isUnix()) {
    node.fail(
        "sets how a unix socket file is created, but accept.address is not a unix: "
        "address; write address: unix:/path or remove unix_socket");
  }
  UnixSocketOptions out;
  out.mark = node.mark();
  if (auto mode = node.find("mode")) {
    out.mode = parseMode(*mode);
  }
  if (auto owner = node.find("owner")) {
    out.owner = parseAccount(*owner, "user");
  }
  if (auto group = node.find("group")) {
    out.group = parseAccount(*group, "group");
  }
  return out;
}

}  // namespace

AcceptConfig parseAccept(const ConfigNode& node, const std::optional<ConfigNode>& tls_defaults) {
  node.checkKeys(KeySchema{kAcceptKeys});
  AcceptConfig accept;
  accept.address = parseListenAddress(node.require("address"));
  if (auto proxy_protocol = node.find("proxy_protocol")) {
    accept.proxy_protocol = proxy_protocol->asBool();
  }
  if (auto unix_socket = node.find("unix_socket")) {
    accept.unix_socket = parseUnixSocket(*unix_socket, accept.address);
  }
  if (auto tls = node.find("tls")) {
    accept.tls = parseServerTlsBlock(*tls, tls_defaults);
  }
  auto starttls = node.find("starttls");
  if (!starttls) {
    return accept;
  }
  accept.starttls = parseAcceptStarttls(*starttls);
  if (accept.starttls.protocol != StarttlsProtocol::none && !accept.tls) {
    starttls->fail(
        "starttls needs a tls block on the same side: the upgrade is to TLS; add accept.tls "
        "with the certificates to offer");
  }
  return accept;
}

}  // namespace tlsgate
