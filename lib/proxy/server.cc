#include "proxy/server.h"

#include <unistd.h>

#include <thread>

#include "proxy/listen_socket.h"

namespace tlsgate {

int Server::resolveWorkerCount(int configured) {
  if (configured > 0) {
    return configured;
  }
  unsigned int cpus = std::thread::hardware_concurrency();
  return cpus > 0 ? static_cast<int>(cpus) : 1;
}

Server::Server(const Config& config)
    : shared_(std::make_unique<WorkerShared>()), listeners_(buildListeners(config)) {
  shared_->global = config.global;
  const int count = resolveWorkerCount(config.global.workers);

  // Bind everything first, so a bad address fails startup before any thread runs.
  std::vector<std::vector<int>> fds(static_cast<std::size_t>(count));
  try {
    for (auto& worker_fds : fds) {
      for (const auto& listener : listeners_) {
        worker_fds.push_back(
            openListenSocket(listener->listen_address, listener->config.accept.address.mark));
      }
    }
  } catch (...) {
    for (auto& worker_fds : fds) {
      for (int fd : worker_fds) {
        ::close(fd);
      }
    }
    throw;
  }
  for (int i = 0; i < count; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, *shared_, listeners_,
                                                std::move(fds[static_cast<std::size_t>(i)])));
  }
}

Server::~Server() {
  stop();
  wait();
}

void Server::start() {
  for (auto& worker : workers_) {
    worker->start();
  }
}

void Server::stop() {
  for (auto& worker : workers_) {
    worker->requestStop();
  }
}

void Server::wait() {
  for (auto& worker : workers_) {
    worker->join();
  }
}

}  // namespace tlsgate
