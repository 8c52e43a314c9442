#include "app/service.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <ctime>

#include "admin/admin_server.h"
#include "app/config_files.h"
#include "app/file_limit.h"
#include "app/logging.h"
#include "app/privileges.h"
#include "app/socket_activation.h"
#include "app/startup.h"
#include "app/version.h"
#include "config/address_parser.h"
#include "config/config_loader.h"
#include "proxy/server.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

// How long a second SIGTERM waits for the workers to log what they cut.
constexpr uint64_t kForcedExitGraceMs = 2000;
constexpr uint64_t kStatusIntervalMs = 5000;
constexpr std::chrono::milliseconds kConnectionsBound{2000};

const char* signalName(int signum) {
  switch (signum) {
    case SIGHUP:
      return "SIGHUP";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGUSR1:
      return "SIGUSR1";
    default:
      return "signal";
  }
}

int64_t unixNow() {
  return static_cast<int64_t>(std::time(nullptr));
}

bool sameAddress(const std::optional<Address>& a, const std::optional<Address>& b) {
  if (a.has_value() != b.has_value()) {
    return false;
  }
  return !a || (a->host == b->host && a->port == b->port && a->unix_path == b->unix_path);
}

bool sameLog(const LogConfig& a, const LogConfig& b) {
  return a.level == b.level && a.format == b.format && a.file == b.file;
}

}  // namespace

Service::Service(std::string config_path) : path_(std::move(config_path)) {}

Service::~Service() {
  if (waiter_.joinable()) {
    waiter_.join();
  }
}

int Service::run() {
  started_ = std::chrono::steady_clock::now();
  started_unix_ = unixNow();
  try {
    config_ = ConfigLoader::loadFile(path_);
    if (config_.global.watch) {
      loaded_files_ = FileWatcher::fingerprints(filesNamedBy(config_));
    }
    setupLogging(config_.global.log);
    workers_ = Server::resolveWorkerCount(config_.global.workers);
    fitFileLimit(config_, workers_);
    prepareSelfSignedCertificates(config_);
    metrics_ = std::make_unique<MetricsRegistry>(static_cast<std::size_t>(workers_));
    server_ = std::make_unique<Server>(config_, *metrics_, takeActivatedSockets());
    if (config_.global.admin.listen) {
      admin_ = std::make_unique<AdminServer>(config_.global.admin, *this);
    }
    dropPrivileges(config_.global);
  } catch (const ConfigError& e) {
    spdlog::error("{}", e.what());
    notifier_.status(std::string("failed to start: ") + e.what());
    return kExitConfig;
  }
  {
    std::lock_guard lock(reload_mutex_);
    reload_status_.generation = 1;
    reload_status_.last_time_unix = started_unix_;
  }

  uv_loop_init(&loop_);
  start();
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (waiter_.joinable()) {
    waiter_.join();
  }
  watcher_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);  // the watcher's close callbacks
  uv_loop_close(&loop_);
  if (admin_) {
    admin_->stop();
  }
  server_.reset();
  return exit_code_;
}

// The handlers are in place before anything is accepted, so a signal right
// after "ready" is handled like any other.
void Service::start() {
  constexpr std::array<int, 4> kSignals = {SIGHUP, SIGTERM, SIGINT, SIGUSR1};
  for (std::size_t i = 0; i < kSignals.size(); ++i) {
    uv_signal_init(&loop_, &signals_[i]);
    signals_[i].data = this;
    uv_signal_start(
        &signals_[i],
        [](uv_signal_t* handle, int signum) {
          static_cast<Service*>(handle->data)->onSignal(signum);
        },
        kSignals[i]);
  }
  uv_async_init(&loop_, &drained_,
                [](uv_async_t* handle) { static_cast<Service*>(handle->data)->onDrained(); });
  drained_.data = this;
  for (uv_timer_t* timer : {&watchdog_timer_, &status_timer_, &force_timer_}) {
    uv_timer_init(&loop_, timer);
    timer->data = this;
  }
  handles_open_ = true;

  server_->start();
  if (admin_) {
    admin_->start();
  }
  ready_ = true;
  spdlog::info("ready: {} listener(s), {} worker(s), config generation 1", config_.listeners.size(),
               server_->workerCount());
  for (const auto& listener : server_->listeners()) {
    spdlog::info("listener {}: {} {} -> {} {}", listener->config.name,
                 listener->accept_tls ? "tls" : "tcp", listener->listen_address.str(),
                 listener->connect->usesTls() ? "tls" : "tcp", listener->backendText());
  }
  if (config_.global.admin.listen) {
    spdlog::info("admin endpoint on {}", formatAddress(*config_.global.admin.listen));
    if (config_.global.admin.allow_remote) {
      spdlog::warn(
          "admin endpoint: allow_remote is on; /connections shows client addresses and "
          "certificate subjects to anyone with the token, so keep the token secret and "
          "the port firewalled");
    }
  }
  notifier_.ready(statusLine());
  uv_timer_start(
      &status_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Service*>(timer->data);
        self->notifier_.status(self->statusLine());
      },
      kStatusIntervalMs, kStatusIntervalMs);
  startWatchdog();
  if (config_.global.watch) {
    watchFiles(std::move(loaded_files_));
  }
}

