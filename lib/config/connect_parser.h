// A connect: map, of a listener or of a route: the backends, how to pick
// one, how to reach it (via), and what comes before the relay (a PROXY
// header, a STARTTLS preamble, TLS).
#pragma once

#include <optional>

#include "config/config.h"
#include "config/config_node.h"

namespace tlsgate {

// `accept` is the listener's accept side, already parsed: some connect
// settings depend on what the client side provides.
ConnectConfig parseConnect(const ConfigNode& node, const AcceptConfig& accept,
                           const std::optional<ConfigNode>& tls_defaults);

}  // namespace tlsgate
