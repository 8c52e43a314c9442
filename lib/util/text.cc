#include "util/text.h"

namespace tlsgate {
namespace {

bool isLineBlank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

}  // namespace

std::string_view trimLine(std::string_view line) {
  while (!line.empty() && isLineBlank(line.front())) {
    line.remove_prefix(1);
  }
  while (!line.empty() && isLineBlank(line.back())) {
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace tlsgate