void Service::onSignal(int signum) {
  switch (signum) {
    case SIGHUP:
      reload("SIGHUP");
      return;
    case SIGUSR1: {
      std::string error;
      if (reopenLogFile(&error)) {
        spdlog::info("SIGUSR1: log file reopened");
      } else {
        spdlog::error("SIGUSR1: cannot reopen the log file {}: {}; still writing to the old one",
                      config_.global.log.file, error);
      }
      return;
    }
    default:
      if (draining_) {
        stopNow(signum);
      } else {
        beginDrain(signum);
      }
      return;
  }
}

void Service::reload(const std::string& trigger) {
  if (draining_) {
    spdlog::info("{}: stopping; not reloading", trigger);
    return;
  }
  const uint64_t current = server_->generation();
  notifier_.reloading("reloading the configuration (" + trigger + ")");
  spdlog::info("{}: reloading {}", trigger, path_);
  // With watch, what the files held before this reload loads them: the
  // files of the config in force, and of the new one once it parses.
  FileWatcher::Baseline baseline;
  if (config_.global.watch) {
    baseline = FileWatcher::fingerprints(filesNamedBy(config_));
  }
  std::optional<Config> attempted;
  try {
    attempted = ConfigLoader::loadFile(path_);
    Config& next = *attempted;
    if (next.global.watch) {
      baseline.merge(FileWatcher::fingerprints(filesNamedBy(next)));
    }
    fitFileLimit(next, workers_);
    prepareSelfSignedCertificates(next);
    const ReloadSummary summary = server_->reload(next);
    if (!sameLog(next.global.log, config_.global.log)) {
      setupLogging(next.global.log);
    }
    if (!sameAddress(next.global.admin.listen, config_.global.admin.listen) ||
        next.global.admin.token_file.value != config_.global.admin.token_file.value) {
      spdlog::warn("reload: global.admin changes only on restart; the endpoint stays as it was");
      next.global.admin = config_.global.admin;
    }
    config_ = std::move(next);
    {
      std::lock_guard lock(reload_mutex_);
      reload_status_.generation = summary.generation;
      reload_status_.last_ok = true;
      reload_status_.last_time_unix = unixNow();
      reload_status_.last_error.clear();
      ++reload_status_.successes;
    }
    spdlog::info(
        "reload: config generation {} in force: {} listener(s) kept their sockets, {} added, {} "
        "closed; open connections finish on generation {} or earlier",
        summary.generation, summary.kept, summary.added, summary.removed, current);
  } catch (const ConfigError& e) {
    {
      std::lock_guard lock(reload_mutex_);
      reload_status_.last_ok = false;
      reload_status_.last_time_unix = unixNow();
      reload_status_.last_error = e.what();
      ++reload_status_.failures;
    }
    spdlog::error("reload failed; config generation {} stays in force: {}", current, e.what());
  }
  if (config_.global.watch) {
    if (baseline.empty()) {  // watch was just turned on
      baseline = FileWatcher::fingerprints(filesNamedBy(config_));
    }
    watchFiles(std::move(baseline));
  } else if (watcher_) {
    watcher_->unwatch();
  }
  notifier_.ready(statusLine());
}

// Watches what the config in force reads, and what a failed attempt would
// have read, so that fixing a file the new config names retries the reload.
void Service::watchFiles(FileWatcher::Baseline baseline) {
  if (!watcher_) {
    watcher_ = std::make_unique<FileWatcher>(&loop_, FileWatcher::kDefaultDebounceMs,
                                             [this] { reload("watch"); });
  }
  watcher_->watch(std::move(baseline));
}

void Service::beginDrain(int signum) {
  draining_ = true;
  const auto drain = config_.global.timeouts.drain;
  const uint64_t open = server_->activeConnections();
  spdlog::info(
      "{}: no longer accepting; closing idle connections and waiting up to {}ms for {} "
      "open connection(s)",
      signalName(signum), drain.count(), open);
  notifier_.stopping("draining " + std::to_string(open) + " connection(s)");
  if (watcher_) {
    watcher_->close();
  }
  server_->stop();
  waiter_ = std::thread([this] {
    server_->wait();
    uv_async_send(&drained_);
  });
}

void Service::stopNow(int signum) {
  if (stopping_now_) {
    return;
  }
  stopping_now_ = true;
  cut_ = server_->activeConnections();
  exit_code_ = kExitForced;
  spdlog::warn("{} again: closing {} open connection(s) at once", signalName(signum), cut_);
  server_->abort(std::string("shutting down at once: second ") + signalName(signum));
  // Workers that are stuck must not hold the exit.
  uv_timer_start(
      &force_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<Service*>(timer->data);
        spdlog::warn("stopped at once: exit code {}, {} connection(s) cut", kExitForced,
                     self->cut_);
        spdlog::default_logger()->flush();
        std::_Exit(kExitForced);
      },
      kForcedExitGraceMs, 0);
}

