// Looks up a backend's host name when a connection needs it, on libuv's
// thread pool (uv_getaddrinfo), so DNS changes are followed without a
// restart. The connection may end first: cancel() lets go of it, and the
// request frees itself once libuv is done with it.
#pragma once

#include <uv.h>

#include <vector>

#include "config/config.h"
#include "proxy/socket_address.h"

namespace tlsgate {

class NameLookup {
 public:
  // status 0 with at least one address, or a UV error (UV_EAI_NONAME, ...).
  using Callback = void (*)(void* owner, int status, std::vector<SocketAddress> addresses);

  // Returns null, with `status` set, when the lookup cannot even start.
  static NameLookup* start(uv_loop_t* loop, const Address& address, void* owner, Callback callback,
                           int& status);
  // The callback will not be called.
  void cancel();

 private:
  NameLookup(void* owner, Callback callback) : owner_(owner), callback_(callback) {}
  static void onResolved(uv_getaddrinfo_t* request, int status, addrinfo* result);

  uv_getaddrinfo_t request_{};
  void* owner_;
  Callback callback_;
};

}  // namespace tlsgate
