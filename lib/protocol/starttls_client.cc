#include "protocol/starttls_client.h"

#include <utility>

#include "protocol/ftp_auth_tls.h"
#include "protocol/imap_starttls.h"
#include "protocol/pop3_stls.h"
#include "protocol/postgres_ssl_request.h"
#include "protocol/smtp_starttls.h"

namespace tlsgate {

std::unique_ptr<StarttlsClient> StarttlsClient::create(StarttlsProtocol protocol,
                                                       std::string ehlo_name) {
  switch (protocol) {
    case StarttlsProtocol::smtp:
      return std::make_unique<SmtpStarttlsClient>(std::move(ehlo_name));
    case StarttlsProtocol::imap:
      return std::make_unique<ImapStarttlsClient>();
    case StarttlsProtocol::pop3:
      return std::make_unique<Pop3StlsClient>();
    case StarttlsProtocol::ftp:
      return std::make_unique<FtpAuthTlsClient>();
    case StarttlsProtocol::postgres:
      return std::make_unique<PostgresSslClient>();
    case StarttlsProtocol::none:
      break;
  }
  return nullptr;
}

StepResult doneIfNothingFollows(const ByteQueue& from_server, std::string_view reply) {
  if (from_server.empty()) {
    return StepResult::done();
  }
  // A server (or someone on the path) that queues plaintext behind its "go
  // ahead" hopes it is read as if it came inside TLS.
  const std::size_t n = from_server.size();
  return StepResult::fail("the server sent " + std::to_string(n) + (n == 1 ? " byte" : " bytes") +
                          " after its " + std::string(reply) +
                          ", before the TLS handshake; refusing them (possible command injection)");
}

}  // namespace tlsgate
