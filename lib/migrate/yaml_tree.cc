#include "migrate/yaml_tree.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "util/text.h"

namespace tlsgate {
namespace {

// Words that YAML 1.1 (yaml-cpp) reads as a boolean or as null.
constexpr std::array<std::string_view, 11> kReservedWords = {
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""};

bool isReservedWord(std::string_view value) {
  const std::string lower = lowerCase(value);
  return std::find(kReservedWords.begin(), kReservedWords.end(), lower) != kReservedWords.end();
}

bool isPlainChar(unsigned char c) {
  return std::isalnum(c) != 0 ||
         std::string_view("_-./:@+=,()%$^").find(static_cast<char>(c)) != std::string_view::npos;
}

// Plain scalars are kept to a conservative subset: a letter, digit, '_',
// '/' or '.' first, then only characters that mean nothing to YAML in block
// context, with no ':' at the end or before a space.
bool canBePlain(std::string_view value) {
  if (isReservedWord(value)) {
    return false;
  }
  const auto first = static_cast<unsigned char>(value.front());
  if (std::isalnum(first) == 0 && first != '_' && first != '/' && first != '.') {
    return false;
  }
  if (value.back() == ':') {
    return false;
  }
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return isPlainChar(static_cast<unsigned char>(c)); });
}

std::string doubleQuoted(std::string_view value) {
  std::string out = "\"";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          std::array<char, 5> hex{};
          std::snprintf(hex.data(), hex.size(), "\\x%02x", byte);
          out += hex.data();
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string quotedIfNeeded(std::string_view value) {
  return canBePlain(value) ? std::string(value) : doubleQuoted(value);
}

// A comment stays on its line: control characters become spaces.
std::string commentText(std::string_view text) {
  std::string out(text);
  std::replace_if(
      out.begin(), out.end(),
      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }, ' ');
  return out;
}

void appendComment(std::string& out, std::string_view comment) {
  if (!comment.empty()) {
    out += "  # " + commentText(comment);
  }
}

}  // namespace

YamlNode YamlNode::text(std::string_view value) {
  std::string literal;
  literal.reserve(value.size());
  for (const char c : value) {
    literal += c;
    if (c == '$') {
      literal += '$';
    }
  }
  YamlNode node(Kind::scalar);
  node.scalar_ = quotedIfNeeded(literal);
  return node;
}

YamlNode YamlNode::plain(std::string_view value) {
  YamlNode node(Kind::scalar);
  node.scalar_ = std::string(value);
  return node;
}

YamlNode YamlNode::map() {
  return YamlNode(Kind::map);
}

YamlNode YamlNode::list() {
  return YamlNode(Kind::list);
}

YamlNode& YamlNode::set(std::string_view key, YamlNode value, std::string_view comment) {
  for (Entry& entry : entries_) {
    if (entry.value && entry.key == key) {
      *entry.value = std::move(value);
      entry.comment = std::string(comment);
      return *entry.value;
    }
  }
  Entry entry;
  entry.key = std::string(key);
  entry.value = std::make_unique<YamlNode>(std::move(value));
  entry.comment = std::string(comment);
  entries_.push_back(std::move(entry));
  return *entries_.back().value;
}

YamlNode& YamlNode::child(std::string_view key) {
  if (YamlNode* found = find(key)) {
    return *found;
  }
  return set(key, map());
}

YamlNode* YamlNode::find(std::string_view key) {
  for (Entry& entry : entries_) {
    if (entry.value && entry.key == key) {
      return entry.value.get();
    }
  }
  return nullptr;
}

YamlNode& YamlNode::append(YamlNode value, std::string_view comment) {
  Entry entry;
  entry.value = std::make_unique<YamlNode>(std::move(value));
  entry.comment = std::string(comment);
  entries_.push_back(std::move(entry));
  return *entries_.back().value;
}

void YamlNode::note(std::string_view line) {
  entries_.push_back({"", nullptr, std::string(line)});
}

bool YamlNode::empty() const {
  return std::none_of(entries_.begin(), entries_.end(),
                      [](const Entry& e) { return e.value != nullptr; });
}

bool YamlNode::isInline() const {
  return kind_ == Kind::scalar || empty();
}

std::string YamlNode::inlineText() const {
  switch (kind_) {
    case Kind::scalar:
      return scalar_;
    case Kind::map:
      return "{}";
    case Kind::list:
      return "[]";
  }
  return scalar_;
}

std::string YamlNode::render() const {
  std::string out;
  if (isInline()) {
    renderNotes(out, "");  // the notes of an empty document stay, above it
    return out + inlineText() + "\n";
  }
  renderEntries(out, 0);
  return out;
}

void YamlNode::renderEntries(std::string& out, int indent) const {
  for (const Entry& entry : entries_) {
    if (!entry.value) {
      out += std::string(indent, ' ') + "# " + commentText(entry.comment) + "\n";
    } else if (kind_ == Kind::list) {
      renderListItem(out, indent, entry);
    } else {
      renderEntry(out, indent, entry);
    }
  }
}

void YamlNode::renderEntry(std::string& out, int indent, const Entry& entry) const {
  const YamlNode& value = *entry.value;
  const std::string pad(indent, ' ');
  if (value.isInline()) {
    value.renderNotes(out, pad);  // an empty map keeps its notes, above its key
    out += pad + quotedIfNeeded(entry.key) + ": " + value.inlineText();
    appendComment(out, entry.comment);
    out += "\n";
    return;
  }
  out += pad + quotedIfNeeded(entry.key) + ":";
  appendComment(out, entry.comment);
  out += "\n";
  value.renderEntries(out, indent + 2);
}

void YamlNode::renderNotes(std::string& out, const std::string& pad) const {
  for (const Entry& entry : entries_) {
    if (!entry.value) {
      out += pad + "# " + commentText(entry.comment) + "\n";
    }
  }
}

void YamlNode::renderListItem(std::string& out, int indent, const Entry& entry) const {
  const YamlNode& value = *entry.value;
  const std::string pad(indent, ' ');
  if (value.isInline()) {
    value.renderNotes(out, pad);
    out += pad + "- " + value.inlineText();
    appendComment(out, entry.comment);
    out += "\n";
    return;
  }
  if (!entry.comment.empty()) {
    out += pad + "# " + commentText(entry.comment) + "\n";
  }
  if (value.kind_ == Kind::list) {
    out += pad + "-\n";
    value.renderEntries(out, indent + 2);
    return;
  }
  // The item's first key goes on the dash line; the notes before it stay
  // above, as comments.
  std::string body;
  value.renderEntries(body, indent + 2);
  std::size_t line = 0;
  const std::string deeper(indent + 2, ' ');
  while (body.compare(line + deeper.size(), 1, "#") == 0) {
    line = body.find('\n', line) + 1;
  }
  body.replace(line, deeper.size(), pad + "- ");
  out += body;
}

}  // namespace tlsgate
