// A YAML document built in memory and written out with comments: what
// `tlsgate import` produces. Maps keep their keys in the order they were
// first set, so the output follows the order of the file it came from.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tlsgate {

class YamlNode {
 public:
  enum class Kind { scalar, map, list };

  // A string, quoted in the output when YAML would read it as anything else.
  // tlsgate expands ${VAR} in every value, and a value taken from another
  // program's file means itself, so each '$' is written "$$".
  static YamlNode text(std::string_view value);
  // A value written as it is: numbers, booleans, durations, sizes.
  static YamlNode plain(std::string_view value);
  static YamlNode map();
  static YamlNode list();

  Kind kind() const { return kind_; }
  // True when the node holds no key or item; notes do not count.
  bool empty() const;

  // Map: sets `key` (replacing the value and comment it had), or adds it at
  // the end. Returns the stored value.
  YamlNode& set(std::string_view key, YamlNode value, std::string_view comment = {});
  // Map: the map at `key`, added empty when the key is not set yet.
  YamlNode& child(std::string_view key);
  // Map: the value at `key`, or nullptr.
  YamlNode* find(std::string_view key);
  // List: adds an item at the end.
  YamlNode& append(YamlNode value, std::string_view comment = {});
  // A comment line at this place among the entries ("# " + line).
  void note(std::string_view line);

  // The node as a YAML document, ending with a newline.
  std::string render() const;

 private:
  struct Entry {
    std::string key;                  // maps only
    std::unique_ptr<YamlNode> value;  // null for a note
    std::string comment;              // after the value, or the note's text
  };

  explicit YamlNode(Kind kind) : kind_(kind) {}

  bool isInline() const;
  std::string inlineText() const;
  void renderEntries(std::string& out, int indent) const;
  void renderEntry(std::string& out, int indent, const Entry& entry) const;
  void renderListItem(std::string& out, int indent, const Entry& entry) const;
  void renderNotes(std::string& out, const std::string& pad) const;

  Kind kind_;
  std::string scalar_;  // as written in the output, already quoted if needed
  std::vector<Entry> entries_;
};

}  // namespace tlsgate
