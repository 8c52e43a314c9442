// Why a TLS 1.3 accept-side session stays with OpenSSL instead of handing
// its connection over to tlsgate's record layer (see record_layer.h).
#pragma once

#include <cstddef>

namespace tlsgate {

enum class RecordLayerDecline {
  early_data,           // accepted 0-RTT data
  max_fragment_length,  // negotiated with the client
  unsupported_suite,    // a CCM suite
  no_secrets,           // the secret tap gave no application secrets
  key_update,           // a KeyUpdate went through OpenSSL before the hand-over
  key_setup,            // the record layer could not set up its keys
};
inline constexpr std::size_t kRecordLayerDeclineCount =
    static_cast<std::size_t>(RecordLayerDecline::key_setup) + 1;

// The metric label and log word, e.g. "max_fragment_length".
const char* recordLayerDeclineName(RecordLayerDecline reason);

}  // namespace tlsgate
