// The client half of a SOCKS5 CONNECT (RFC 1928), with username/password
// authentication (RFC 1929): how tlsgate reaches a backend through a SOCKS5
// proxy (connect.via.socks5).
//
// Sans-IO: begin() queues the greeting, advance() reads each of the proxy's
// replies from whatever bytes have arrived and queues the next request.
// Once the CONNECT reply is in, the tunnel is open, and anything after it is
// the backend's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class Socks5Client {
 public:
  // `host` is a name, which the proxy resolves, or an IPv4 or IPv6 literal
  // (brackets allowed). A non-empty `username` offers username/password
  // authentication besides none; otherwise only none is offered. A host,
  // username or password that SOCKS5 cannot carry (an empty host, or more
  // than 255 bytes) makes begin() queue nothing and advance() fail.
  Socks5Client(std::string_view host, uint16_t port, std::string username, std::string password);

  void begin(ByteQueue& to_proxy);

  // done after a successful CONNECT reply, its bound address consumed and
  // whatever follows left in `from_proxy`. failed with the proxy's answer in
  // words. Bytes of an unfinished reply stay in `from_proxy` until the rest
  // arrives. Once done or failed, later calls give the same answer and
  // consume nothing.
  StepResult advance(ByteQueue& from_proxy, ByteQueue& to_proxy);

 private:
  enum class State {
    method_reply,   // waiting for the proxy to choose an authentication method
    auth_reply,     // waiting for the verdict on the username and password
    connect_reply,  // waiting for the CONNECT reply
    done,
    failed,
  };

  // Each takes one whole reply and moves the state on; false while the
  // reply has not all arrived (nothing is consumed then).
  bool onMethodReply(ByteQueue& from_proxy, ByteQueue& to_proxy);
  bool onAuthReply(ByteQueue& from_proxy, ByteQueue& to_proxy);
  bool onConnectReply(ByteQueue& from_proxy);
  void fail(std::string reason);

  std::string username_;
  std::string password_;
  std::string connect_request_;  // built up front; sent once authentication is settled
  State state_ = State::method_reply;
  std::string reason_;
};

}  // namespace tlsgate
