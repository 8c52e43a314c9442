#include "admin/admin_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <exception>
#include <string_view>

#include "admin/admin_json.h"
#include "admin/admin_token.h"
#include "admin/prometheus_text.h"
#include "util/config_error.h"
#include "util/errno_text.h"

namespace tlsgate {

// httplib::Server keeps its listening socket to itself. The admin server
// needs it to learn the bound port, and to close a socket that was bound but
// never served: httplib's stop() closes only a running server's socket, and
// its destructor closes nothing.
class AdminHttpServer : public httplib::Server {
 public:
  AdminHttpServer() = default;
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;
  AdminHttpServer(AdminHttpServer&&) = delete;
  AdminHttpServer& operator=(AdminHttpServer&&) = delete;
  ~AdminHttpServer() override { closeListener(); }

  int listener() const { return svr_sock_; }

  bool serve() {
    if (listen_after_bind()) {
      return true;
    }
    // After a failed accept() httplib closes the socket but keeps its number.
    svr_sock_ = INVALID_SOCKET;
    return false;
  }

  void closeListener() {
    const socket_t fd = svr_sock_.exchange(INVALID_SOCKET);
    if (fd != INVALID_SOCKET) {
      ::close(fd);
    }
  }
};

namespace {

constexpr std::string_view kListenKey = "global.admin.listen";
constexpr const char* kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJsonType = "application/json";
constexpr const char* kTextType = "text/plain; charset=utf-8";
constexpr auto kConnectionsBound = std::chrono::seconds(2);
// cpp-httplib gives each connection a thread until it closes. One request
// per connection and a half-second read limit hand the thread back soon,
// so scrapers that keep connections open, or a client that sends slowly,
// cannot starve /healthz; eight threads leave room for several scrapers and
// probes at the same moment.
constexpr int kRequestThreads = 8;
constexpr time_t kReadTimeoutUsec = 500'000;
constexpr mode_t kUnixSocketMode = 0600;

std::string hostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ConfigError listenError(const Address& address, const std::string& what, int error) {
  std::string reason = "cannot listen on " + what;
  if (error == 0) {
    // httplib leaves errno alone when getaddrinfo() fails.
    return {address.mark, std::string(kListenKey),
            reason + ": the host does not resolve to an address of this machine"};
  }
  reason += ": " + errnoText(error);
  if (error == EADDRINUSE) {
    reason += " (another program listens there; pick another port or stop it)";
  } else if (error == EACCES) {
    reason += address.isUnix() ? " (the directory is not writable for tlsgate's user)"
                               : " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  } else if (error == EADDRNOTAVAIL) {
    reason += " (no local interface has this address)";
  } else if (error == ENOENT) {
    reason += " (the directory does not exist)";
  }
  return {address.mark, std::string(kListenKey), reason};
}

// Only SO_REUSEADDR: httplib's default also sets SO_REUSEPORT, which would
// let a second tlsgate share the port silently instead of failing to start.
void reuseAddress(socket_t fd) {
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
}

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  return address;
}

// A socket file left by a process that is gone is removed; one that still
// answers belongs to a running process and is left to it.
void removeStaleSocket(const Address& address) {
  const std::string& path = address.unix_path;
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) {
      return;
    }
    throw listenError(address, "unix:" + path, errno);
  }
  if (!S_ISSOCK(info.st_mode)) {
    throw ConfigError(address.mark, std::string(kListenKey),
                      path + " exists and is not a socket; remove it or choose another path");
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw listenError(address, "unix:" + path, errno);
  }
  const sockaddr_un peer = unixAddress(path);
  const bool answered = ::connect(fd, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer)) == 0;
  ::close(fd);
  if (answered) {
    throw ConfigError(address.mark, std::string(kListenKey),
                      "another process listens on unix:" + path +
                          " (is tlsgate running already?); stop it or choose another path");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw ConfigError(address.mark, std::string(kListenKey),
                      "cannot remove the old socket " + path + ": " + errnoText(errno));
  }
}

std::string_view trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is not available");
  }
  return digest;
}

// The first line of the token file, without surrounding whitespace.
std::array<unsigned char, 32> readTokenDigest(const LocatedPath& file) {
  std::string token = readAdminToken(file);
  const std::array<unsigned char, 32> digest = sha256(token);
  OPENSSL_cleanse(token.data(), token.size());
  return digest;
}

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i]))) {
      return false;
    }
  }
  return true;
}

std::string boundName(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return {};
  }
  char host[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return hostPort(host, ntohs(in->sin_port));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return hostPort(host, ntohs(in6->sin6_port));
  }
  return {};
}

// The body of an error answer that no route wrote.
std::string refusal(int status) {
  if (status == 404) {
    return "not found\n";
  }
  std::string text = "request refused (HTTP ";
  text += std::to_string(status);
  text += ")\n";
  return text;
}

std::string exceptionText(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

}  // namespace

