// `tlsgate import stunnel`: a stunnel.conf, read by stunnel_conf.h, as an
// equivalent tlsgate configuration. Each [service] becomes a listener; a
// service with `sni = PRIMARY:PATTERN` becomes a certificate and a route of
// its primary's listener. What has no equivalent is a comment at the place
// it would go and a warning in the result; nothing is dropped silently.
#pragma once

#include "migrate/import_report.h"
#include "migrate/stunnel_conf.h"

namespace tlsgate {

// Throws ConfigError, naming file:line, for what stunnel itself would refuse
// (a bad value, a server service without a certificate, no service at all).
ImportResult importStunnel(const StunnelConf& conf, const std::string& source_name);

}  // namespace tlsgate
