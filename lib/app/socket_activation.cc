#include "app/socket_activation.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>

#include "util/errno_text.h"

namespace tlsgate {

std::vector<InheritedSocket> takeActivatedSockets() {
  char** names = nullptr;
  const int count = sd_listen_fds_with_names(1, &names);
  std::vector<InheritedSocket> sockets;
  if (count < 0) {
    spdlog::warn("socket activation: cannot take the passed sockets: {}", errnoText(-count));
    return sockets;
  }
  for (int i = 0; i < count; ++i) {
    InheritedSocket socket;
    socket.fd = SD_LISTEN_FDS_START + i;
    if (names != nullptr && names[i] != nullptr) {
      socket.name = names[i];
    }
    sockets.push_back(std::move(socket));
  }
  if (names != nullptr) {
    for (int i = 0; i < count; ++i) {
      std::free(names[i]);  // NOLINT(cppcoreguidelines-no-malloc): sd_listen_fds_with_names
                            // allocates with malloc
    }
    std::free(names);  // NOLINT(cppcoreguidelines-no-malloc)
  }
  if (!sockets.empty()) {
    spdlog::info("socket activation: {} socket(s) passed by systemd", sockets.size());
  }
  return sockets;
}

}  // namespace tlsgate
