// accept.starttls and connect.starttls: which plaintext preamble comes
// before the TLS handshake (TWAPI starttls, TclTLS tls::import).
//
// The accept side answers the preamble itself, so it knows only the
// protocols whose server side tlsgate speaks: smtp, imap and pop3. The
// connect side plays the client and also knows ftp and postgres.
#pragma once

#include "config/config.h"
#include "config/config_node.h"

namespace tlsgate {

// `starttls: smtp` or `starttls: { protocol: smtp, require: true, hostname: NAME }`.
AcceptStarttls parseAcceptStarttls(const ConfigNode& node);

// `starttls: none|smtp|imap|pop3|ftp|postgres`.
StarttlsProtocol parseConnectStarttls(const ConfigNode& node);

// The word the config uses for `protocol`.
const char* starttlsName(StarttlsProtocol protocol);

}  // namespace tlsgate
