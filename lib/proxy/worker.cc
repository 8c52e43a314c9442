#include "proxy/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "proxy/connection.h"

namespace tlsgate {

Worker::Worker(int index, WorkerShared& shared, std::vector<std::shared_ptr<Listener>> listeners,
               std::vector<int> listen_fds)
    : index_(index), shared_(shared) {
  uv_loop_init(&loop_);
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    auto slot = std::make_unique<ListenSlot>();
    slot->worker = this;
    slot->listener = std::move(listeners[i]);
    uv_tcp_init(&loop_, &slot->handle);
    slot->handle.data = slot.get();
    uv_tcp_open(&slot->handle, listen_fds[i]);
    slot->open = true;
    slots_.push_back(std::move(slot));
  }
  uv_async_init(&loop_, &stop_async_,
                [](uv_async_t* async) { static_cast<Worker*>(async->data)->onStopRequested(); });
  stop_async_.data = this;
  uv_timer_init(&loop_, &drain_timer_);
  drain_timer_.data = this;
}

Worker::~Worker() {
  join();
  if (!started_) {
    run();  // never started: close the handles made in the constructor
  }
  uv_loop_close(&loop_);
}

void Worker::start() {
  for (auto& slot : slots_) {
    int rc = uv_listen(reinterpret_cast<uv_stream_t*>(&slot->handle), 4096, onConnection);
    if (rc != 0) {
      spdlog::error("worker {}: cannot listen for {}: {}", index_, slot->listener->config.name,
                    uv_strerror(rc));
    }
  }
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void Worker::run() {
  if (started_) {
    uv_run(&loop_, UV_RUN_DEFAULT);
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
}

void Worker::requestStop() {
  // The async handle is closed once the loop winds down: send only once.
  if (!stop_requested_.exchange(true)) {
    uv_async_send(&stop_async_);
  }
}

void Worker::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Worker::onConnection(uv_stream_t* server, int status) {
  auto* slot = static_cast<ListenSlot*>(server->data);
  if (status != 0) {
    spdlog::warn("listener {}: accept failed: {}", slot->listener->config.name,
                 uv_strerror(status));
    return;
  }
  Connection::accept(*slot->worker, slot->listener, server);
}

void Worker::onStopRequested() {
  if (stopping_) {
    return;
  }
  stopping_ = true;
  for (auto& slot : slots_) {
    if (slot->open) {
      slot->open = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&slot->handle), nullptr);
    }
  }
  const auto drain = global().timeouts.drain;
  if (connection_count_ > 0) {
    spdlog::info("worker {}: draining {} connection(s) for up to {}ms", index_, connection_count_,
                 drain.count());
    uv_timer_start(
        &drain_timer_, [](uv_timer_t* t) { static_cast<Worker*>(t->data)->onDrainTimeout(); },
        static_cast<uint64_t>(drain.count()), 0);
  }
  closeIfIdle();
}

void Worker::onDrainTimeout() {
  for (Connection* c = connections_; c != nullptr;) {
    Connection* next = c->next;
    c->abort("shutting down: timeouts.drain expired");
    c = next;
  }
}

void Worker::closeIfIdle() {
  if (!stopping_ || connection_count_ > 0 || loop_closing_) {
    return;
  }
  loop_closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&drain_timer_), nullptr);
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
