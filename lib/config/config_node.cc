#include "config/config_node.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "config/address_parser.h"
#include "config/duration.h"
#include "config/env_expansion.h"
#include "config/key_suggestion.h"
#include "util/config_error.h"
#include "util/text.h"

namespace tlsgate {
namespace {

std::string childPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) {
    return std::string(key);
  }
  return parent + "." + std::string(key);
}

bool contains(std::span<const std::string_view> keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

SourceMark toSourceMark(const YAML::Mark& mark, const std::string& file) {
  SourceMark out;
  out.file = file;
  if (mark.is_null()) {
    return out;
  }
  out.line = mark.line + 1;
  out.column = mark.column + 1;
  return out;
}

std::string unknownKeyReason(std::string_view key, const KeySchema& schema) {
  std::string reason = "unknown key";
  if (auto suggestion = closestKey(key, schema.known)) {
    return reason + "; did you mean '" + *suggestion + "'?";
  }
  if (schema.known.empty()) {
    return reason;
  }
  reason += " (expected one of: ";
  for (std::size_t i = 0; i < schema.known.size(); ++i) {
    reason += (i == 0 ? "" : ", ") + std::string(schema.known[i]);
  }
  return reason + ")";
}

ConfigNode::ConfigNode(const YAML::Node& node, std::string path, SourceMark parent_mark,
                       const LoadContext& context)
    : node_(node),
      path_(std::move(path)),
      parent_mark_(std::move(parent_mark)),
      context_(&context) {}

SourceMark ConfigNode::mark() const {
  if (node_.IsNull() || node_.Mark().is_null()) {
    return parent_mark_;
  }
  return toSourceMark(node_.Mark(), context_->file);
}

void ConfigNode::fail(const std::string& reason) const {
  throw ConfigError(mark(), path_, reason);
}

void ConfigNode::expectMap() const {
  if (!node_.IsMap()) {
    fail("expected a map (key: value pairs)");
  }
}

void ConfigNode::expectList() const {
  if (!node_.IsSequence()) {
    fail("expected a list");
  }
}

std::vector<ConfigNode::Entry> ConfigNode::entries() const {
  expectMap();
  std::vector<Entry> out;
  std::set<std::string> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const SourceMark key_mark = toSourceMark(it->first.Mark(), context_->file);
    if (!it->first.IsScalar()) {
      throw ConfigError(key_mark, path_, "a key must be a plain word");
    }
    const std::string key = it->first.Scalar();
    const std::string path = childPath(path_, key);
    // yaml-cpp keeps both copies of a repeated key; the second would
    // silently be ignored, so it is an error.
    if (!seen.insert(key).second) {
      throw ConfigError(key_mark, path, "is set twice in the same map");
    }
    out.push_back(Entry{key, key_mark, ConfigNode(it->second, path, key_mark, *context_)});
  }
  return out;
}

void ConfigNode::checkKeys(const KeySchema& schema) const {
  for (const Entry& entry : entries()) {
    if (!contains(schema.known, entry.key)) {
      throw ConfigError(entry.key_mark, entry.value.path(), unknownKeyReason(entry.key, schema));
    }
  }
}

std::optional<ConfigNode> ConfigNode::find(std::string_view key) const {
  for (Entry& entry : entries()) {
    if (entry.key == key) {
      return std::move(entry.value);
    }
  }
  return std::nullopt;
}

ConfigNode ConfigNode::require(std::string_view key) const {
  auto value = find(key);
  if (!value) {
    fail("missing required key '" + std::string(key) + "'");
  }
  return *value;
}

std::vector<ConfigNode> ConfigNode::items() const {
  expectList();
  std::vector<ConfigNode> out;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    out.emplace_back(node_[i], path_ + "[" + std::to_string(i) + "]", mark(), *context_);
  }
  return out;
}

std::string ConfigNode::scalar(std::string_view expected) const {
  if (!node_.IsScalar()) {
    fail("expected " + std::string(expected));
  }
  auto expanded = expandEnv(node_.Scalar());
  if (!expanded.isOk()) {
    fail(expanded.error());
  }
  return expanded.value();
}

std::string ConfigNode::asString() const {
  return scalar("a string");
}

std::string ConfigNode::asNonEmptyString() const {
  std::string value = asString();
  if (value.empty()) {
    fail("must not be empty");
  }
  return value;
}

bool ConfigNode::asBool() const {
  // Only true and false: YAML 1.1's yes/no/on/off surprise people (the
  // "Norway problem"), so they are refused rather than guessed.
  const std::string value = lowerCase(scalar("true or false"));
  if (value == "true") {
    return true;
  }
  if (value == "false") {
    return false;
  }
  fail("expected true or false");
}

int64_t ConfigNode::asInteger(int64_t min, int64_t max) const {
  const std::string text = scalar("a number");
  int64_t value = 0;
  auto [next, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || next != text.data() + text.size() || text.empty()) {
    fail("expected a number, not '" + text + "'");
  }
  if (value < min || value > max) {
    fail("must be from " + std::to_string(min) + " to " + std::to_string(max) + ", not " + text);
  }
  return value;
}

Duration ConfigNode::asPositiveDuration() const {
  auto parsed = parseDuration(scalar("a duration such as 10s"));
  if (!parsed.isOk()) {
    fail(parsed.error());
  }
  if (parsed.value() <= Duration::zero()) {
    fail("must be longer than zero");
  }
  return parsed.value();
}

std::optional<Duration> ConfigNode::asOptionalDuration(std::string_view none_word) const {
  const std::string text = scalar("a duration such as 1s, or " + std::string(none_word));
  if (text == none_word) {
    return std::nullopt;
  }
  auto parsed = parseDuration(text);
  if (!parsed.isOk()) {
    fail(parsed.error() + "; or " + std::string(none_word));
  }
  return parsed.value();
}

uint64_t ConfigNode::asSize(uint64_t min, uint64_t max) const {
  auto parsed = parseSize(scalar("a size such as 64k"));
  if (!parsed.isOk()) {
    fail(parsed.error());
  }
  if (parsed.value() < min || parsed.value() > max) {
    fail("must be from " + std::to_string(min) + " to " + std::to_string(max) + " bytes, not " +
         std::to_string(parsed.value()));
  }
  return parsed.value();
}

LocatedPath ConfigNode::asPath() const {
  const std::filesystem::path written(scalar("a file path"));
  if (written.empty()) {
    fail("expected a file path, not an empty string");
  }
  LocatedPath out;
  out.mark = mark();
  // Relative to the config file, not to the working directory, so the same
  // file means the same thing under systemd (cwd /) and from a shell.
  out.value = written.is_absolute() ? written.string()
                                    : (context_->base_dir / written).lexically_normal().string();
  return out;
}

Address ConfigNode::asAddress() const {
  auto parsed = parseAddress(asNonEmptyString());
  if (!parsed.isOk()) {
    fail(parsed.error());
  }
  Address address = parsed.value();
  address.mark = mark();
  return address;
}

Located<std::string> ConfigNode::asLocatedString() const {
  return Located<std::string>{asString(), mark()};
}

std::vector<std::string> ConfigNode::asStringList() const {
  std::vector<std::string> out;
  for (const ConfigNode& item : items()) {
    out.push_back(item.asString());
  }
  return out;
}

}  // namespace tlsgate
