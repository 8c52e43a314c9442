// Every callback tlsgate gives OpenSSL, in one place.
//
// Each callback finds what it talks to through ex_data: the TlsContext on
// the SSL_CTX, and the connection's TlsSessionEvents on the SSL (or its
// CiphertextPipe on the BIO). None of them knows the concrete TlsSession.
// The install functions below are the only way callbacks get registered.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace tlsgate {

class CiphertextPipe;
class ClientTlsContext;
class ServerTlsContext;
class TlsContext;
class TlsSessionEvents;

// Links an SSL_CTX to the TlsContext that owns it; every SSL_CTX of a
// context gets the same one.
void attachContext(SSL_CTX* ctx, const TlsContext& context);
const TlsContext* contextOf(const SSL* ssl);
// Links an SSL to its connection's events; null until attached.
void attachSession(SSL* ssl, TlsSessionEvents& events);
TlsSessionEvents* sessionEventsOf(const SSL* ssl);

// A BIO that reads and writes `pipe`, for SSL_set_bio; null when OpenSSL
// cannot allocate one.
BIO* newCiphertextBio(CiphertextPipe& pipe);

// The handshake trace at debug level (TclTLS's -command "info").
void installInfoCallback(SSL_CTX* ctx);
// The secret tap: every secret OpenSSL derives goes to the session's
// events and to the context's key log file, if it has one.
void installSecretTap(SSL_CTX* ctx);
// SSL_CTX_set_verify with a callback that reports the first certificate
// that fails verification to the session.
void installVerifyCallback(SSL_CTX* ctx, int mode);
// Chain verification followed by the context's own rules on the verified
// leaf (TlsContext::peerRefusal).
void installPeerRules(SSL_CTX* ctx, const TlsContext& context);

// Server side: moves a connection to the SSL_CTX that serves its SNI.
void installServernameCallback(SSL_CTX* ctx, const ServerTlsContext& context);
// Server side: picks an ALPN protocol from `wire` (length-prefixed, in our
// order of preference), which must outlive `ctx`.
void installAlpnSelect(SSL_CTX* ctx, const std::string& wire);
// Server side: staples the context's OCSP response.
void installOcspStapling(SSL_CTX* ctx, const ServerTlsContext& context);
// Server side: encrypts and decrypts session tickets with the ticket keys
// of the ServerTlsContext attached to the SSL_CTX.
void installTicketKeyCallback(SSL_CTX* ctx);

// Client side: keeps every new session on the ClientTlsContext attached to
// the SSL_CTX, to resume it.
void installSessionKeeper(SSL_CTX* ctx);

}  // namespace tlsgate
