#include "support/name_resolution.h"

#include <netdb.h>

namespace tlsgate::test {

bool resolves(const std::string& name) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0) {
    return false;
  }
  ::freeaddrinfo(found);
  return true;
}

}  // namespace tlsgate::test
