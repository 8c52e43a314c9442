#include "proxy/server.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <set>
#include <stdexcept>
#include <thread>

#include "proxy/listen_socket.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

uint64_t steadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void closeAll(const std::vector<std::vector<int>>& sockets) {
  for (const auto& fds : sockets) {
    for (int fd : fds) {
      if (fd >= 0) {
        ::close(fd);
      }
    }
  }
}

// The address text of a bound socket, in SocketAddress::str() form; empty
// when it is not a listening stream socket.
std::string listeningAddressOf(int fd) {
  int listening = 0;
  socklen_t length = sizeof(listening);
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || listening == 0) {
    return {};
  }
  sockaddr_storage address{};
  length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return {};
  }
  return formatSockaddr(reinterpret_cast<const sockaddr*>(&address));
}

}  // namespace

int Server::resolveWorkerCount(int configured) {
  if (configured > 0) {
    return configured;
  }
  unsigned int cpus = std::thread::hardware_concurrency();
  return cpus > 0 ? static_cast<int>(cpus) : 1;
}

Server::Server(const Config& config, MetricsRegistry& metrics,
               const std::vector<InheritedSocket>& inherited)
    : metrics_(metrics) {
  const auto count = static_cast<std::size_t>(resolveWorkerCount(config.global.workers));
  if (metrics_.workers() != count) {
    throw std::logic_error("the metrics registry is sized for another number of workers");
  }
  adoptInherited(inherited);
  current_.number = 1;
  current_.global = std::make_shared<const GlobalConfig>(config.global);
  current_.listeners = buildListeners(config, current_.number);

  // Bind everything first, so a bad address fails startup before any thread runs.
  std::vector<std::vector<int>> sockets;
  try {
    for (const auto& listener : current_.listeners) {
      sockets.push_back(socketsFor(*listener));
    }
  } catch (...) {
    closeAll(sockets);
    throw;
  }
  for (std::size_t i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<Worker>(static_cast<int>(i), shared_,
                                                assignmentFor(current_, sockets, i)));
  }
  // Inherited sockets that no listener claimed would only queue connections
  // nobody accepts.
  std::set<int> claimed;
  for (const auto& listener : current_.listeners) {
    if (auto it = inheritedFor(*listener); it != inherited_.end()) {
      claimed.insert(it->second);
    }
  }
  std::set<int> unclaimed;
  for (const auto& [key, fd] : inherited_) {
    if (claimed.count(fd) == 0 && unclaimed.insert(fd).second) {
      spdlog::warn("socket activation: no listener matches the socket passed as {}; closing it",
                   key);
    }
  }
  for (auto it = inherited_.begin(); it != inherited_.end();) {
    it = unclaimed.count(it->second) != 0 ? inherited_.erase(it) : std::next(it);
  }
  for (int fd : unclaimed) {
    ::close(fd);
  }
}

Server::~Server() {
  stop();
  wait();
  workers_.clear();
  std::set<int> fds;
  for (const auto& [key, fd] : inherited_) {
    fds.insert(fd);
  }
  for (int fd : fds) {
    ::close(fd);
  }
}

void Server::adoptInherited(const std::vector<InheritedSocket>& inherited) {
  for (const InheritedSocket& socket : inherited) {
    const std::string address = listeningAddressOf(socket.fd);
    if (address.empty()) {
      spdlog::warn(
          "socket activation: descriptor {} ({}) is not a listening TCP socket; closing it",
          socket.fd, socket.name.empty() ? "unnamed" : socket.name);
      ::close(socket.fd);
      continue;
    }
    ::fcntl(socket.fd, F_SETFD, FD_CLOEXEC);
    // systemd passes blocking sockets unless NonBlocking=yes; the loops need
    // them non-blocking.
    ::fcntl(socket.fd, F_SETFL, ::fcntl(socket.fd, F_GETFL) | O_NONBLOCK);
    // systemd names unnamed sockets "unknown"; those match by address only.
    if (!socket.name.empty() && socket.name != "unknown") {
      inherited_.emplace("name " + socket.name, socket.fd);
    }
    inherited_.emplace("address " + address, socket.fd);
  }
}

// What worker `index` serves of `generation`: `sockets[l][index]` is its
// socket for listener l, or -1 to keep the one it has.
WorkerAssignment Server::assignmentFor(const Generation& generation,
                                       const std::vector<std::vector<int>>& sockets,
                                       std::size_t index) {
  WorkerAssignment assignment;
  assignment.generation = generation.number;
  assignment.global = generation.global;
  for (std::size_t l = 0; l < generation.listeners.size(); ++l) {
    const auto& listener = generation.listeners[l];
    assignment.listeners.push_back(
        {listener, &metrics_.listener(listener->config.name, index), sockets[l][index]});
  }
  return assignment;
}

// The inherited socket named after the listener, else the one bound to its
// address; inherited_.end() when there is neither.
std::map<std::string, int>::const_iterator Server::inheritedFor(const Listener& listener) const {
  auto it = inherited_.find("name " + listener.config.name);
  return it != inherited_.end() ? it : inherited_.find("address " + listener.listen_key);
}

