#include "proxy/name_lookup.h"

#include <cstring>
#include <string>

namespace tlsgate {

NameLookup* NameLookup::start(uv_loop_t* loop, const Address& address, void* owner,
                              Callback callback, int& status) {
  auto* lookup = new NameLookup(owner, callback);
  lookup->request_.data = lookup;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  const std::string port = std::to_string(address.port);
  status = uv_getaddrinfo(loop, &lookup->request_, onResolved, address.host.c_str(), port.c_str(),
                          &hints);
  if (status != 0) {
    delete lookup;
    return nullptr;
  }
  return lookup;
}

void NameLookup::cancel() {
  owner_ = nullptr;
  uv_cancel(reinterpret_cast<uv_req_t*>(&request_));
}

void NameLookup::onResolved(uv_getaddrinfo_t* request, int status, addrinfo* result) {
  auto* self = static_cast<NameLookup*>(request->data);
  std::vector<SocketAddress> addresses;
  for (const addrinfo* entry = result; entry != nullptr; entry = entry->ai_next) {
    SocketAddress address;
    std::memcpy(&address.storage, entry->ai_addr, entry->ai_addrlen);
    address.length = entry->ai_addrlen;
    addresses.push_back(address);
  }
  uv_freeaddrinfo(result);
  if (self->owner_ != nullptr) {
    if (status == 0 && addresses.empty()) {
      status = UV_EAI_NODATA;
    }
    self->callback_(self->owner_, status, std::move(addresses));
  }
  delete self;
}

}  // namespace tlsgate
