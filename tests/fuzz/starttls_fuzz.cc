// Feeds the STARTTLS dialogues, the backend greeting skipper and the
// PostgreSQL request decliner bytes from an untrusted peer.
//
// Input: byte 0 picks the dialogue (and, for the connect side, whether the
// greeting is forwarded or dropped); byte 1 sets the largest slice (0: the
// whole rest at once, 1: byte by byte); the rest are the peer's bytes,
// delivered in slices of pseudo-random size derived from byte 1.
//
// Invariants, checked with abort(): output stays within a constant plus 16
// times the input; a dialogue that has ended answers every later call the
// same and touches no queue; a dialogue waiting for input buffers little
// and does nothing more when called again without new bytes; done leaves
// no plaintext behind an upgrade, and a server's replay only exists when
// the client stayed in plaintext.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "protocol/greeting_skipper.h"
#include "protocol/starttls_client.h"
#include "protocol/starttls_server.h"
#include "util/buffer_pool.h"
#include "util/byte_queue.h"

namespace tlsgate {
namespace {

// What a peer may make a dialogue queue: this much at once, plus 16 bytes
// per byte it sent (64 KiB per 4 KiB).
constexpr std::size_t kOutputAllowance = 4096;
constexpr std::size_t kOutputPerInputByte = 16;
// The most a waiting dialogue may leave in its input queue (the longest
// PostgreSQL ErrorResponse it waits for, with room to spare).
constexpr std::size_t kMaxBufferedInput = std::size_t{16} * 1024;

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

enum class Kind {
  client_smtp,
  client_imap,
  client_pop3,
  client_ftp,
  client_postgres,
  server_smtp_required,
  server_smtp_optional,
  server_imap_required,
  server_imap_optional,
  server_pop3_required,
  server_pop3_optional,
  skipper_smtp,
  skipper_imap,
  skipper_pop3,
  decline_postgres,
  count,
};

// One dialogue behind a common face, so the driver below is shared.
class Dialogue {
 public:
  Dialogue() = default;
  virtual ~Dialogue() = default;
  Dialogue(const Dialogue&) = delete;
  Dialogue& operator=(const Dialogue&) = delete;
  Dialogue(Dialogue&&) = delete;
  Dialogue& operator=(Dialogue&&) = delete;
  virtual void begin(ByteQueue& out) = 0;
  virtual StepResult advance(ByteQueue& in, ByteQueue& out) = 0;
  // Checks what must hold once advance() returned `result`.
  virtual void checkAfter(const StepResult& result, const ByteQueue& in) = 0;
};

class ClientDialogue final : public Dialogue {
 public:
  ClientDialogue(StarttlsProtocol protocol, bool forward, BufferPool& pool)
      : client_(StarttlsClient::create(protocol, "gate.example.net")),
        forward_(forward),
        to_client_(pool) {}

  void begin(ByteQueue& out) override { client_->begin(out); }

  StepResult advance(ByteQueue& in, ByteQueue& out) override {
    // The greeting lands in a queue of its own, drained into `out` so that
    // the driver counts it.
    StepResult result = client_->advance(in, out, forward_ ? &to_client_ : nullptr);
    while (!to_client_.empty()) {
      const std::size_t n = to_client_.front().size();
      out.append(to_client_.front());
      to_client_.consume(n);
    }
    return result;
  }

  void checkAfter(const StepResult& result, const ByteQueue& in) override {
    if (result.isDone()) {
      check(in.empty());  // nothing may hide behind the "go ahead"
    }
  }

 private:
  std::unique_ptr<StarttlsClient> client_;
  bool forward_;
  ByteQueue to_client_;
};

class ServerDialogue final : public Dialogue {
 public:
  ServerDialogue(StarttlsProtocol protocol, bool require)
      : server_(StarttlsServer::create({protocol, require, ""}, "mx.example.net")),
        require_(require) {}

  void begin(ByteQueue& out) override { server_->begin(out); }
  StepResult advance(ByteQueue& in, ByteQueue& out) override { return server_->advance(in, out); }

  void checkAfter(const StepResult& result, const ByteQueue& in) override {
    const std::string replay = server_->replay();
    const bool plaintext = result.isDone() && !server_->upgraded();
    check(!server_->upgraded() || result.isDone());
    check(!server_->upgraded() || in.empty());
    check(plaintext == !replay.empty());
    check(!plaintext || !require_);
    check(replay.empty() || replay.ends_with("\r\n"));
    check(replay.size() <= std::size_t{2} * (8192 + 2));
    check(server_->replayReplies() <= 1);
  }

 private:
  std::unique_ptr<StarttlsServer> server_;
  bool require_;
};

class SkipperDialogue final : public Dialogue {
 public:
  SkipperDialogue(StarttlsProtocol protocol, std::size_t replies, std::string_view replay)
      : skipper_(protocol, replies, replay) {}

  void begin(ByteQueue& /*out*/) override {}
  StepResult advance(ByteQueue& in, ByteQueue& out) override { return skipper_.advance(in, out); }
  void checkAfter(const StepResult& /*result*/, const ByteQueue& /*in*/) override {}

 private:
  GreetingSkipper skipper_;
};

class DeclineDialogue final : public Dialogue {
 public:
  void begin(ByteQueue& /*out*/) override {}

