// The accept: map of a listener: where clients connect, and what comes
// before the relay (a PROXY header, a STARTTLS preamble, TLS).
#pragma once

#include <optional>

#include "config/config.h"
#include "config/config_node.h"

namespace tlsgate {

AcceptConfig parseAccept(const ConfigNode& node, const std::optional<ConfigNode>& tls_defaults);

}  // namespace tlsgate
