#include "config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>

#include "config/accept_parser.h"
#include "config/config_node.h"
#include "config/connect_parser.h"
#include "config/route_parser.h"
#include "config/tls_config_parser.h"
#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"

namespace tlsgate {
namespace {

constexpr std::array<std::string_view, 2> kRootKeys = {"global", "listeners"};
constexpr std::array<std::string_view, 9> kGlobalKeys = {
    "workers", "user", "group", "log", "admin", "watch", "timeouts", "limits", "tls_defaults"};
constexpr std::array<std::string_view, 3> kAdminKeys = {"listen", "allow_remote", "token_file"};
constexpr std::array<std::string_view, 3> kLogKeys = {"level", "format", "file"};
constexpr std::array<std::string_view, 5> kTimeoutKeys = {"handshake", "connect", "idle", "close",
                                                          "drain"};
constexpr std::array<std::string_view, 5> kLimitKeys = {
    "max_connections", "buffer_size", "strict_fd_limit", "max_handshakes", "record_layer_after"};
constexpr std::array<std::string_view, 4> kListenerKeys = {"name", "accept", "connect", "routes"};
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};

constexpr int64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxConnections = 100'000'000;
constexpr uint64_t kMaxHandshakes = 1'000'000;
// Below a TLS record (16k) plus framing every record would stall the reader;
// 4k is still allowed for plaintext relays on small machines.
constexpr uint64_t kMinBufferSize = uint64_t{4} * 1024;
constexpr uint64_t kMaxBufferSize = uint64_t{64} * 1024 * 1024;

// ---------------------------------------------------------------- global

int parseWorkers(const ConfigNode& node) {
  if (!node.isScalar()) {
    node.fail("expected auto or a number");
  }
  if (node.asString() == "auto") {
    return 0;
  }
  return static_cast<int>(node.asInteger(1, kMaxWorkers));
}

LogConfig parseLog(const ConfigNode& node) {
  node.checkKeys(KeySchema{kLogKeys});
  LogConfig log;
  if (auto level = node.find("level")) {
    log.level = level->asString();
    if (std::find(kLogLevels.begin(), kLogLevels.end(), log.level) == kLogLevels.end()) {
      level->fail("expected trace, debug, info, warn, error, critical or off");
    }
  }
  if (auto format = node.find("format")) {
    const std::string value = format->asString();
    if (value != "text" && value != "json") {
      format->fail("expected text or json");
    }
    log.format = value == "json" ? LogFormat::json : LogFormat::text;
  }
  if (auto file = node.find("file")) {
    const std::string value = file->asNonEmptyString();
    log.file = (value == "stderr" || value == "syslog") ? value : file->asPath().value;
  }
  return log;
}

Timeouts parseTimeouts(const ConfigNode& node) {
  node.checkKeys(KeySchema{kTimeoutKeys});
  Timeouts timeouts;
  const std::pair<std::string_view, Duration*> fields[] = {{"handshake", &timeouts.handshake},
                                                           {"connect", &timeouts.connect},
                                                           {"idle", &timeouts.idle},
                                                           {"close", &timeouts.close},
                                                           {"drain", &timeouts.drain}};
  for (const auto& [key, field] : fields) {
    if (auto value = node.find(key)) {
      *field = value->asPositiveDuration();
    }
  }
  return timeouts;
}

Limits parseLimits(const ConfigNode& node) {
  node.checkKeys(KeySchema{kLimitKeys});
  Limits limits;
  if (auto max = node.find("max_connections")) {
    limits.max_connections = static_cast<uint64_t>(max->asInteger(1, kMaxConnections));
    limits.max_connections_set = true;
    limits.max_connections_mark = max->mark();
  }
  if (auto strict = node.find("strict_fd_limit")) {
    limits.strict_fd_limit = strict->asBool();
  }
  if (auto handshakes = node.find("max_handshakes")) {
    limits.max_handshakes = static_cast<uint64_t>(handshakes->asInteger(1, kMaxHandshakes));
  }
  if (auto size = node.find("buffer_size")) {
    limits.buffer_size = static_cast<std::size_t>(size->asSize(kMinBufferSize, kMaxBufferSize));
  }
  if (auto after = node.find("record_layer_after")) {
    limits.record_layer_after = after->asOptionalDuration("off");
  }
  return limits;
}

bool isLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// Connection listings show peer addresses and certificate subjects: the
// endpoint stays on loopback or a unix socket unless the operator opts in
// and sets a token.
AdminConfig parseAdmin(const ConfigNode& node) {
  node.expectMap();
  node.checkKeys(KeySchema{kAdminKeys});
  AdminConfig admin;
  const ConfigNode listen = node.require("listen");
  admin.listen = listen.asAddress();
  if (auto remote = node.find("allow_remote")) {
    admin.allow_remote = remote->asBool();
  }
  if (auto token = node.find("token_file")) {
    admin.token_file = token->asPath();
  }
  if (admin.listen->isUnix() || isLoopbackHost(admin.listen->host)) {
    return admin;
  }
  if (!admin.allow_remote) {
    listen.fail(
        "is not a loopback address; /connections shows client addresses and certificate "
        "subjects, so a remote admin endpoint needs allow_remote: true and a token_file");
  }
  if (admin.token_file.value.empty()) {
    listen.fail(
        "a remote admin endpoint (allow_remote: true) needs token_file: a file whose "
        "first line is the bearer token clients must send");
  }
  return admin;
}

GlobalConfig parseGlobal(const ConfigNode& node) {
  node.checkKeys(KeySchema{kGlobalKeys});
  GlobalConfig global;
  if (auto workers = node.find("workers")) {
    global.workers = parseWorkers(*workers);
  }
  if (auto user = node.find("user")) {
    global.user = user->asNonEmptyString();
  }
  if (auto group = node.find("group")) {
    global.group = group->asNonEmptyString();
  }
  if (auto log = node.find("log")) {
    global.log = parseLog(*log);
  }
  if (auto admin = node.find("admin")) {
    global.admin = parseAdmin(*admin);
  }
  if (auto watch = node.find("watch")) {
    global.watch = watch->asBool();
  }
  if (auto timeouts = node.find("timeouts")) {
    global.timeouts = parseTimeouts(*timeouts);
  }
  if (auto limits = node.find("limits")) {
    global.limits = parseLimits(*limits);
  }
  if (auto defaults = node.find("tls_defaults")) {
    checkTlsDefaults(*defaults);
  }
  return global;
}

// ---------------------------------------------------------------- listeners

// Routes on a listener that does not terminate TLS read the client's
// ClientHello and pass its TLS through; a tls block on the way to the
// backend would wrap that TLS in a second session.
void checkPassthrough(const ListenerConfig& listener, const ConfigNode& node,
                      const ConfigNode& routes) {
  if (listener.accept.tls) {
    return;
  }
  const char* reason =
      "this listener routes the client's own TLS through without terminating it (it has routes "
      "and no accept.tls), so the backend already gets TLS; remove this tls block, or add "
      "accept.tls to terminate and re-encrypt";
  if (auto tls = node.require("connect").find("tls")) {
    tls->fail(reason);
  }
  const std::vector<ConfigNode> items = routes.items();
  for (std::size_t i = 0; i < items.size() && i < listener.routes.size(); ++i) {
    if (auto tls = items[i].require("connect").find("tls")) {
      tls->fail(reason);
    }
  }
}

ListenerConfig parseListener(const ConfigNode& node,
                             const std::optional<ConfigNode>& tls_defaults) {
  node.expectMap();
  node.checkKeys(KeySchema{kListenerKeys});
  ListenerConfig listener;
  listener.mark = node.mark();
  listener.name = node.require("name").asNonEmptyString();
  const ConfigNode accept = node.require("accept");
  accept.expectMap();
  listener.accept = parseAccept(accept, tls_defaults);
  listener.connect = parseConnect(node.require("connect"), listener.accept, tls_defaults);
  if (auto routes = node.find("routes")) {
    listener.routes = parseRoutes(*routes, listener.accept, tls_defaults);
    checkPassthrough(listener, node, *routes);
  }
  return listener;
}

std::string addressKey(const Address& address) {
  if (address.isUnix()) {
    return "unix:" + address.unix_path;
  }
  return "[" + address.host + "]:" + std::to_string(address.port);
}

std::string lineOf(const SourceMark& mark) {
  return "line " + std::to_string(mark.line);
}

// Names label logs and metrics, and two sockets cannot bind one address.
void checkUnique(const std::vector<ListenerConfig>& listeners, const ConfigNode& list) {
  std::map<std::string, const ListenerConfig*> names;
  std::map<std::string, const ListenerConfig*> addresses;
  const std::vector<ConfigNode> items = list.items();
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const ListenerConfig& listener = listeners[i];
    auto [name, name_is_new] = names.emplace(listener.name, &listener);
    if (!name_is_new) {
      items[i].require("name").fail("the listener at " + lineOf(name->second->mark) +
                                    " already has the name '" + listener.name +
                                    "'; names must be unique");
    }
    auto [address, address_is_new] =
        addresses.emplace(addressKey(listener.accept.address), &listener);
    if (!address_is_new) {
      throw ConfigError(listener.accept.address.mark, items[i].path() + ".accept.address",
                        "listener '" + address->second->name + "' (" +
                            lineOf(address->second->accept.address.mark) +
                            ") already accepts on this address");
    }
  }
}

