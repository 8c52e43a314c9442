// The key log file: the secret tap's consumer that writes every secret out
// in NSS key log format, which Wireshark reads to decrypt a capture.
//
// One exists only when the tls block sets keylog, or the environment sets
// SSLKEYLOGFILE, and opening it warns that anyone who can read the file can
// decrypt the traffic.
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "config/config.h"
#include "tls/secret_tap.h"

namespace tlsgate {

class KeylogFile final : public SecretTap {
 public:
  // Null when neither keylog nor SSLKEYLOGFILE names a file. Throws
  // ConfigError when the file cannot be opened.
  static std::unique_ptr<KeylogFile> open(const TlsPolicyConfig& config);
  ~KeylogFile() override;
  KeylogFile(const KeylogFile&) = delete;
  KeylogFile& operator=(const KeylogFile&) = delete;
  KeylogFile(KeylogFile&&) = delete;
  KeylogFile& operator=(KeylogFile&&) = delete;

  // Appends one line and flushes it, so that a capture tool sees it at once.
  // Safe to call from every worker: each line is one stdio call.
  void onSecret(const DerivedSecret& secret) override;
  const std::string& path() const { return path_; }

 private:
  KeylogFile(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

  std::FILE* file_;
  std::string path_;
};

}  // namespace tlsgate
