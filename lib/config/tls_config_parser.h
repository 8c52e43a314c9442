// tls: blocks, with global.tls_defaults merged in.
//
// The merge is per key, like tls::init: a key written in the block replaces
// the default of the same name; keys the block leaves out come from
// tls_defaults when they apply to the block's side. The connect-side client
// certificate (cert, key, password) is inherited as a whole or not at all, so
// a block's key is never paired with a default's certificate.
#pragma once

#include <optional>

#include "config/config.h"
#include "config/config_node.h"

namespace tlsgate {

// Checks global.tls_defaults on its own, so a mistake there is reported even
// when no tls block inherits it.
void checkTlsDefaults(const ConfigNode& defaults);

// Parse the tls: block of one side of a listener: accept.tls, where
// tlsgate is the server, and connect.tls, where it is the client. A key of
// the other side is an error that names the side it belongs on.
ServerTlsConfig parseServerTlsBlock(const ConfigNode& block,
                                    const std::optional<ConfigNode>& defaults);
ClientTlsConfig parseClientTlsBlock(const ConfigNode& block,
                                    const std::optional<ConfigNode>& defaults);

}  // namespace tlsgate
