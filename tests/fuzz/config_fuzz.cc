// Fuzzes ConfigLoader::loadString. A ConfigError is the expected answer to
// a bad file; any other exception escapes and aborts the run, as does a
// crash, a leak or undefined behaviour. An error must carry a message.
//
// The environment is replaced by a fixed one so that ${VAR} expands the
// same way on every machine, and relative paths resolve against a directory
// that does not exist. The loader reads no certificate or key; the one file
// it opens is a via proxy's credentials file, which here fails fast unless
// the input names an absolute path that exists.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/config_loader.h"
#include "util/config_error.h"

namespace {

void useFixedEnvironment() {
  static bool fixed = false;
  if (fixed) {
    return;
  }
  fixed = true;
  clearenv();  // NOLINT(concurrency-mt-unsafe): the harness is single-threaded
  setenv("TLSGATE_PORT", "8443", 1);             // NOLINT(concurrency-mt-unsafe)
  setenv("TLSGATE_HOST", "backend.example", 1);  // NOLINT(concurrency-mt-unsafe)
  setenv("TLSGATE_EMPTY", "", 1);                // NOLINT(concurrency-mt-unsafe)
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  useFixedEnvironment();
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    tlsgate::ConfigLoader::loadString(yaml, "fuzz.yaml", "/nonexistent/tlsgate-fuzz");
  } catch (const tlsgate::ConfigError& e) {
    if (std::string(e.what()).empty()) {
      std::abort();
    }
  }
  return 0;
}
