#include "protocol/ftp_auth_tls.h"

#include "protocol/ascii_text.h"

namespace tlsgate {

StepResult FtpAuthTlsClient::step(ByteQueue& from_server, ByteQueue& to_server,
                                  ByteQueue* to_client) {
  while (true) {
    SmtpReply reply;
    switch (replies_.next(from_server, reply)) {
      case SmtpReplyReader::Status::need_input:
        return StepResult::needInput();
      case SmtpReplyReader::Status::failed:
        return StepResult::fail("the FTP server sent " + replies_.error());
      case SmtpReplyReader::Status::reply:
        break;
    }
    if (state_ == State::auth_reply) {
      if (reply.code != 234) {
        return StepResult::fail("the server refused AUTH TLS: " + reply.quoted());
      }
      return doneIfNothingFollows(from_server, "AUTH TLS reply");
    }
    if (reply.code != 220) {
      return StepResult::fail("the FTP server greeted with " + reply.quoted());
    }
    if (to_client != nullptr) {
      reply.writeTo(*to_client);
    }
    appendLine(to_server, "AUTH TLS");
    state_ = State::auth_reply;
  }
}

}  // namespace tlsgate
