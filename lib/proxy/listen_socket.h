// Listening sockets with SO_REUSEPORT, one per worker, so the kernel spreads
// new connections across the workers' event loops.
//
// Debian's libuv 1.44 has no flag for SO_REUSEPORT, so the socket is made
// here and handed to libuv with uv_tcp_open().
#pragma once

#include <string>

#include "proxy/socket_address.h"

namespace tlsgate {

// Creates, binds and listens. Throws ConfigError at `mark` with the reason
// (address in use, permission denied, …).
int openListenSocket(const SocketAddress& address, const SourceMark& mark, int backlog = 4096);

// A unix socket at `address`'s path, with the mode and owner asked for. A
// socket file left by a process that is gone is replaced; one that a live
// process still accepts on is an error, and so is a path that is not a
// socket. Throws ConfigError at `mark`.
int openUnixListenSocket(const SocketAddress& address, const UnixSocketOptions& options,
                         const SourceMark& mark, int backlog = 4096);

}  // namespace tlsgate
