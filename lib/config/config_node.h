// A YAML node seen through the rules of tlsgate's configuration: its dotted
// key path and position for errors, ${VAR} expansion of every scalar,
// declared key lists for maps, and typed reads that name what was expected.
// Every failure is a ConfigError reading "file:line:col key: reason".
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/source_mark.h"

namespace tlsgate {

// What every node of one load shares.
struct LoadContext {
  std::string file;                // the name errors report
  std::filesystem::path base_dir;  // relative paths are resolved against it
};

// Keys a map section accepts.
struct KeySchema {
  std::span<const std::string_view> known;
};

class ConfigNode {
 public:
  // `parent_mark` stands in for the node's own mark when it has none worth
  // reporting: yaml-cpp places an empty value at the token after it.
  ConfigNode(const YAML::Node& node, std::string path, SourceMark parent_mark,
             const LoadContext& context);
  ConfigNode(const ConfigNode&) = default;
  ConfigNode(ConfigNode&&) = default;
  // Assigning a YAML::Node rebinds the node inside the parsed document
  // rather than this handle, so a ConfigNode is never assigned.
  ConfigNode& operator=(const ConfigNode&) = delete;
  ConfigNode& operator=(ConfigNode&&) = delete;
  ~ConfigNode() = default;

  const std::string& path() const { return path_; }
  SourceMark mark() const;
  [[noreturn]] void fail(const std::string& reason) const;

  bool isNull() const { return node_.IsNull(); }
  bool isScalar() const { return node_.IsScalar(); }
  bool isMap() const { return node_.IsMap(); }
  bool isList() const { return node_.IsSequence(); }
  void expectMap() const;
  void expectList() const;

  // One key: value pair of a map, in the order written.
  struct Entry;
  // The map's entries. Fails when the node is not a map or a key is repeated.
  std::vector<Entry> entries() const;
  // Fails on the first key that `schema` does not declare.
  void checkKeys(const KeySchema& schema) const;
  // The value of `key`, if the map has it.
  std::optional<ConfigNode> find(std::string_view key) const;
  // The value of `key`; fails when the map lacks it.
  ConfigNode require(std::string_view key) const;
  // The elements of a list; fails when the node is not a list.
  std::vector<ConfigNode> items() const;

  // Scalars, after ${VAR} expansion.
  std::string asString() const;
  std::string asNonEmptyString() const;
  bool asBool() const;
  int64_t asInteger(int64_t min, int64_t max) const;
  Duration asPositiveDuration() const;
  // A duration of zero or more, or `none_word` (e.g. "off") for none.
  std::optional<Duration> asOptionalDuration(std::string_view none_word) const;
  uint64_t asSize(uint64_t min, uint64_t max) const;
  // A file path, resolved against the config file's directory.
  LocatedPath asPath() const;
  // One address (host:port, [v6]:port or unix:/path), marked with its position.
  Address asAddress() const;
  Located<std::string> asLocatedString() const;
  std::vector<std::string> asStringList() const;

 private:
  std::string scalar(std::string_view expected) const;

  YAML::Node node_;
  std::string path_;
  SourceMark parent_mark_;
  const LoadContext* context_;
};

struct ConfigNode::Entry {
  std::string key;
  SourceMark key_mark;
  ConfigNode value;
};

// The reason an unknown key is rejected, with a suggestion when one of
// `schema.known` is close.
std::string unknownKeyReason(std::string_view key, const KeySchema& schema);

// Converts a yaml-cpp position (0-based) into a 1-based SourceMark.
SourceMark toSourceMark(const YAML::Mark& mark, const std::string& file);

}  // namespace tlsgate
