#include "proxy/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>

#include "proxy/acceptor.h"
#include "proxy/connection.h"
#include "util/heap_trim.h"

namespace tlsgate {
namespace {

constexpr uint64_t kSweepIntervalMs = 250;

uint64_t steadyMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Worker::Worker(int index, WorkerShared& shared, WorkerAssignment assignment)
    : index_(index), shared_(shared) {
  uv_loop_init(&loop_);
  uv_async_init(&loop_, &tasks_async_,
                [](uv_async_t* async) { static_cast<Worker*>(async->data)->runTasks(); });
  tasks_async_.data = this;
  handshakes_.open(&loop_);
  for (uv_timer_t* timer : {&drain_timer_, &sweep_timer_, &heartbeat_timer_, &trim_timer_}) {
    uv_timer_init(&loop_, timer);
    timer->data = this;
  }
  applyAssignment(std::move(assignment));
}

Worker::~Worker() {
  join();
  if (!started_) {
    // Never started: close the handles made in the constructor.
    closeAcceptors();
    run();
  }
  uv_loop_close(&loop_);
}

void Worker::start() {
  for (auto& [key, acceptor] : acceptors_) {
    acceptor->start();
  }
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  if (started_) {
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  {
    std::lock_guard lock(tasks_mutex_);
    tasks_open_ = false;
    tasks_.clear();
  }
  // Anything still open (only on error paths) is closed so the loop can end.
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (uv_is_closing(handle) == 0) {
          uv_close(handle, nullptr);
        }
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);
  finished_.store(true, std::memory_order_relaxed);
}

bool Worker::post(std::function<void()> task) {
  std::lock_guard lock(tasks_mutex_);
  if (!tasks_open_) {
    return false;
  }
  tasks_.push_back(std::move(task));
  uv_async_send(&tasks_async_);
  return true;
}

void Worker::runTasks() {
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(tasks_mutex_);
    tasks.swap(tasks_);
  }
  for (auto& task : tasks) {
    task();
  }
}

void Worker::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::requestStop() {
  post([this] { onStopRequested(); });
}

void Worker::requestAbort(const std::string& reason) {
  post([this, reason] {
    onStopRequested();
    abortAll(reason);
  });
}

void Worker::assign(WorkerAssignment assignment) {
  // std::function needs a copyable callable; the assignment travels in a
  // shared_ptr and is moved out once.
  auto shared = std::make_shared<WorkerAssignment>(std::move(assignment));
  const bool posted = post([this, shared] { applyAssignment(std::move(*shared)); });
  if (!posted) {
    for (const auto& entry : shared->listeners) {
      if (entry.fd >= 0) {
        ::close(entry.fd);
      }
    }
  }
}

void Worker::applyAssignment(WorkerAssignment assignment) {
  generation_ = assignment.generation;
  global_ = std::move(assignment.global);
  handshakes_.setLimit(global_->limits.max_handshakes);
  std::map<std::string, Acceptor*> next;
  for (auto& entry : assignment.listeners) {
    const std::string& key = entry.listener->listen_key;
    auto kept = acceptors_.find(key);
    if (kept != acceptors_.end()) {
      if (entry.fd >= 0) {
        ::close(entry.fd);  // the socket this worker has serves the address already
      }
      kept->second->assign(entry.listener, entry.metrics);
      next[key] = kept->second;
      acceptors_.erase(kept);
      continue;
    }
    if (entry.fd < 0) {
      spdlog::error("worker {}: no socket for listener {} ({})", index_,
                    entry.listener->config.name, key);
      continue;
    }
    Acceptor* acceptor = Acceptor::create(&loop_, entry.fd, entry.listener, entry.metrics,
                                          [this](Acceptor& from, int fd) { onAccepted(from, fd); });
    next[key] = acceptor;
    acceptor->hold(handshakes_.full());
    if (stopping_) {
      acceptor->close();
      next.erase(key);
    } else if (started_) {
      acceptor->start();
    }
  }
  // What is left belongs to listeners the new config no longer has.
  closeAcceptors();
  acceptors_ = std::move(next);
}

void Worker::closeAcceptors() {
  for (auto& [key, acceptor] : acceptors_) {
    acceptor->close();
  }
  acceptors_.clear();
}

// At limits.max_handshakes, no listener of this worker accepts: the
// kernel's listen queue holds new clients until a handshake ends.
void Worker::holdAccepting(bool hold) {
  for (auto& [key, acceptor] : acceptors_) {
    acceptor->hold(hold);
  }
}

void Worker::onAccepted(Acceptor& acceptor, int fd) {
  Connection::accept(*this, acceptor.listener(), acceptor.metrics(), fd);
}

void Worker::enableHeartbeat(uint64_t interval_ms) {
  heartbeat_ms_.store(steadyMs(), std::memory_order_relaxed);
  post([this, interval_ms] {
    uv_timer_start(
        &heartbeat_timer_,
        [](uv_timer_t* t) {
          static_cast<Worker*>(t->data)->heartbeat_ms_.store(steadyMs(), std::memory_order_relaxed);
        },
        0, interval_ms);
  });
}

void Worker::noteTlsStateFreed() {
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&trim_timer_)) != 0 || loop_closing_) {
    return;
  }
  constexpr uint64_t kTrimDelayMs = 1000;
  uv_timer_start(
      &trim_timer_, [](uv_timer_t* /*timer*/) { trimHeap(); }, kTrimDelayMs, 0);
}

