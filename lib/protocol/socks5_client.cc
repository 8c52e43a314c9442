#include "protocol/socks5_client.h"

#include <arpa/inet.h>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

namespace tlsgate {
namespace {

constexpr uint8_t kVersion = 0x05;
constexpr uint8_t kMethodNone = 0x00;
constexpr uint8_t kMethodUserPass = 0x02;
constexpr uint8_t kMethodNoneAcceptable = 0xff;
constexpr uint8_t kUserPassVersion = 0x01;
constexpr uint8_t kCommandConnect = 0x01;
constexpr uint8_t kAddressIpv4 = 0x01;
constexpr uint8_t kAddressName = 0x03;
constexpr uint8_t kAddressIpv6 = 0x04;
constexpr std::size_t kMaxField = 255;  // every length in SOCKS5 is one byte

void put(ByteQueue& queue, std::string_view bytes) {
  queue.append(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// Copies the first `out.size()` bytes of `in` without consuming them; false
// when fewer have arrived.
bool peekBytes(const ByteQueue& in, std::span<uint8_t> out) {
  if (in.size() < out.size()) {
    return false;
  }
  in.peek(std::as_writable_bytes(out));
  return true;
}

std::string hexByte(uint8_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[value >> 4], kDigits[value & 0x0f]};
}

// RFC 1928 section 6.
std::string_view replyInWords(uint8_t code) {
  switch (code) {
    case 0x01:
      return "general SOCKS server failure";
    case 0x02:
      return "connection not allowed by ruleset";
    case 0x03:
      return "network unreachable";
    case 0x04:
      return "host unreachable";
    case 0x05:
      return "connection refused";
    case 0x06:
      return "TTL expired";
    case 0x07:
      return "command not supported";
    case 0x08:
      return "address type not supported";
    default:
      return "an unassigned reply code";
  }
}

// An IPv6 literal may come as it is written in a URL.
std::string_view withoutBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

// VER CMD RSV ATYP DST.ADDR DST.PORT; empty when the host is a name too long
// to carry.
std::string connectRequest(std::string_view host, uint16_t port) {
  std::string request{static_cast<char>(kVersion), static_cast<char>(kCommandConnect), '\0'};
  const std::string text(host);
  std::array<unsigned char, 16> literal{};
  if (inet_pton(AF_INET, text.c_str(), literal.data()) == 1) {
    request += static_cast<char>(kAddressIpv4);
    request.append(reinterpret_cast<const char*>(literal.data()), 4);
  } else if (inet_pton(AF_INET6, text.c_str(), literal.data()) == 1) {
    request += static_cast<char>(kAddressIpv6);
    request.append(reinterpret_cast<const char*>(literal.data()), 16);
  } else if (host.size() <= kMaxField) {
    request += static_cast<char>(kAddressName);
    request += static_cast<char>(host.size());
    request += host;
  } else {
    return {};
  }
  request += static_cast<char>(port >> 8);
  request += static_cast<char>(port & 0xff);
  return request;
}

}  // namespace

Socks5Client::Socks5Client(std::string_view host, uint16_t port, std::string username,
                           std::string password)
    : username_(std::move(username)), password_(std::move(password)) {
  const std::string_view bare_host = withoutBrackets(host);
  if (bare_host.empty()) {
    fail("the backend has no host name to send to the SOCKS5 proxy");
    return;
  }
  if (username_.size() > kMaxField || password_.size() > kMaxField) {
    fail("the username or password in auth_file is longer than the 255 bytes SOCKS5 can carry");
    return;
  }
  connect_request_ = connectRequest(bare_host, port);
  if (connect_request_.empty()) {
    fail("the backend's host name is longer than the 255 bytes SOCKS5 can carry");
  }
}

void Socks5Client::begin(ByteQueue& to_proxy) {
  if (state_ == State::failed) {
    return;
  }
  // VER NMETHODS METHODS
  if (username_.empty()) {
    put(to_proxy, std::string{static_cast<char>(kVersion), 1, static_cast<char>(kMethodNone)});
    return;
  }
  put(to_proxy, std::string{static_cast<char>(kVersion), 2, static_cast<char>(kMethodNone),
                            static_cast<char>(kMethodUserPass)});
}

StepResult Socks5Client::advance(ByteQueue& from_proxy, ByteQueue& to_proxy) {
  bool progressed = true;
  while (progressed && state_ != State::done && state_ != State::failed) {
    switch (state_) {
      case State::method_reply:
        progressed = onMethodReply(from_proxy, to_proxy);
        break;
      case State::auth_reply:
        progressed = onAuthReply(from_proxy, to_proxy);
        break;
      case State::connect_reply:
        progressed = onConnectReply(from_proxy);
        break;
      default:
        fail("the SOCKS5 dialogue is in an unknown state");
        break;
    }
  }
  switch (state_) {
    case State::done:
      return StepResult::done();
    case State::failed:
      return StepResult::fail(reason_);
    default:
      return StepResult::needInput();
  }
}

bool Socks5Client::onMethodReply(ByteQueue& from_proxy, ByteQueue& to_proxy) {
  std::array<uint8_t, 2> reply{};  // VER METHOD
  if (!peekBytes(from_proxy, reply)) {
    return false;
  }
  from_proxy.consume(reply.size());
  if (reply[0] != kVersion) {
    fail("the proxy did not answer as a SOCKS5 proxy (its reply starts with " + hexByte(reply[0]) +
         ")");
    return true;
  }
  const uint8_t method = reply[1];
  if (method == kMethodNone) {
    put(to_proxy, connect_request_);
    state_ = State::connect_reply;
    return true;
  }
  if (method == kMethodUserPass && !username_.empty()) {
    // VER ULEN UNAME PLEN PASSWD (RFC 1929 section 2)
    std::string request{static_cast<char>(kUserPassVersion), static_cast<char>(username_.size())};
    request += username_;
    request += static_cast<char>(password_.size());
    request += password_;
    put(to_proxy, request);
    state_ = State::auth_reply;
    return true;
  }
  if (method == kMethodNoneAcceptable) {
    fail(username_.empty()
             ? "the SOCKS5 proxy has no acceptable authentication method: it does not accept "
               "connections without one (put a username and password in auth_file)"
             : "the SOCKS5 proxy has no acceptable authentication method: it takes neither none "
               "nor username/password");
    return true;
  }
  fail("the SOCKS5 proxy chose authentication method " + hexByte(method) +
       ", which tlsgate did not offer");
  return true;
}

bool Socks5Client::onAuthReply(ByteQueue& from_proxy, ByteQueue& to_proxy) {
  std::array<uint8_t, 2> reply{};  // VER STATUS
  if (!peekBytes(from_proxy, reply)) {
    return false;
  }
  from_proxy.consume(reply.size());
  // RFC 1929 says the version is 1; some servers echo the SOCKS version 5.
  if (reply[0] != kUserPassVersion && reply[0] != kVersion) {
    fail("the SOCKS5 proxy's answer to the username/password starts with " + hexByte(reply[0]) +
         ", not 0x01");
    return true;
  }
  if (reply[1] != 0) {
    fail("the SOCKS5 proxy refused the username/password in auth_file");
    return true;
  }
  put(to_proxy, connect_request_);
  state_ = State::connect_reply;
  return true;
}

bool Socks5Client::onConnectReply(ByteQueue& from_proxy) {
  std::array<uint8_t, 5> head{};  // VER REP RSV ATYP, and a name's length
  if (!peekBytes(from_proxy, std::span(head).first(2))) {
    return false;
  }
  if (head[0] != kVersion) {
    fail("the SOCKS5 proxy's CONNECT reply starts with " + hexByte(head[0]) + ", not 0x05");
    return true;
  }
  // A refusal is final whatever address follows, so it need not wait for it.
  if (head[1] != 0) {
    fail("the SOCKS5 proxy answered: " + std::string(replyInWords(head[1])) + " (" +
         std::to_string(head[1]) + ")");
    return true;
  }
  if (!peekBytes(from_proxy, std::span(head).first(4))) {
    return false;
  }
  std::size_t address_size = 0;
  switch (head[3]) {
    case kAddressIpv4:
      address_size = 4;
      break;
    case kAddressIpv6:
      address_size = 16;
      break;
    case kAddressName:
      if (!peekBytes(from_proxy, head)) {
        return false;
      }
      address_size = 1 + std::size_t{head[4]};
      break;
    default:
      fail("the SOCKS5 proxy's CONNECT reply has an unknown address type (" +
           std::to_string(head[3]) + ")");
      return true;
  }
  // BND.ADDR and BND.PORT say where the proxy connected from; tlsgate has no
  // use for them.
  const std::size_t reply_size = 4 + address_size + 2;
  if (from_proxy.size() < reply_size) {
    return false;
  }
  from_proxy.consume(reply_size);
  state_ = State::done;
  return true;
}

void Socks5Client::fail(std::string reason) {
  state_ = State::failed;
  reason_ = std::move(reason);
}

}  // namespace tlsgate