// One socket per worker for `listener`: duplicates of an inherited socket,
// matched by listener name and then by address, or new SO_REUSEPORT sockets.
std::vector<int> Server::socketsFor(const Listener& listener) {
  const std::size_t count = metrics_.workers();
  std::vector<int> fds;
  const auto inherited = inheritedFor(listener);
  const bool unix_socket = listener.listen_address.family() == AF_UNIX;
  try {
    for (std::size_t i = 0; i < count; ++i) {
      if (inherited == inherited_.end() && unix_socket && i == 0) {
        // A unix path binds once; the workers share that socket.
        fds.push_back(openUnixListenSocket(listener.listen_address,
                                           listener.config.accept.unix_socket,
                                           listener.config.accept.address.mark));
        continue;
      }
      if (inherited == inherited_.end() && !unix_socket) {
        fds.push_back(
            openListenSocket(listener.listen_address, listener.config.accept.address.mark));
        continue;
      }
      const int shared = inherited == inherited_.end() ? fds.front() : inherited->second;
      const int fd = ::fcntl(shared, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        throw ConfigError(
            listener.config.accept.address.mark, "address",
            "cannot use the socket passed by systemd: " + std::generic_category().message(errno));
      }
      fds.push_back(fd);
    }
  } catch (...) {
    closeAll({fds});
    throw;
  }
  return fds;
}

void Server::start() {
  started_ = true;
  for (auto& worker : workers_) {
    worker->start();
  }
}

ReloadSummary Server::reload(const Config& config) {
  Generation next;
  next.number = generation() + 1;
  next.global = std::make_shared<const GlobalConfig>(config.global);
  next.listeners = buildListeners(config, next.number);

  if (resolveWorkerCount(config.global.workers) != static_cast<int>(workers_.size())) {
    spdlog::warn("reload: global.workers changes only on restart; keeping {} worker(s)",
                 workers_.size());
  }
  if (config.global.user != current_.global->user ||
      config.global.group != current_.global->group) {
    spdlog::warn("reload: global.user and global.group change only on restart");
  }

  std::set<std::string> running;
  for (const auto& listener : current_.listeners) {
    running.insert(listener->listen_key);
  }
  ReloadSummary summary;
  summary.generation = next.number;
  std::vector<std::vector<int>> sockets;
  try {
    for (const auto& listener : next.listeners) {
      if (running.count(listener->listen_key) != 0) {
        sockets.emplace_back(workers_.size(), -1);
        ++summary.kept;
        continue;
      }
      sockets.push_back(socketsFor(*listener));
      ++summary.added;
    }
  } catch (...) {
    closeAll(sockets);
    throw;
  }
  summary.removed = current_.listeners.size() - summary.kept;

  for (std::size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->assign(assignmentFor(next, sockets, i));
  }
  std::lock_guard lock(mutex_);
  current_ = std::move(next);
  return summary;
}

void Server::stop() {
  for (auto& worker : workers_) {
    worker->requestStop();
  }
}

void Server::abort(const std::string& reason) {
  for (auto& worker : workers_) {
    worker->requestAbort(reason);
  }
}

void Server::wait() {
  for (auto& worker : workers_) {
    worker->join();
  }
}

uint64_t Server::generation() const {
  std::lock_guard lock(mutex_);
  return current_.number;
}

std::vector<std::shared_ptr<const Listener>> Server::listeners() const {
  std::lock_guard lock(mutex_);
  return current_.listeners;
}

uint64_t Server::drainForced() const {
  uint64_t forced = 0;
  for (const auto& worker : workers_) {
    forced += worker->drainForced();
  }
  return forced;
}

uint64_t Server::handshakesInProgress() const {
  uint64_t in_progress = 0;
  for (const auto& worker : workers_) {
    in_progress += worker->handshakesInProgress();
  }
  return in_progress;
}

uint64_t Server::handshakeLimit() const {
  std::lock_guard lock(mutex_);
  return current_.global->limits.max_handshakes * workers_.size();
}

ConnectionListing Server::connections(std::chrono::milliseconds bound) {
  struct Answers {
    std::mutex mutex;
    std::condition_variable answered_cv;
    std::size_t answered = 0;
    std::vector<ConnectionSnapshot> connections;
  };
  auto answers = std::make_shared<Answers>();
  std::size_t asked = 0;
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    const bool posted = w->post([answers, w] {
      std::vector<ConnectionSnapshot> mine = w->snapshotConnections();
      std::lock_guard lock(answers->mutex);
      answers->connections.insert(answers->connections.end(), std::make_move_iterator(mine.begin()),
                                  std::make_move_iterator(mine.end()));
      ++answers->answered;
      answers->answered_cv.notify_all();
    });
    asked += posted ? 1 : 0;
  }
  ConnectionListing listing;
  std::unique_lock lock(answers->mutex);
  answers->answered_cv.wait_for(lock, bound, [&] { return answers->answered == asked; });
  listing.workers_unanswered = asked - answers->answered;
  listing.connections = std::move(answers->connections);
  answers->connections.clear();
  lock.unlock();
  std::sort(listing.connections.begin(), listing.connections.end(),
            [](const ConnectionSnapshot& a, const ConnectionSnapshot& b) { return a.id < b.id; });
  return listing;
}

void Server::enableHeartbeat(uint64_t interval_ms) {
  for (auto& worker : workers_) {
    worker->enableHeartbeat(interval_ms);
  }
}

bool Server::workersResponsive(uint64_t max_age_ms, int* stuck) const {
  const uint64_t now = steadyMs();
  for (const auto& worker : workers_) {
    if (!worker->finished() && now - worker->lastHeartbeatMs() > max_age_ms) {
      if (stuck != nullptr) {
        *stuck = worker->index();
      }
      return false;
    }
  }
  return true;
}

}  // namespace tlsgate
