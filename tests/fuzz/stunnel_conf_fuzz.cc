// Fuzzes `tlsgate import stunnel`: parseStunnelConf and importStunnel on
// arbitrary bytes. A ConfigError naming a source line is the expected answer
// to a file that stunnel or tlsgate would refuse; any other exception,
// ImportBug among them (converted YAML that tlsgate refuses for a reason of
// the converter's own), escapes and aborts the run. importStunnel loads the
// YAML of every file that converts as `tlsgate check` would, so a result
// is one that tlsgate accepts.
//
// Includes read nothing: an `include` line adds no file. A CAfile that
// verifyPeer reads is a path of this machine, which the inputs rarely name.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "migrate/stunnel_conf.h"
#include "migrate/stunnel_import.h"
#include "util/config_error.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const tlsgate::StunnelConf conf = tlsgate::parseStunnelConf(
        text, "stunnel.conf",
        [](const tlsgate::StunnelOption&) { return std::vector<tlsgate::IncludedFile>{}; });
    tlsgate::importStunnel(conf, "stunnel.conf");
  } catch (const tlsgate::ConfigError& e) {
    if (std::string(e.what()).rfind("stunnel.conf", 0) != 0) {
      std::abort();
    }
    return 0;
  }
  return 0;
}
