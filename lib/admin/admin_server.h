// Placeholder until the admin endpoint lands.
#pragma once

#include "admin/admin_source.h"
#include "config/config.h"

namespace tlsgate {

class AdminServer {
 public:
  AdminServer(const AdminConfig& /*config*/, AdminSource& /*source*/) {}
  void start() {}
  void stop() {}
};

}  // namespace tlsgate
