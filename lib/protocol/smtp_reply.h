// Reads the numbered replies of SMTP (RFC 5321 section 4.2) and FTP (RFC 959
// section 4.2): a three-digit code, and for a multi-line reply "250-" lines
// up to a last "250 " line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/line_reader.h"
#include "util/byte_queue.h"

namespace tlsgate {

struct SmtpReply {
  int code = 0;
  std::vector<std::string> lines;  // as received, without their line ends

  // Line `i` without its code and the separator after it.
  std::string_view text(std::size_t i) const;
  // The whole reply on one line, made printable, for a failure reason.
  std::string quoted() const;
  // Queues the reply again, each line ending in CRLF.
  void writeTo(ByteQueue& out) const;
};

class SmtpReplyReader {
 public:
  enum class Style {
    // Every line starts with the same code, followed by "-" or " " (or
    // nothing, on the last line).
    smtp,
    // Only the first and last lines carry the code; lines in between are
    // free text (proftpd indents them, vsftpd repeats "220-").
    ftp,
  };
  enum class Status { reply, need_input, failed };

  // Generous for replies: RFC 5321 allows 512 octets per reply line, but
  // servers list long extension keywords and banners.
  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxLines = 64;

  explicit SmtpReplyReader(Style style = Style::smtp) : style_(style), lines_(kMaxLine) {}

  // Consumes bytes up to the end of the next whole reply and no further.
  Status next(ByteQueue& in, SmtpReply& reply);

  // For failed: what was wrong, e.g. "a reply line longer than 4096 bytes".
  const std::string& error() const { return error_; }

 private:
  enum class LineKind { last, more, malformed };
  LineKind classify(std::string_view line, bool first) const;

  Style style_;
  LineReader lines_;
  SmtpReply partial_;
  std::string error_;
};

}  // namespace tlsgate
