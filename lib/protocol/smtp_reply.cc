#include "protocol/smtp_reply.h"

#include "protocol/ascii_text.h"

namespace tlsgate {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

bool startsWithCode(std::string_view line) {
  return line.size() >= 3 && isDigit(line[0]) && isDigit(line[1]) && isDigit(line[2]);
}

int codeOf(std::string_view line) {
  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

}  // namespace

std::string_view SmtpReply::text(std::size_t i) const {
  std::string_view line = lines[i];
  // FTP's free-text middle lines carry no code.
  if (!startsWithCode(line) || codeOf(line) != code) {
    return line;
  }
  return line.size() <= 4 ? std::string_view() : line.substr(4);
}

std::string SmtpReply::quoted() const {
  std::string joined;
  for (const std::string& line : lines) {
    if (!joined.empty()) {
      joined += " / ";
    }
    joined += line;
  }
  return printable(joined);
}

void SmtpReply::writeTo(ByteQueue& out) const {
  for (const std::string& line : lines) {
    appendLine(out, line);
  }
}

SmtpReplyReader::LineKind SmtpReplyReader::classify(std::string_view line, bool first) const {
  const bool coded = startsWithCode(line) && (line.size() == 3 || line[3] == ' ' || line[3] == '-');
  if (first || style_ == Style::smtp) {
    if (!coded || (!first && codeOf(line) != partial_.code)) {
      return LineKind::malformed;
    }
    return line.size() > 3 && line[3] == '-' ? LineKind::more : LineKind::last;
  }
  // FTP: the reply ends at a line with the first line's code and a space.
  if (coded && codeOf(line) == partial_.code && (line.size() == 3 || line[3] == ' ')) {
    return LineKind::last;
  }
  return LineKind::more;
}

SmtpReplyReader::Status SmtpReplyReader::next(ByteQueue& in, SmtpReply& reply) {
  std::string line;
  while (true) {
    switch (lines_.next(in, line)) {
      case LineReader::Status::need_input:
        return Status::need_input;
      case LineReader::Status::too_long:
        error_ = "a reply line longer than " + std::to_string(kMaxLine) + " bytes";
        return Status::failed;
      case LineReader::Status::line:
        break;
    }
    const bool first = partial_.lines.empty();
    const LineKind kind = classify(line, first);
    if (kind == LineKind::malformed) {
      error_ = "a malformed reply line: \"" + printable(line) + "\"";
      return Status::failed;
    }
    if (first) {
      partial_.code = codeOf(line);
    }
    partial_.lines.push_back(std::move(line));
    if (kind == LineKind::last) {
      reply = std::move(partial_);
      partial_ = SmtpReply();
      return Status::reply;
    }
    if (partial_.lines.size() >= kMaxLines) {
      error_ = "a reply of more than " + std::to_string(kMaxLines) + " lines";
      return Status::failed;
    }
  }
}

}  // namespace tlsgate
