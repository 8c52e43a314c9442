// Takes text lines from a ByteQueue for the line-based preambles (SMTP,
// IMAP, POP3, FTP, HTTP CONNECT), bounded in length so a peer that never
// sends a newline cannot make tlsgate buffer without end.
#pragma once

#include <cstddef>
#include <string>

#include "util/byte_queue.h"

namespace tlsgate {

class LineReader {
 public:
  enum class Status {
    line,        // `line` holds the next line, without its CRLF (or bare LF)
    need_input,  // no whole line yet; what arrived is kept
    too_long,    // more than max_line bytes without a newline
  };

  explicit LineReader(std::size_t max_line) : max_line_(max_line) {}

  // Consumes bytes from `in` up to and including the next newline, and no
  // further: what follows stays in `in` for the next phase.
  Status next(ByteQueue& in, std::string& line);

  // Bytes of an unfinished line held so far.
  std::size_t pending() const { return partial_.size(); }

 private:
  std::size_t max_line_;
  std::string partial_;
};

}  // namespace tlsgate
