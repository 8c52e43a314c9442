#include "protocol/proxy_header.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>

namespace tlsgate {
namespace {

static_assert(sizeof(sockaddr_un::sun_path) == kProxyV2UnixPathBytes,
              "a PROXY v2 unix address is exactly the 108 bytes of sun_path");

bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) {
    return false;
  }
  switch (a.ss_family) {
    case AF_INET: {
      const auto& x = reinterpret_cast<const sockaddr_in&>(a);
      const auto& y = reinterpret_cast<const sockaddr_in&>(b);
      return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
    }
    case AF_INET6: {
      const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
      const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
      return x.sin6_port == y.sin6_port &&
             std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr)) == 0;
    }
    case AF_UNIX: {
      const auto& x = reinterpret_cast<const sockaddr_un&>(a);
      const auto& y = reinterpret_cast<const sockaddr_un&>(b);
      return std::memcmp(x.sun_path, y.sun_path, sizeof(x.sun_path)) == 0;
    }
    default:
      return true;  // no address to compare
  }
}

std::string unixPath(const sockaddr_un& address) {
  const char* path = address.sun_path;
  std::size_t size = sizeof(address.sun_path);
  std::string text = "unix:";
  // A leading NUL marks a Linux abstract socket; "@" is how ss and
  // systemd print one.
  if (path[0] == '\0') {
    ++path;
    --size;
    text += '@';
  }
  text.append(path, strnlen(path, size));
  return text;
}

}  // namespace

bool operator==(const ProxyHeader& a, const ProxyHeader& b) {
  return a.local == b.local && sameAddress(a.source, b.source) &&
         sameAddress(a.destination, b.destination) && a.alpn == b.alpn &&
         a.authority == b.authority && a.unique_id == b.unique_id && a.tls == b.tls &&
         a.client_cert_der == b.client_cert_der;
}

std::string formatProxyAddress(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  switch (address.ss_family) {
    case AF_INET: {
      const auto& in4 = reinterpret_cast<const sockaddr_in&>(address);
      inet_ntop(AF_INET, &in4.sin_addr, host, sizeof(host));
      return std::string(host) + ":" + std::to_string(ntohs(in4.sin_port));
    }
    case AF_INET6: {
      const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
      inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof(host));
      return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6.sin6_port));
    }
    case AF_UNIX:
      return unixPath(reinterpret_cast<const sockaddr_un&>(address));
    default:
      return "-";
  }
}

}  // namespace tlsgate
