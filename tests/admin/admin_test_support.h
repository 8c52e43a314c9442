// Addresses, files and clients for the admin tests that serve on loopback.
#pragma once

#include <httplib.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "support/temp_dir.h"

namespace tlsgate {

inline AdminConfig loopbackConfig(uint16_t port = 0) {
  AdminConfig config;
  config.listen = Address{"127.0.0.1", port, "", SourceMark{"test.yaml", 3, 11}};
  return config;
}

inline AdminConfig unixConfig(const std::string& path) {
  AdminConfig config;
  config.listen = Address{"", 0, path, SourceMark{"test.yaml", 3, 11}};
  return config;
}

inline LocatedPath tokenFile(const std::string& path) {
  return LocatedPath{path, SourceMark{"test.yaml", 5, 17}};
}

inline uint16_t portOf(const std::string& bound_address) {
  return static_cast<uint16_t>(std::stoi(bound_address.substr(bound_address.rfind(':') + 1)));
}

// A client for what AdminServer::boundAddress() says.
inline httplib::Client clientFor(const std::string& bound_address) {
  if (bound_address.starts_with("unix:")) {
    httplib::Client client(bound_address.substr(5), 80);
    client.set_address_family(AF_UNIX);
    return client;
  }
  return httplib::Client(bound_address.substr(0, bound_address.rfind(':')), portOf(bound_address));
}

}  // namespace tlsgate