std::vector<ListenerConfig> parseListeners(const ConfigNode& list,
                                           const std::optional<ConfigNode>& tls_defaults) {
  std::vector<ListenerConfig> listeners;
  for (const ConfigNode& item : list.items()) {
    listeners.push_back(parseListener(item, tls_defaults));
  }
  if (listeners.empty()) {
    list.fail("needs at least one listener");
  }
  checkUnique(listeners, list);
  return listeners;
}

// ---------------------------------------------------------------- documents

YAML::Node parseYaml(const std::string& yaml, const std::string& name) {
  try {
    return YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw ConfigError(toSourceMark(e.mark, name), "", "YAML syntax error: " + e.msg);
  }
}

Config parseDocument(const YAML::Node& document, const LoadContext& context) {
  if (document.IsNull()) {
    throw ConfigError(SourceMark{context.file}, "",
                      "the configuration is empty; it needs at least a listeners: list");
  }
  const ConfigNode root(document, "", toSourceMark(document.Mark(), context.file), context);
  root.expectMap();
  root.checkKeys(KeySchema{kRootKeys});
  Config config;
  config.path = context.file;
  const std::optional<ConfigNode> global = root.find("global");
  if (global) {
    global->expectMap();
    config.global = parseGlobal(*global);
  }
  const std::optional<ConfigNode> tls_defaults =
      global ? global->find("tls_defaults") : std::nullopt;
  config.listeners = parseListeners(root.require("listeners"), tls_defaults);
  return config;
}

std::string readConfigFile(const std::string& path) {
  FileContents file = readWholeFile(path);
  if (!file.ok()) {
    throw ConfigError("cannot read config file " + path + ": " + errnoText(file.error));
  }
  return std::move(file.bytes);
}

std::filesystem::path directoryOf(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) {
    return std::filesystem::path(path).parent_path();
  }
  return absolute.lexically_normal().parent_path();
}

}  // namespace

Config ConfigLoader::loadFile(const std::string& path) {
  const std::string yaml = readConfigFile(path);
  const LoadContext context{path, directoryOf(path)};
  return parseDocument(parseYaml(yaml, path), context);
}

Config ConfigLoader::loadString(const std::string& yaml, const std::string& name,
                                const std::string& base_dir) {
  const LoadContext context{name, base_dir};
  return parseDocument(parseYaml(yaml, name), context);
}

}  // namespace tlsgate
