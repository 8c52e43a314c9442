#include "protocol/ascii_text.h"

#include <algorithm>
#include <span>

namespace tlsgate {
namespace {

constexpr std::size_t kMaxQuoted = 200;

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

}  // namespace

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && isBlank(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

void appendText(ByteQueue& out, std::string_view text) {
  out.append(std::as_bytes(std::span(text.data(), text.size())));
}

void appendLine(ByteQueue& out, std::string_view text) {
  appendText(out, text);
  appendText(out, "\r\n");
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoringCase(text.substr(0, prefix.size()), prefix);
}

std::string_view firstWord(std::string_view text) {
  return text.substr(0, text.find(' '));
}

std::string_view afterFirstWord(std::string_view text) {
  const std::size_t space = text.find(' ');
  return space == std::string_view::npos ? std::string_view() : trimBlanks(text.substr(space + 1));
}

bool hasControlBytes(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7f;
  });
}

bool hasWordIgnoringCase(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const std::size_t space = list.find(' ');
    if (equalsIgnoringCase(list.substr(0, space), word)) {
      return true;
    }
    if (space == std::string_view::npos) {
      break;
    }
    list.remove_prefix(space + 1);
  }
  return false;
}

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text.substr(0, kMaxQuoted)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
      continue;
    }
    out += "\\x";
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  if (text.size() > kMaxQuoted) {
    out += "...";
  }
  return out;
}

}  // namespace tlsgate
