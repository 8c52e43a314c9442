#include "util/file_contents.h"

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>

namespace tlsgate {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

}  // namespace

FileContents readWholeFile(const std::string& path) {
  FileContents out;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    out.error = errno;
    return out;
  }
  out.opened = true;
  std::array<char, 8192> chunk{};
  std::size_t n = 0;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), file.get())) > 0) {
    out.bytes.append(chunk.data(), n);
  }
  // fopen succeeds on a directory; the read is what reports EISDIR.
  if (std::ferror(file.get()) != 0) {
    out.error = errno != 0 ? errno : EIO;
    out.bytes.clear();
  }
  return out;
}

}  // namespace tlsgate
