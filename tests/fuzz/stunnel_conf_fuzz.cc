// Fuzzes `tlsgate import stunnel`: parseStunnelConf and importStunnel on
// arbitrary bytes. A ConfigError naming a source line is the expected answer
// to a file that stunnel or tlsgate would refuse; any other exception,
// ImportBug among them (converted YAML that tlsgate refuses for a reason of
// the converter's own), escapes and aborts the run. The YAML of every file
// that converts is loaded once more here, as `tlsgate check` would.
//
// Includes read nothing: an `include` line adds no file. A CAfile that
// verifyPeer reads is a path of this machine, which the inputs rarely name.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config_loader.h"
#include "migrate/stunnel_conf.h"
#include "migrate/stunnel_import.h"
#include "util/config_error.h"

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tlsgate::ImportResult result;
  try {
    const tlsgate::StunnelConf conf = tlsgate::parseStunnelConf(
        text, "stunnel.conf",
        [](const tlsgate::StunnelOption&) { return std::vector<tlsgate::IncludedFile>{}; });
    result = tlsgate::importStunnel(conf, "stunnel.conf");
  } catch (const tlsgate::ConfigError& e) {
    if (std::string(e.what()).rfind("stunnel.conf", 0) != 0) {
      std::abort();
    }
    return 0;
  }
  try {
    tlsgate::ConfigLoader::loadString(result.yaml, "converted.yaml", "/nonexistent/tlsgate-fuzz");
  } catch (const tlsgate::ConfigError& e) {
    std::fprintf(stderr, "the converted file does not load: %s\n%s\n", e.what(),
                 result.yaml.c_str());
    std::abort();
  }
  return 0;
}
