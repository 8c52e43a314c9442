#include "protocol/line_reader.h"

#include <algorithm>

namespace tlsgate {

LineReader::Status LineReader::next(ByteQueue& in, std::string& line) {
  while (!in.empty()) {
    std::span<const std::byte> head = in.front();
    const auto* begin = reinterpret_cast<const char*>(head.data());
    const char* end = begin + head.size();
    const char* newline = std::find(begin, end, '\n');
    const std::size_t take = static_cast<std::size_t>(newline - begin);
    if (partial_.size() + take > max_line_) {
      return Status::too_long;
    }
    partial_.append(begin, take);
    if (newline == end) {
      in.consume(take);
      continue;
    }
    in.consume(take + 1);
    if (!partial_.empty() && partial_.back() == '\r') {
      partial_.pop_back();
    }
    line = std::move(partial_);
    partial_.clear();
    return Status::line;
  }
  return Status::need_input;
}

}  // namespace tlsgate
