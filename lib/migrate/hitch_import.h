// `tlsgate import hitch`: a parsed hitch.conf (hitch_conf.h) turned into a
// tlsgate configuration that does what hitch did with it. Each frontend
// becomes a listener (two for a frontend on every address, "*": tlsgate
// listens on 0.0.0.0 and [::] separately), each with the certificates it
// serves in the order tlsgate picks them, and hitch's defaults are written
// out wherever tlsgate's differ. What has no equivalent is left out with a
// note in the YAML and a warning; nothing of the file is dropped silently.
#pragma once

#include "migrate/hitch_conf.h"
#include "migrate/import_report.h"

namespace tlsgate {

// The YAML and the warnings. pem-dir directories are listed, and the
// pem-files read (hitch takes DH parameters from them), at the time of the
// import. Throws ConfigError("file:line: reason") for a file hitch itself
// would refuse: a bad address, no certificate for a frontend, client-verify
// without a CA, two of write-ip, write-proxy-v1, write-proxy-v2 and
// proxy-proxy.
ImportResult importHitch(const HitchConf& conf);

}  // namespace tlsgate
