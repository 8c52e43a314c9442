#include "app/systemd_notifier.h"

#include <systemd/sd-daemon.h>
#include <time.h>

namespace tlsgate {
namespace {

void send(const std::string& state) {
  // unset_environment = 0: a reload notifies again later.
  sd_notify(0, state.c_str());
}

uint64_t monotonicUsec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000 + static_cast<uint64_t>(now.tv_nsec) / 1000;
}

}  // namespace

void SystemdNotifier::ready(const std::string& status) const {
  send("READY=1\nSTATUS=" + status);
}

void SystemdNotifier::reloading(const std::string& status) const {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonicUsec()) + "\nSTATUS=" + status);
}

void SystemdNotifier::stopping(const std::string& status) const {
  send("STOPPING=1\nSTATUS=" + status);
}

void SystemdNotifier::status(const std::string& status) const {
  send("STATUS=" + status);
}

void SystemdNotifier::watchdog() const {
  send("WATCHDOG=1");
}

uint64_t SystemdNotifier::watchdogUsec() {
  uint64_t usec = 0;
  return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

}  // namespace tlsgate
