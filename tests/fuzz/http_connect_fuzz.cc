// Feeds arbitrary bytes to HttpConnectClient as the proxy's reply: whole,
// byte by byte and in uneven slices. Whatever the bytes, the client must stay
// within its bounds, and its answer must not depend on how the reply was cut
// into reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "protocol/http_connect_client.h"

namespace tlsgate {
namespace {

constexpr std::string_view kTarget = "backend.example:443";

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

enum class Slicing { whole, bytes, uneven };

// How many bytes the next read brings.
std::size_t sliceSize(Slicing slicing, uint32_t& seed, std::size_t remaining) {
  switch (slicing) {
    case Slicing::whole:
      return remaining;
    case Slicing::bytes:
      return 1;
    case Slicing::uneven:
    default:
      seed = seed * 1103515245U + 12345U;
      return std::min<std::size_t>(remaining, 1 + (seed >> 16) % 23);
  }
}

struct Outcome {
  StepStatus status = StepStatus::need_input;
  std::string reason;
  std::string left;  // what stays for the backend once done
};

Outcome run(std::string_view reply, Slicing slicing, const std::string& credentials) {
  BufferPool pool(16);
  ByteQueue from_proxy(pool);
  ByteQueue to_proxy(pool);
  HttpConnectClient client(std::string(kTarget), credentials);
  client.begin(to_proxy);
  const std::string request = drain(to_proxy);
  check(request.starts_with("CONNECT backend.example:443 HTTP/1.1\r\n"));
  check(request.ends_with("\r\n\r\n"));
  check(credentials.empty() == (request.find("Proxy-Authorization: Basic ") == std::string::npos));

  uint32_t seed = static_cast<uint32_t>(reply.size());
  std::size_t fed = 0;
  StepResult result = client.advance(from_proxy);
  while (result.status == StepStatus::need_input && fed < reply.size()) {
    // A client waiting for more has taken everything in: the line reader
    // holds what it needs, and its bound keeps that small.
    check(from_proxy.empty());
    check(result.reason.empty());
    const std::size_t n = sliceSize(slicing, seed, reply.size() - fed);
    from_proxy.append(std::as_bytes(std::span(reply.data() + fed, n)));
    fed += n;
    result = client.advance(from_proxy);
  }
  check(result.status == StepStatus::need_input || result.status == StepStatus::done ||
        result.status == StepStatus::failed);
  check(result.isFailed() != result.reason.empty());
  for (const char c : result.reason) {
    check(c >= 0x20 && c < 0x7f);  // it goes into a log line
  }
  check(result.reason.size() < 400);
  check(to_proxy.empty());

  // Once over, the answer stays and nothing more is consumed.
  const std::size_t held = from_proxy.size();
  const StepResult again = client.advance(from_proxy);
  if (result.status != StepStatus::need_input) {
    check(again.status == result.status && again.reason == result.reason);
    check(from_proxy.size() == held);
  }

  Outcome outcome{result.status, result.reason, drain(from_proxy)};
  outcome.left.append(reply.substr(fed));
  return outcome;
}

}  // namespace
}  // namespace tlsgate

// The entry point libFuzzer calls, hence its name.
extern "C" int LLVMFuzzerTestOneInput(  // NOLINT(readability-identifier-naming)
    const uint8_t* data, std::size_t size) {
  using tlsgate::Slicing;
  const std::string_view reply(reinterpret_cast<const char*>(data), size);
  // Credentials change only the words of a 407, so one run in two has them.
  const std::string credentials = size % 2 == 0 ? "" : "user:secret";
  const tlsgate::Outcome whole = tlsgate::run(reply, Slicing::whole, credentials);
  for (const Slicing slicing : {Slicing::bytes, Slicing::uneven}) {
    const tlsgate::Outcome sliced = tlsgate::run(reply, slicing, credentials);
    tlsgate::check(sliced.status == whole.status);
    tlsgate::check(sliced.reason == whole.reason);
    // After a refusal the unread rest of the reply depends on where the line
    // reader stopped, which the cuts decide; after success it must not.
    if (whole.status == tlsgate::StepStatus::done) {
      tlsgate::check(sliced.left == whole.left);
      tlsgate::check(reply.ends_with(whole.left));
    }
  }
  return 0;
}
