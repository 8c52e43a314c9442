#include "tls/record_layer_decline.h"

#include <array>

namespace tlsgate {

const char* recordLayerDeclineName(RecordLayerDecline reason) {
  static constexpr std::array<const char*, kRecordLayerDeclineCount> kNames = {
      "early_data", "max_fragment_length", "unsupported_suite",
      "no_secrets", "key_update",          "key_setup"};
  return kNames.at(static_cast<std::size_t>(reason));
}

}  // namespace tlsgate
