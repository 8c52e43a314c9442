#include "tls/openssl_records.h"

#include <openssl/err.h>

#include <algorithm>
#include <climits>

#include "tls/tls_session_events.h"

namespace tlsgate {

TlsResult OpenSslRecords::read(std::span<std::byte> plaintext) {
  ERR_clear_error();
  std::size_t n = 0;
  const std::size_t size = std::min<std::size_t>(plaintext.size(), INT_MAX);
  if (SSL_read_ex(ssl_, plaintext.data(), size, &n) == 1) {
    return {TlsStatus::ok, n};
  }
  const int error = SSL_get_error(ssl_, 0);
  switch (error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return {TlsStatus::want_input, 0};
    case SSL_ERROR_ZERO_RETURN:
      return {TlsStatus::end_of_stream, 0};
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
      if (isUnexpectedEof()) {
        // Told apart from close_notify by the session, through inputEnded().
        ERR_clear_error();
        return {TlsStatus::want_input, 0};
      }
      return failWith(error);
    default:
      return failWith(error);
  }
}

TlsResult OpenSslRecords::write(std::span<const std::byte> plaintext) {
  ERR_clear_error();
  std::size_t n = 0;
  if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n) == 1) {
    return {TlsStatus::ok, n};
  }
  const int error = SSL_get_error(ssl_, 0);
  switch (error) {
    case SSL_ERROR_WANT_READ:  // handshake not finished yet
    case SSL_ERROR_WANT_WRITE:
      return {TlsStatus::want_input, 0};
    case SSL_ERROR_ZERO_RETURN:
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
      return failWith(error);
    default:
      return failWith(error);
  }
}

bool OpenSslRecords::sendCloseNotify() {
  ERR_clear_error();
  // 0 means "sent, peer's not seen yet"; 1 means both done. Either way ours is out.
  const int rc = SSL_shutdown(ssl_);
  if (rc >= 0) {
    return true;
  }
  const int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    return true;
  }
  failWith(error);
  return false;
}

TlsResult OpenSslRecords::failWith(int ssl_error) {
  failure_reason_ = describe_(ssl_error);
  return {TlsStatus::failed, 0};
}

bool OpenSslRecords::isUnexpectedEof() const {
  const unsigned long error = ERR_peek_error();  // NOLINT(google-runtime-int)
  return pipe_->ciphertextEnded() &&
         (error == 0 || (ERR_GET_LIB(error) == ERR_LIB_SSL &&
                         ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING));
}

}  // namespace tlsgate
