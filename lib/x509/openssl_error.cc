#include "x509/openssl_error.h"

#include <openssl/err.h>

namespace tlsgate {

std::string opensslReason(unsigned long code) {  // NOLINT(google-runtime-int)
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return reason != nullptr ? reason : "unknown OpenSSL error";
}

std::string takeOpensslError() {
  const unsigned long code = ERR_get_error();  // NOLINT(google-runtime-int)
  ERR_clear_error();
  return opensslReason(code);
}

}  // namespace tlsgate
