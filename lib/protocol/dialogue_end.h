// Remembers how a dialogue ended, so that every later call gets the same
// answer and leaves the queues alone. Once a dialogue is done the bytes that
// follow belong to the TLS handshake; a caller that calls once more by
// mistake must not make it read them as plaintext commands.
#pragma once

#include "protocol/step_result.h"

namespace tlsgate {

class DialogueEnd {
 public:
  // The final result, or null while the dialogue goes on.
  const StepResult* result() const { return ended_ ? &result_ : nullptr; }

  // Passes `result` through, keeping it if it ends the dialogue.
  StepResult keep(StepResult result) {
    if (result.status != StepStatus::need_input) {
      ended_ = true;
      result_ = result;
    }
    return result;
  }

 private:
  bool ended_ = false;
  StepResult result_;
};

}  // namespace tlsgate
