// Listening sockets passed by systemd socket activation (LISTEN_PID,
// LISTEN_FDS, LISTEN_FDNAMES; sd_listen_fds_with_names(3)).
#pragma once

#include <vector>

#include "proxy/server.h"

namespace tlsgate {

// The sockets passed to this process, each with its FileDescriptorName=;
// empty when none were. Clears the LISTEN_* variables so that no child
// process takes them for its own.
std::vector<InheritedSocket> takeActivatedSockets();

}  // namespace tlsgate
