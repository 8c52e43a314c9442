#include "util/secret_line.h"

#include <fcntl.h>
#include <string.h>  // explicit_bzero
#include <unistd.h>

#include <array>
#include <cerrno>
#include <span>

namespace tlsgate {

// Read with open(2) and a stack buffer that is wiped after: stdio would keep
// the secret in a buffer of its own, freed without being wiped.
SecretLine::SecretLine(const std::string& path, std::size_t max_length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error_ = errno;
    return;
  }
  // Room for the longest line kept, its CR, and one byte more to tell that
  // a line is too long.
  text_.reserve(max_length + 2);
  std::array<char, 512> chunk{};
  bool line_ended = false;
  while (!line_ended && !too_long_) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      error_ = errno;  // EISDIR for a directory
      break;
    }
    if (n == 0) {
      break;
    }
    for (const char c : std::span(chunk.data(), static_cast<std::size_t>(n))) {
      if (c == '\n') {
        line_ended = true;
        break;
      }
      if (text_.size() > max_length) {
        too_long_ = true;
        break;
      }
      text_.push_back(c);
    }
  }
  explicit_bzero(chunk.data(), chunk.size());
  ::close(fd);
  if (!too_long_ && !text_.empty() && text_.back() == '\r') {
    text_.pop_back();
  }
  too_long_ = too_long_ || text_.size() > max_length;
  if (!ok()) {
    wipe();
  }
}

SecretLine::~SecretLine() {
  wipe();
}

void SecretLine::wipe() {
  explicit_bzero(text_.data(), text_.size());
  text_.clear();
}

}  // namespace tlsgate
