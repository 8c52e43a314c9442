#include "admin/admin_client.h"

#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>

#include "admin/connection_table.h"

namespace tlsgate {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";
constexpr time_t kConnectSeconds = 2;
// /connections waits up to 2 s for the workers before it answers.
constexpr time_t kStatusAnswerSeconds = 5;
constexpr time_t kHealthAnswerSeconds = 2;

struct Endpoint {
  std::string host;  // the socket path for a unix socket
  int port = 0;
  bool unix_socket = false;
};

std::optional<int> parsePort(std::string_view text) {
  int port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// "host:port", "[v6]:port" or "unix:/path".
std::optional<Endpoint> parseEndpoint(std::string_view address) {
  if (address.starts_with(kUnixPrefix)) {
    const std::string_view path = address.substr(kUnixPrefix.size());
    if (path.empty()) {
      return std::nullopt;
    }
    // httplib connects to the host as the socket path and ignores the port.
    return Endpoint{std::string(path), 80, true};
  }
  std::string_view host;
  std::string_view port;
  if (address.starts_with('[')) {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") {
      return std::nullopt;
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return std::nullopt;  // an IPv6 address needs brackets
    }
  }
  const std::optional<int> number = parsePort(port);
  if (host.empty() || !number) {
    return std::nullopt;
  }
  return Endpoint{std::string(host), *number, false};
}

httplib::Client clientFor(const Endpoint& endpoint, const AdminTarget& target,
                          time_t answer_seconds) {
  httplib::Client client(endpoint.host, endpoint.port);
  if (endpoint.unix_socket) {
    client.set_address_family(AF_UNIX);
  }
  client.set_connection_timeout(kConnectSeconds, 0);
  client.set_read_timeout(answer_seconds, 0);
  client.set_write_timeout(kConnectSeconds, 0);
  if (!target.token.empty()) {
    client.set_bearer_token_auth(target.token);
  }
  return client;
}

std::string_view firstLine(std::string_view text) {
  return text.substr(0, text.find_first_of("\r\n"));
}

void explainNoAnswer(httplib::Error error, const AdminTarget& target, std::ostream& err) {
  switch (error) {
    case httplib::Error::Connection:
    case httplib::Error::ConnectionTimeout:
      err << "tlsgate: cannot connect to the admin endpoint at " << target.address
          << "; is tlsgate running with global.admin.listen there? (--admin ADDR asks another "
             "address)\n";
      return;
    case httplib::Error::Read:
      err << "tlsgate: the admin endpoint at " << target.address << " did not answer in time\n";
      return;
    default:
      err << "tlsgate: asking the admin endpoint at " << target.address
          << " failed: " << httplib::to_string(error) << "\n";
      return;
  }
}

// The body of a 200 answer to GET `path`; otherwise writes why not to `err`.
std::optional<std::string> fetch(httplib::Client& client, const AdminTarget& target,
                                 const char* path, std::ostream& err) {
  httplib::Result result = client.Get(path);
  if (!result) {
    explainNoAnswer(result.error(), target, err);
    return std::nullopt;
  }
  if (result->status == 401) {
    err << "tlsgate: the admin endpoint at " << target.address
        << (target.token.empty() ? " needs a token (the first line of global.admin.token_file)\n"
                                 : " refused the token (check global.admin.token_file)\n");
    return std::nullopt;
  }
  if (result->status != 200) {
    err << "tlsgate: GET " << path << " at " << target.address << " answered HTTP "
        << result->status << ": " << firstLine(result->body) << "\n";
    return std::nullopt;
  }
  return std::move(result->body);
}

std::optional<nlohmann::json> fetchJson(httplib::Client& client, const AdminTarget& target,
                                        const char* path, std::ostream& err) {
  std::optional<std::string> body = fetch(client, target, path, err);
  if (!body) {
    return std::nullopt;
  }
  nlohmann::json document = nlohmann::json::parse(*body, nullptr, false);
  if (document.is_discarded()) {
    err << "tlsgate: GET " << path << " at " << target.address << " did not answer with JSON\n";
    return std::nullopt;
  }
  return document;
}

std::optional<Endpoint> endpointOf(const AdminTarget& target, std::ostream& err) {
  std::optional<Endpoint> endpoint = parseEndpoint(target.address);
  if (!endpoint) {
    err << "tlsgate: '" << target.address
        << "' is not an admin address; use host:port, [v6]:port or unix:/path\n";
  }
  return endpoint;
}

}  // namespace

int runStatusCommand(const AdminTarget& target, bool json, std::ostream& out, std::ostream& err) {
  const std::optional<Endpoint> endpoint = endpointOf(target, err);
  if (!endpoint) {
    return 1;
  }
  httplib::Client client = clientFor(*endpoint, target, kStatusAnswerSeconds);
  if (json) {
    const std::optional<nlohmann::json> connections =
        fetchJson(client, target, "/connections", err);
    if (!connections) {
      return 1;
    }
    out << connections->dump(2) << "\n";
    return 0;
  }
  const std::optional<nlohmann::json> status = fetchJson(client, target, "/status", err);
  if (!status) {
    return 1;
  }
  const std::optional<nlohmann::json> connections = fetchJson(client, target, "/connections", err);
  if (!connections) {
    return 1;
  }
  out << formatConnectionTable(*status, *connections);
  return 0;
}

int runHealthCommand(const AdminTarget& target, std::ostream& err) {
  const std::optional<Endpoint> endpoint = endpointOf(target, err);
  if (!endpoint) {
    return 1;
  }
  httplib::Client client = clientFor(*endpoint, target, kHealthAnswerSeconds);
  httplib::Result result = client.Get("/healthz");
  if (!result) {
    explainNoAnswer(result.error(), target, err);
    return 1;
  }
  if (result->status == 200) {
    return 0;
  }
  if (result->status == 503) {
    err << "tlsgate: not healthy: " << firstLine(result->body) << "\n";
    return 1;
  }
  err << "tlsgate: GET /healthz at " << target.address << " answered HTTP " << result->status
      << "\n";
  return 1;
}

}  // namespace tlsgate
