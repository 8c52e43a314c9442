// Fuzzes parseHitchConf and importHitch. A ConfigError is the expected
// answer to a file hitch would refuse; any other exception escapes and
// aborts the run, as does a crash, a leak or undefined behaviour. Every
// conversion must give YAML that ConfigLoader::loadString accepts, since
// `tlsgate import hitch` promises a configuration tlsgate can load.
//
// The environment is cleared so that nothing the YAML holds can expand
// differently between machines; importHitch writes '$' as "$$" in any case.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config_loader.h"
#include "migrate/hitch_conf.h"
#include "migrate/hitch_import.h"
#include "util/config_error.h"

namespace {

void useFixedEnvironment() {
  static bool fixed = false;
  if (fixed) {
    return;
  }
  fixed = true;
  clearenv();  // NOLINT(concurrency-mt-unsafe): the harness is single-threaded
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  useFixedEnvironment();
  const std::string text(reinterpret_cast<const char*>(data), size);
  tlsgate::ImportResult result;
  try {
    result = tlsgate::importHitch(tlsgate::parseHitchConf(text, "fuzz.conf"));
  } catch (const tlsgate::ConfigError& e) {
    if (std::string(e.what()).empty()) {
      std::abort();
    }
    return 0;
  }
  try {
    tlsgate::ConfigLoader::loadString(result.yaml, "converted.yaml", "/nonexistent/tlsgate-fuzz");
  } catch (const tlsgate::ConfigError& e) {
    std::fprintf(stderr, "tlsgate refuses the conversion: %s\n%s", e.what(), result.yaml.c_str());
    std::abort();
  }
  return 0;
}
