// Tells systemd (Type=notify) what the service is doing, through
// sd_notify(3). Outside systemd (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <cstdint>
#include <string>

namespace tlsgate {

class SystemdNotifier {
 public:
  // READY=1 with a STATUS= line: every listener is bound and serving.
  void ready(const std::string& status) const;
  // RELOADING=1 with MONOTONIC_USEC=, as systemd 253's Type=notify-reload
  // expects; ready() follows when the reload is over.
  void reloading(const std::string& status) const;
  void stopping(const std::string& status) const;
  void status(const std::string& status) const;
  // WATCHDOG=1. Send only while every event loop is known to be running.
  void watchdog() const;

  // The WatchdogSec= interval in microseconds when systemd expects
  // WATCHDOG=1 from this process; 0 otherwise.
  static uint64_t watchdogUsec();
};

}  // namespace tlsgate