void Worker::onStopRequested() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  closeAcceptors();
  const auto drain = global().timeouts.drain;
  if (connection_count_ > 0) {
    spdlog::info("worker {}: draining {} connection(s) for up to {}ms", index_, connection_count_,
                 drain.count());
    uv_timer_start(
        &drain_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->onDrainTimeout(); },
        static_cast<uint64_t>(drain.count()), 0);
    uv_timer_start(
        &sweep_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->sweepIdle(); }, 0,
        kSweepIntervalMs);
  }
  closeIfIdle();
}

// Keep-alive connections that sit between requests would hold the drain
// for its whole length: close them, gracefully, once they are quiet.
void Worker::sweepIdle() {
  const uint64_t now = uv_now(&loop_);
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next;
    c->closeIfIdle(now, kDrainIdleMs);
    c = next;
  }
}

void Worker::onDrainTimeout() {
  const std::size_t forced = connection_count_;
  drain_forced_.store(forced, std::memory_order_relaxed);
  abortAll("shutting down: timeouts.drain expired");
}

void Worker::abortAll(const std::string& reason) {
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next;
    c->abort(reason, TimeoutKind::drain);
    c = next;
  }
}

void Worker::closeIfIdle() {
  if (!stopping_ || connection_count_ > 0 || loop_closing_) {
    return;
  }
  loop_closing_ = true;
  {
    std::lock_guard lock(tasks_mutex_);
    tasks_open_ = false;
    tasks_.clear();
  }
  for (uv_timer_t* timer : {&drain_timer_, &sweep_timer_, &heartbeat_timer_, &trim_timer_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&tasks_async_), nullptr);
  handshakes_.close();
}

std::vector<ConnectionSnapshot> Worker::snapshotConnections() const {
  std::vector<ConnectionSnapshot> out;
  out.reserve(connection_count_);
  for (const Connection* c = connections_; c != nullptr; c = c->next) {
    out.push_back(c->snapshot());
    out.back().worker = static_cast<std::size_t>(index_);
  }
  return out;
}

void Worker::add(Connection* connection) {
  connection->next = connections_;
  if (connections_ != nullptr) {
    connections_->prev = connection;
  }
  connections_ = connection;
  ++connection_count_;
  shared_.active_connections.fetch_add(1, std::memory_order_relaxed);
}

void Worker::remove(Connection* connection) {
  if (connection->prev != nullptr) {
    connection->prev->next = connection->next;
  } else {
    connections_ = connection->next;
  }
  if (connection->next != nullptr) {
    connection->next->prev = connection->prev;
  }
  connection->prev = connection->next = nullptr;
  --connection_count_;
  shared_.active_connections.fetch_sub(1, std::memory_order_relaxed);
  closeIfIdle();
}

}  // namespace tlsgate
