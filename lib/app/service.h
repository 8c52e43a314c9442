// tlsgate as a running service: the main thread's loop around the Server.
//
// It owns the process's life: load and bind, drop privileges, serve, and
// then react to what the operator asks:
//   SIGHUP            reload (the whole new config is validated first)
//   SIGTERM, SIGINT   drain, then exit 0; a second one stops at once (exit 3)
//   SIGUSR1           reopen the log file
// It reports to systemd (sd_notify), pings the watchdog while every worker
// loop runs, reloads on file changes with global.watch, and answers the
// admin endpoint's questions.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "admin/admin_source.h"
#include "app/file_watcher.h"
#include "app/systemd_notifier.h"
#include "config/config.h"
#include "metrics/metrics_registry.h"

namespace tlsgate {

class AdminServer;
class Server;

class Service : public AdminSource {
 public:
  static constexpr int kExitOk = 0;
  static constexpr int kExitConfig = 1;
  // A second SIGTERM or SIGINT cut connections short.
  static constexpr int kExitForced = 3;

  explicit Service(std::string config_path);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  Service(Service&&) = delete;
  Service& operator=(Service&&) = delete;

  // Serves until stopped; returns the process's exit code.
  int run();

  // AdminSource, from the admin thread.
  StatusSnapshot status() override;
  MetricsSnapshot metrics() override;
  ConnectionListing connections(std::chrono::milliseconds bound) override;

 private:
  void start();
  void onSignal(int signum);
  void reload(const std::string& trigger);
  void beginDrain(int signum);
  void stopNow(int signum);
  void onDrained();
  void startWatchdog();
  void onWatchdogTick();
  void watchFiles(FileWatcher::Baseline baseline);
  void closeHandles();
  std::string statusLine() const;

  std::string path_;
  Config config_;
  int workers_ = 1;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<FileWatcher> watcher_;
  FileWatcher::Baseline loaded_files_;  // with watch: the files as the start loaded them
  SystemdNotifier notifier_;

  uv_loop_t loop_{};
  std::array<uv_signal_t, 4> signals_{};
  uv_async_t drained_{};
  uv_timer_t watchdog_timer_{};
  uv_timer_t status_timer_{};
  uv_timer_t force_timer_{};
  bool handles_open_ = false;
  uint64_t watchdog_interval_ms_ = 0;
  bool watchdog_withheld_ = false;

  std::thread waiter_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  bool stopping_now_ = false;
  uint64_t cut_ = 0;
  int exit_code_ = kExitOk;

  int64_t started_unix_ = 0;
  std::chrono::steady_clock::time_point started_;
  mutable std::mutex reload_mutex_;
  ReloadStatus reload_status_;  // guarded by reload_mutex_
};

}  // namespace tlsgate
