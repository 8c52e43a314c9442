#include "proxy/uv_error.h"

#include <uv.h>

namespace tlsgate {

std::string uvErrorText(int status) {
  switch (status) {
    case UV_ECONNREFUSED:
      return "connection refused";
    case UV_ECONNRESET:
      return "connection reset by peer";
    case UV_EPIPE:
      return "peer closed the connection (broken pipe)";
    case UV_ETIMEDOUT:
      return "timed out";
    case UV_EHOSTUNREACH:
      return "host unreachable";
    case UV_ENETUNREACH:
      return "network unreachable";
    case UV_ENOENT:
      return "no such socket file";
    case UV_EAI_NONAME:
      return "the name does not resolve";
    default:
      return uv_strerror(status);
  }
}

bool isResourceError(int status) {
  return status == UV_EMFILE || status == UV_ENFILE || status == UV_ENOBUFS || status == UV_ENOMEM;
}

}  // namespace tlsgate
