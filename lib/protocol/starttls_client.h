// The connect side of STARTTLS: tlsgate is the client of a server that
// starts in plaintext and upgrades on request (connect.starttls). The
// plaintext client behind tlsgate knows nothing of it: it sees the server's
// greeting, and once the upgrade is done its own commands go to the server
// inside TLS.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "protocol/dialogue_end.h"
#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class StarttlsClient {
 public:
  // ehlo_name: what tlsgate says in EHLO (smtp). Null for
  // StarttlsProtocol::none.
  static std::unique_ptr<StarttlsClient> create(StarttlsProtocol protocol, std::string ehlo_name);

  StarttlsClient() = default;
  virtual ~StarttlsClient() = default;
  StarttlsClient(const StarttlsClient&) = delete;
  StarttlsClient& operator=(const StarttlsClient&) = delete;
  StarttlsClient(StarttlsClient&&) = delete;
  StarttlsClient& operator=(StarttlsClient&&) = delete;

  // Bytes to send before the server says anything (postgres: the
  // SSLRequest). Called once, first.
  virtual void begin(ByteQueue& to_server) = 0;

  // Consumes what the server sent and queues tlsgate's commands to it. The
  // server's greeting goes to `to_client` (the plaintext client must see
  // it), or is read and dropped when to_client is null.
  // done: the server agreed to the upgrade and from_server is empty; the
  // TLS handshake starts next. Bytes queued behind the server's "go ahead"
  // fail the dialogue instead (see CVE-2011-0411).
  virtual StepResult advance(ByteQueue& from_server, ByteQueue& to_server,
                             ByteQueue* to_client) = 0;
};

// The line-based dialogues (smtp, imap, pop3, ftp): tlsgate waits for the
// server to speak first, and once the dialogue has ended every later call
// gets the same answer and leaves the queues alone.
class ServerFirstStarttlsClient : public StarttlsClient {
 public:
  void begin(ByteQueue& /*to_server*/) final {}
  StepResult advance(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) final {
    if (const StepResult* ended = end_.result()) {
      return *ended;
    }
    return end_.keep(step(from_server, to_server, to_client));
  }

 protected:
  // One turn of the dialogue over what has arrived.
  virtual StepResult step(ByteQueue& from_server, ByteQueue& to_server, ByteQueue* to_client) = 0;

 private:
  DialogueEnd end_;
};

// For connect.starttls: postgres, before the client's bytes are relayed.
// The plaintext client may itself open with an SSLRequest or a
// GSSENCRequest (psql's default sslmode=prefer does); each is consumed and
// answered 'N', so the client goes on in plaintext and tlsgate does the
// encryption. done once the next bytes are not such a request (they are left
// in from_client); need_input while fewer than 8 bytes could still be one.
StepResult declinePostgresEncryption(ByteQueue& from_client, ByteQueue& to_client);

// The end of every connect-side dialogue once the server has said "go
// ahead": done if nothing follows the reply, else failed. `reply` names
// it, e.g. "STARTTLS reply".
StepResult doneIfNothingFollows(const ByteQueue& from_server, std::string_view reply);

}  // namespace tlsgate
