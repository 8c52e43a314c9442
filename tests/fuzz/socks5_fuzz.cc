// Feeds arbitrary bytes to Socks5Client as the proxy's replies: whole, byte
// by byte and in uneven slices, with and without a username. Whatever the
// bytes, the client must send only the messages of the dialogue, in order,
// hold no more than one reply's worth, and answer the same however the
// replies were cut into reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "protocol/socks5_client.h"

namespace tlsgate {
namespace {

// The longest reply: VER REP RSV ATYP, a 255-byte name with its length, PORT.
constexpr std::size_t kLongestReply = 4 + 1 + 255 + 2;

void check(bool invariant) {
  if (!invariant) {
    std::abort();
  }
}

std::string drain(ByteQueue& queue) {
  std::string out(queue.size(), '\0');
  queue.read(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int value : values) {
    out += static_cast<char>(value);
  }
  return out;
}

enum class Slicing { whole, bytes, uneven };

std::size_t sliceSize(Slicing slicing, uint32_t& seed, std::size_t remaining) {
  switch (slicing) {
    case Slicing::whole:
      return remaining;
    case Slicing::bytes:
      return 1;
    case Slicing::uneven:
    default:
      seed = seed * 1103515245U + 12345U;
      return std::min<std::size_t>(remaining, 1 + (seed >> 16) % 11);
  }
}

struct Backend {
  std::string host;
  std::string request;  // the CONNECT request it must produce
};

// The host form follows the input, so every form meets every reply.
Backend backendFor(std::size_t size) {
  switch (size % 3) {
    case 0:
      return {"backend.example", bytes({5, 1, 0, 3, 15}) + "backend.example" + bytes({1, 0xbb})};
    case 1:
      return {"192.0.2.7", bytes({5, 1, 0, 1, 192, 0, 2, 7, 1, 0xbb})};
    default:
      return {"[2001:db8::7]", bytes({5, 1, 0, 4, 0x20, 1, 0x0d, 0xb8, 0, 0, 0,
                                      0, 0, 0, 0, 0,    0, 0,    0,    7, 1, 0xbb})};
  }
}

struct Outcome {
  StepStatus status = StepStatus::need_input;
  std::string reason;
  std::string sent;  // everything queued for the proxy after the greeting
  std::string left;
};

Outcome run(std::string_view replies, Slicing slicing, bool with_user) {
  const Backend backend = backendFor(replies.size());
  const std::string username = with_user ? "user" : "";
  BufferPool pool(8);
  ByteQueue from_proxy(pool);
  ByteQueue to_proxy(pool);
  Socks5Client client(backend.host, 443, username, "secret");
  client.begin(to_proxy);
  check(drain(to_proxy) == (with_user ? bytes({5, 2, 0, 2}) : bytes({5, 1, 0})));

  Outcome outcome;
  uint32_t seed = static_cast<uint32_t>(replies.size());
  std::size_t fed = 0;
  StepResult result = client.advance(from_proxy, to_proxy);
  outcome.sent += drain(to_proxy);
  while (result.status == StepStatus::need_input && fed < replies.size()) {
    check(from_proxy.size() < kLongestReply);
    check(result.reason.empty());
    const std::size_t n = sliceSize(slicing, seed, replies.size() - fed);
    from_proxy.append(std::as_bytes(std::span(replies.data() + fed, n)));
    fed += n;
    result = client.advance(from_proxy, to_proxy);
    outcome.sent += drain(to_proxy);
  }
  check(result.status == StepStatus::need_input || result.status == StepStatus::done ||
        result.status == StepStatus::failed);
  check(result.isFailed() != result.reason.empty());
  for (const char c : result.reason) {
    check(c >= 0x20 && c < 0x7f);
  }
  if (result.status == StepStatus::need_input) {
    check(from_proxy.size() < kLongestReply);
  }

  // Only the dialogue's own messages, in order: the username/password (when
  // offered and chosen), then the CONNECT request; and CONNECT before done.
  const std::string auth = bytes({1, 4}) + "user" + bytes({6}) + "secret";
  const bool sent_ok =
      outcome.sent.empty() || outcome.sent == backend.request ||
      (with_user && (outcome.sent == auth || outcome.sent == auth + backend.request));
  check(sent_ok);
  check(!result.isDone() || outcome.sent.ends_with(backend.request));

  const std::size_t held = from_proxy.size();
  const StepResult again = client.advance(from_proxy, to_proxy);
  if (result.status != StepStatus::need_input) {
    check(again.status == result.status && again.reason == result.reason);
    check(from_proxy.size() == held);
    check(to_proxy.empty());
  }

  outcome.status = result.status;
  outcome.reason = result.reason;
  outcome.left = drain(from_proxy);
  outcome.left.append(replies.substr(fed));
  return outcome;
}

}  // namespace
}  // namespace tlsgate

// The entry point libFuzzer calls, hence its name.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const uint8_t* data, std::size_t size) {
  using tlsgate::Slicing;
  const std::string_view replies(reinterpret_cast<const char*>(data), size);
  for (const bool with_user : {false, true}) {
    const tlsgate::Outcome whole = tlsgate::run(replies, Slicing::whole, with_user);
    tlsgate::check(replies.ends_with(whole.left));
    for (const Slicing slicing : {Slicing::bytes, Slicing::uneven}) {
      const tlsgate::Outcome sliced = tlsgate::run(replies, slicing, with_user);
      tlsgate::check(sliced.status == whole.status);
      tlsgate::check(sliced.reason == whole.reason);
      tlsgate::check(sliced.sent == whole.sent);
      tlsgate::check(sliced.left == whole.left);
    }
  }
  return 0;
}