  // Stateless: once done, the bytes it left are not a request, so it
  // stays done however many more arrive.
  StepResult advance(ByteQueue& in, ByteQueue& out) override {
    return declinePostgresEncryption(in, out);
  }

  void checkAfter(const StepResult& result, const ByteQueue& in) override {
    check(result.status == StepStatus::done || result.status == StepStatus::need_input);
    check(result.isDone() || in.size() < 8);
  }
};

std::unique_ptr<Dialogue> makeDialogue(uint8_t selector, BufferPool& pool) {
  const auto kind = static_cast<Kind>(selector % static_cast<int>(Kind::count));
  const bool forward = (selector / static_cast<int>(Kind::count)) % 2 == 0;
  switch (kind) {
    case Kind::client_smtp:
      return std::make_unique<ClientDialogue>(StarttlsProtocol::smtp, forward, pool);
    case Kind::client_imap:
      return std::make_unique<ClientDialogue>(StarttlsProtocol::imap, forward, pool);
    case Kind::client_pop3:
      return std::make_unique<ClientDialogue>(StarttlsProtocol::pop3, forward, pool);
    case Kind::client_ftp:
      return std::make_unique<ClientDialogue>(StarttlsProtocol::ftp, forward, pool);
    case Kind::client_postgres:
      return std::make_unique<ClientDialogue>(StarttlsProtocol::postgres, forward, pool);
    case Kind::server_smtp_required:
      return std::make_unique<ServerDialogue>(StarttlsProtocol::smtp, true);
    case Kind::server_smtp_optional:
      return std::make_unique<ServerDialogue>(StarttlsProtocol::smtp, false);
    case Kind::server_imap_required:
      return std::make_unique<ServerDialogue>(StarttlsProtocol::imap, true);
    case Kind::server_imap_optional:
      return std::make_unique<ServerDialogue>(StarttlsProtocol::imap, false);
    case Kind::server_pop3_required:
      return std::make_unique<ServerDialogue>(StarttlsProtocol::pop3, true);
    case Kind::server_pop3_optional:
      return std::make_unique<ServerDialogue>(StarttlsProtocol::pop3, false);
    case Kind::skipper_smtp:
      return std::make_unique<SkipperDialogue>(StarttlsProtocol::smtp, 1,
                                               "EHLO c.example\r\nMAIL FROM:<a@example.com>\r\n");
    case Kind::skipper_imap:
      return std::make_unique<SkipperDialogue>(StarttlsProtocol::imap, forward ? 0 : 1,
                                               "a1 LOGIN user secret\r\n");
    case Kind::skipper_pop3:
      return std::make_unique<SkipperDialogue>(StarttlsProtocol::pop3, 0, "USER alice\r\n");
    case Kind::decline_postgres:
    case Kind::count:
      break;
  }
  return std::make_unique<DeclineDialogue>();
}

// Slice sizes from a small linear congruential generator seeded by the
// input, between 1 and `largest`.
class Slicer {
 public:
  explicit Slicer(uint8_t largest) : largest_(largest), state_(largest) {}

  std::size_t next(std::size_t left) {
    if (largest_ == 0) {
      return left;
    }
    state_ = state_ * 1103515245U + 12345U;
    return std::min<std::size_t>(left, 1 + (state_ >> 16) % largest_);
  }

 private:
  uint8_t largest_;
  uint32_t state_;
};

void run(const uint8_t* data, std::size_t size) {
  if (size < 2) {
    return;
  }
  BufferPool pool(256);
  ByteQueue in(pool);
  ByteQueue out(pool);
  std::unique_ptr<Dialogue> dialogue = makeDialogue(data[0], pool);
  Slicer slicer(data[1]);
  const auto peer = std::as_bytes(std::span(data + 2, size - 2));

  std::size_t fed = 0;
  std::size_t produced = 0;
  // Counts and drops what the dialogue queued, as a socket write would.
  auto drain = [&] {
    produced += out.size();
    out.clear();
    check(produced <= kOutputAllowance + kOutputPerInputByte * fed);
  };

  dialogue->begin(out);
  drain();
  StepResult result = dialogue->advance(in, out);
  drain();
  while (result.status == StepStatus::need_input && fed < peer.size()) {
    const std::size_t n = slicer.next(peer.size() - fed);
    in.append(peer.subspan(fed, n));
    fed += n;
    result = dialogue->advance(in, out);
    drain();
    dialogue->checkAfter(result, in);
    if (result.status != StepStatus::need_input) {
      break;
    }
    check(in.size() <= kMaxBufferedInput);
    // Waiting means waiting: without new bytes, nothing changes.
    const std::size_t before = in.size();
    const StepResult again = dialogue->advance(in, out);
    check(again.status == StepStatus::need_input);
    check(in.size() == before && out.empty());
  }
  if (result.status == StepStatus::need_input) {
    return;
  }
  check(result.status != StepStatus::failed || !result.reason.empty());

  // The end is final: more bytes (the TLS handshake, say) are not read.
  const std::size_t left = in.size();
  in.append(peer.subspan(fed));
  const std::size_t offered = in.size();
  const StepResult later = dialogue->advance(in, out);
  check(later.status == result.status && later.reason == result.reason);
  check(in.size() == offered && out.empty());
  check(left <= offered);
}

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tlsgate::run(data, size);
  return 0;
}