void Service::onDrained() {
  const uint64_t forced = server_->drainForced();
  if (stopping_now_) {
    spdlog::warn("stopped at once: exit code {}, {} connection(s) cut", kExitForced, cut_);
  } else if (forced > 0) {
    spdlog::warn(
        "stopped: timeouts.drain ({}ms) expired; {} connection(s) were closed before "
        "they finished",
        config_.global.timeouts.drain.count(), forced);
  } else {
    spdlog::info("stopped: every connection finished");
  }
  closeHandles();
}

void Service::closeHandles() {
  if (!handles_open_) {
    return;
  }
  handles_open_ = false;
  for (uv_signal_t& handle : signals_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
  }
  for (uv_timer_t* timer : {&watchdog_timer_, &status_timer_, &force_timer_}) {
    uv_close(reinterpret_cast<uv_handle_t*>(timer), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&drained_), nullptr);
  if (watcher_) {
    watcher_->close();
  }
}

// WATCHDOG=1 goes out only while every worker loop stamps its heartbeat: a
// worker stuck in a busy loop or a blocking call gets the process restarted.
void Service::startWatchdog() {
  const uint64_t usec = SystemdNotifier::watchdogUsec();
  if (usec == 0) {
    return;
  }
  watchdog_interval_ms_ = std::max<uint64_t>(usec / 1000 / 2, 1);
  server_->enableHeartbeat(std::max<uint64_t>(watchdog_interval_ms_ / 2, 1));
  spdlog::info("systemd watchdog: every {}ms while all {} worker loop(s) run",
               watchdog_interval_ms_, server_->workerCount());
  notifier_.watchdog();
  uv_timer_start(
      &watchdog_timer_,
      [](uv_timer_t* timer) { static_cast<Service*>(timer->data)->onWatchdogTick(); },
      watchdog_interval_ms_, watchdog_interval_ms_);
}

void Service::onWatchdogTick() {
  int stuck = -1;
  if (server_->workersResponsive(watchdog_interval_ms_, &stuck)) {
    watchdog_withheld_ = false;
    notifier_.watchdog();
    return;
  }
  if (!watchdog_withheld_) {
    spdlog::error(
        "worker {} has not run its event loop for over {}ms; withholding the systemd "
        "watchdog ping so that the service is restarted",
        stuck, watchdog_interval_ms_);
    watchdog_withheld_ = true;
  }
}

std::string Service::statusLine() const {
  std::string line = std::to_string(config_.listeners.size()) + " listener(s), " +
                     std::to_string(server_->activeConnections()) +
                     " connection(s), config generation " + std::to_string(server_->generation());
  std::lock_guard lock(reload_mutex_);
  if (!reload_status_.last_ok) {
    line += "; the last reload failed: " + reload_status_.last_error;
  }
  return line;
}

StatusSnapshot Service::status() {
  StatusSnapshot out;
  out.version = kTlsgateVersion;
  out.started_unix = started_unix_;
  out.uptime_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  out.workers = static_cast<std::size_t>(workers_);
  out.ready = ready_;
  out.draining = draining_;
  {
    std::lock_guard lock(reload_mutex_);
    out.reload = reload_status_;
  }
  const std::vector<ListenerTotals> totals = metrics_->totals();
  for (const auto& listener : server_->listeners()) {
    ListenerStatus& entry = out.listeners.emplace_back();
    entry.name = listener->config.name;
    entry.accept_address = formatAddress(listener->config.accept.address);
    entry.connect_address = formatAddress(listener->config.connect.address());
    entry.accept_tls = listener->accept_tls != nullptr;
    entry.connect_tls = listener->connect->usesTls();
    for (const ListenerTotals& t : totals) {
      if (t.name == entry.name) {
        entry.connections_active = t.connections_active;
        entry.connections_total = t.connections_total;
      }
    }
  }
  return out;
}

MetricsSnapshot Service::metrics() {
  MetricsSnapshot out;
  out.status = status();
  out.listeners = metrics_->totals();
  out.handshakes_in_progress = {server_->handshakesInProgress(), server_->handshakeLimit()};
  out.now_unix = unixNow();
  for (const auto& listener : server_->listeners()) {
    if (!listener->accept_tls) {
      continue;
    }
    for (const ServedCertificate& certificate : listener->accept_tls->servedCertificates()) {
      out.certificates.push_back({listener->config.name, certificate.subject, certificate.sha256,
                                  certificate.not_after_unix});
    }
    out.record_layer_handovers.push_back(
        {listener->config.name, listener->accept_tls->recordLayerHandOvers()});
    for (std::size_t index = 0; index < kRecordLayerDeclineCount; ++index) {
      const auto reason = static_cast<RecordLayerDecline>(index);
      out.record_layer_declined.push_back({listener->config.name, recordLayerDeclineName(reason),
                                           listener->accept_tls->recordLayerDeclined(reason)});
    }
  }
  return out;
}

ConnectionListing Service::connections(std::chrono::milliseconds bound) {
  return server_->connections(std::min(bound, kConnectionsBound));
}

}  // namespace tlsgate