AdminServer::AdminServer(const AdminConfig& config, AdminSource& source)
    : source_(source), http_(std::make_unique<AdminHttpServer>()) {
  if (!config.listen) {
    throw ConfigError(std::string(kListenKey) + " is not set");
  }
  if (!config.token_file.value.empty()) {
    token_sha256_ = readTokenDigest(config.token_file);
  }
  http_->new_task_queue = [] { return new httplib::ThreadPool(kRequestThreads); };
  http_->set_socket_options(reuseAddress);
  http_->set_keep_alive_max_count(1);
  http_->set_read_timeout(0, kReadTimeoutUsec);
  http_->set_write_timeout(0, kReadTimeoutUsec);
  http_->set_payload_max_length(4096);
  if (config.listen->isUnix()) {
    bindUnix(*config.listen);
  } else {
    bindTcp(*config.listen);
  }
  addRoutes();
}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::bindTcp(const Address& address) {
  errno = 0;
  const bool bound = address.port == 0 ? http_->bind_to_any_port(address.host) >= 0
                                       : http_->bind_to_port(address.host, address.port);
  if (!bound) {
    throw listenError(address, hostPort(address.host, address.port), errno);
  }
  bound_address_ = boundName(http_->listener());
}

void AdminServer::bindUnix(const Address& address) {
  const std::string& path = address.unix_path;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    throw ConfigError(address.mark, std::string(kListenKey),
                      "unix:" + path + " is longer than the " +
                          std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                          " bytes a socket path can have");
  }
  removeStaleSocket(address);
  http_->set_address_family(AF_UNIX);
  errno = 0;
  // httplib binds the host as the socket path. The port is not used, but it
  // must not be 0, for which httplib asks getsockname() for a TCP port.
  if (!http_->bind_to_port(path, 1)) {
    throw listenError(address, "unix:" + path, errno);
  }
  unix_path_ = path;
  // Until here the socket had the umask's mode; nothing is accepted yet.
  if (::chmod(path.c_str(), kUnixSocketMode) != 0) {
    const int error = errno;
    http_->closeListener();
    ::unlink(path.c_str());
    throw ConfigError(address.mark, std::string(kListenKey),
                      "cannot make " + path + " private (mode 0600): " + errnoText(error));
  }
  bound_address_ = "unix:" + path;
}

bool AdminServer::authorized(const std::string& authorization) const {
  if (!token_sha256_) {
    return true;
  }
  constexpr std::string_view kScheme = "Bearer ";
  if (!startsWithIgnoringCase(authorization, kScheme)) {
    return false;
  }
  const Digest presented = sha256(trimmed(std::string_view(authorization).substr(kScheme.size())));
  return CRYPTO_memcmp(presented.data(), token_sha256_->data(), presented.size()) == 0;
}

void AdminServer::addRoutes() {
  http_->set_pre_routing_handler([this](const httplib::Request& request,
                                        httplib::Response& response) {
    if (request.path == "/healthz" || authorized(request.get_header_value("Authorization"))) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    response.status = 401;
    response.set_header("WWW-Authenticate", "Bearer realm=\"tlsgate\"");
    response.set_content("a bearer token is needed: Authorization: Bearer <token>\n", kTextType);
    return httplib::Server::HandlerResponse::Handled;
  });

  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(renderPrometheus(source_.metrics()), kPrometheusType);
  });
  http_->Get("/status", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(statusJson(source_.status()).dump(2) + "\n", kJsonType);
  });
  http_->Get("/connections", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(connectionsJson(source_.connections(kConnectionsBound)).dump(2) + "\n",
                         kJsonType);
  });
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& response) {
    const StatusSnapshot status = source_.status();
    if (status.ready && !status.draining) {
      response.set_content("ok\n", kTextType);
      return;
    }
    response.status = 503;
    response.set_content(status.draining ? "draining\n" : "not ready\n", kTextType);
  });

  // httplib calls this for every status from 400 up; answers that already
  // say why keep their words.
  http_->set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        if (!response.body.empty()) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        response.set_content(refusal(response.status), kTextType);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http_->set_exception_handler([](const httplib::Request& request, httplib::Response& response,
                                  const std::exception_ptr& exception) {
    spdlog::error("admin endpoint: {} failed: {}", request.path, exceptionText(exception));
    response.status = 500;
    response.set_content("internal error; see tlsgate's log\n", kTextType);
  });
}

void AdminServer::start() {
  thread_ = std::thread([this] {
    try {
      if (!http_->serve()) {
        spdlog::error("admin endpoint on {} stopped: accept() failed", bound_address_);
      }
    } catch (const std::exception& e) {
      spdlog::error("admin endpoint on {} stopped: {}", bound_address_, e.what());
    } catch (...) {
      spdlog::error("admin endpoint on {} stopped", bound_address_);
    }
    serve_ended_ = true;
  });
  // httplib's stop() does nothing before the accept loop runs; wait for it,
  // so that a stop() right after start() is not lost.
  while (!http_->is_running() && !serve_ended_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void AdminServer::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  if (thread_.joinable()) {
    http_->stop();
    thread_.join();
  }
  http_->closeListener();
  if (!unix_path_.empty()) {
    ::unlink(unix_path_.c_str());
  }
}

std::string AdminServer::boundAddress() const {
  return bound_address_;
}

}  // namespace tlsgate
