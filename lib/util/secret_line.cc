#include "util/secret_line.h"

#include <string.h>  // explicit_bzero

#include <cerrno>
#include <cstdio>
#include <memory>

namespace tlsgate {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

SecretLine::SecretLine(const std::string& path, std::size_t max_length) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    error_ = errno;
    return;
  }
  // Room for the longest line kept, its CR, and one byte more to tell that
  // a line is too long.
  text_.reserve(max_length + 2);
  int c = 0;
  while ((c = std::fgetc(file.get())) != EOF && c != '\n') {
    if (text_.size() > max_length) {
      too_long_ = true;
      break;
    }
    text_.push_back(static_cast<char>(c));
  }
  // fopen succeeds on a directory; the read is what reports EISDIR.
  if (std::ferror(file.get()) != 0) {
    error_ = errno != 0 ? errno : EIO;
  }
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
