#include "protocol/starttls_server.h"

#include <utility>

#include "protocol/imap_starttls.h"
#include "protocol/pop3_stls.h"
#include "protocol/smtp_starttls.h"

namespace tlsgate {

std::unique_ptr<StarttlsServer> StarttlsServer::create(const AcceptStarttls& config,
                                                       std::string hostname) {
  // The greeting must name someone; the caller passes the configured name
  // or the host's own.
  if (hostname.empty()) {
    hostname = "localhost";
  }
  switch (config.protocol) {
    case StarttlsProtocol::smtp:
      return std::make_unique<SmtpStarttlsServer>(config.require, std::move(hostname));
    case StarttlsProtocol::imap:
      return std::make_unique<ImapStarttlsServer>(config.require, std::move(hostname));
    case StarttlsProtocol::pop3:
      return std::make_unique<Pop3StlsServer>(config.require, std::move(hostname));
    case StarttlsProtocol::ftp:
    case StarttlsProtocol::postgres:
    case StarttlsProtocol::none:
      break;
  }
  return nullptr;
}

}  // namespace tlsgate
