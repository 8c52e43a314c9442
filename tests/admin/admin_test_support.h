// Addresses, files and clients for the admin tests that serve on loopback.
#pragma once

#include <httplib.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace tlsgate {

// A directory under /tmp, short enough for unix socket paths, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/tlsgate-admin-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
    }
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

  std::string write(const std::string& name, const std::string& text) const {
    std::string path = file(name);
    std::ofstream(path) << text;
    return path;
  }

 private:
  std::string path_;
};

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
