// OpenSSL's error queue in words, for config errors and startup messages.
// (A connection's failure reason is tls/failure_reason.h.)
#pragma once

#include <string>

namespace tlsgate {

// The reason string of one packed error code, e.g. "no such file"; "unknown
// OpenSSL error" for 0 or a code without one.
std::string opensslReason(unsigned long code);  // NOLINT(google-runtime-int)

// Takes this thread's error queue: the reason of its first error, with the
// queue left empty.
std::string takeOpensslError();

}  // namespace tlsgate
