#include "tls/keylog_file.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "util/config_error.h"
#include "util/errno_text.h"

namespace tlsgate {

std::unique_ptr<KeylogFile> KeylogFile::open(const TlsPolicyConfig& config) {
  std::string path = config.keylog.value;
  const char* env = std::getenv("SSLKEYLOGFILE");  // NOLINT(concurrency-mt-unsafe)
  if (path.empty() && env != nullptr && *env != '\0') {
    path = env;
  }
  if (path.empty()) {
    return nullptr;
  }
  // Key log files hold secrets: create them private to the owner.
  const mode_t old_mask = ::umask(077);
  std::FILE* file = std::fopen(path.c_str(), "a");
  const int error = errno;
  ::umask(old_mask);
  if (file == nullptr) {
    throw ConfigError(config.keylog.mark, "keylog",
                      "cannot open key log " + path + ": " + errnoText(error));
  }
  spdlog::warn(
      "{}: TLS session keys are being written to {}; anyone who can read it can "
      "decrypt this traffic",
      config.mark.str(), path);
  return std::unique_ptr<KeylogFile>(new KeylogFile(file, std::move(path)));
}

KeylogFile::~KeylogFile() {
  std::fclose(file_);
}

void KeylogFile::onSecret(const DerivedSecret& secret) {
  std::fprintf(file_, "%.*s %.*s %.*s\n", static_cast<int>(secret.label.size()),
               secret.label.data(), static_cast<int>(secret.client_random.size()),
               secret.client_random.data(), static_cast<int>(secret.secret.size()),
               secret.secret.data());
  std::fflush(file_);
}

}  // namespace tlsgate
