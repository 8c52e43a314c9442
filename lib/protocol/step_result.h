// The answer of one step of a preamble dialogue (a PROXY header, a STARTTLS
// exchange, a proxy's CONNECT reply): go on, wait for more bytes, or stop.
//
// The dialogues in lib/protocol are sans-IO: they read from and write to
// ByteQueues and know nothing of sockets or libuv. A connection phase feeds
// them whatever arrives and sends whatever they queue.
#pragma once

#include <string>
#include <utility>

namespace tlsgate {

enum class StepStatus {
  need_input,  // nothing more to do until more bytes arrive
  done,        // the dialogue is over; bytes left in the input belong to the next phase
  close,       // an ordinary end (the peer said QUIT): send what is queued, then close
  failed,      // `reason` says why; a protocol error reply may be queued to send first
};

struct StepResult {
  StepStatus status = StepStatus::need_input;
  std::string reason;  // for failed: one line a person can act on

  static StepResult needInput() { return {StepStatus::need_input, {}}; }
  static StepResult done() { return {StepStatus::done, {}}; }
  static StepResult close(std::string why = {}) { return {StepStatus::close, std::move(why)}; }
  static StepResult fail(std::string why) { return {StepStatus::failed, std::move(why)}; }

  bool isDone() const { return status == StepStatus::done; }
  bool isFailed() const { return status == StepStatus::failed; }
};

}  // namespace tlsgate
