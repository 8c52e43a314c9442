// The first line of a file that holds a secret: an auth_file's
// "user:password", or the admin token. It is read into one buffer reserved
// up front, so no stream buffer or reallocation leaves a copy behind, and
// that buffer is wiped when the line is dropped.
#pragma once

#include <cstddef>
#include <string>

namespace tlsgate {

class SecretLine {
 public:
  // Reads the first line of `path`, without its line ending (LF or CR LF).
  // A line longer than max_length bytes is not kept: tooLong() says so.
  SecretLine(const std::string& path, std::size_t max_length);
  SecretLine(const SecretLine&) = delete;
  SecretLine& operator=(const SecretLine&) = delete;
  SecretLine(SecretLine&&) = delete;
  SecretLine& operator=(SecretLine&&) = delete;
  ~SecretLine();

  const std::string& text() const { return text_; }
  // errno of the failed open or read; 0 on success.
  int error() const { return error_; }
  bool tooLong() const { return too_long_; }
  bool ok() const { return error_ == 0 && !too_long_; }

 private:
  void wipe();

  std::string text_;
  int error_ = 0;
  bool too_long_ = false;
};

}  // namespace tlsgate
