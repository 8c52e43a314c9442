#include "migrate/stunnel_conf.h"

#include <dirent.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "util/text.h"

namespace tlsgate {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// An include directory that includes itself would never end.
constexpr int kMaxIncludeDepth = 8;

[[noreturn]] void fail(const SourceLine& where, const std::string& reason) {
  throw ConfigError(where.str() + ": " + reason);
}

class Parser {
 public:
  explicit Parser(const IncludeReader& include_reader) : include_reader_(include_reader) {}

  StunnelConf take() { return std::move(conf_); }

  void parse(std::string_view text, const std::string& file, int depth) {
    if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
      text.remove_prefix(kUtf8Bom.size());
    }
    int number = 0;
    while (!text.empty()) {
      const std::size_t end = std::min(text.find('\n'), text.size());
      const std::string_view raw = text.substr(0, end);
      text.remove_prefix(std::min(end + 1, text.size()));
      ++number;
      parseLine(raw, SourceLine{file, number}, depth);
    }
  }

 private:
  void parseLine(std::string_view raw, const SourceLine& where, int depth) {
    if (raw.find('\0') != std::string_view::npos) {
      fail(where, "the line holds a NUL byte");
    }
    if (!isUtf8(raw)) {
      fail(where, "the line is not valid UTF-8");
    }
    const std::string_view line = trimLine(raw);
    if (line.empty() || line.front() == ';' || line.front() == '#') {
      return;
    }
    if (line.front() == '[') {
      openSection(line, where);
      return;
    }
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      fail(where, "expected 'option = value' or '[service]', found '" + std::string(line) + "'");
    }
    StunnelOption option;
    option.name = std::string(trimLine(line.substr(0, equals)));
    option.key = lowerCase(option.name);
    option.value = std::string(trimLine(line.substr(equals + 1)));
    option.where = where;
    if (option.name.empty()) {
      fail(where, "an option name is missing before '='");
    }
    if (option.key == "include") {
      include(option, depth);
      return;
    }
    current().options.push_back(std::move(option));
  }

  void openSection(std::string_view line, const SourceLine& where) {
    if (line.back() != ']') {
      fail(where, "a service name must end with ']'");
    }
    const std::string_view name = trimLine(line.substr(1, line.size() - 2));
    if (name.empty()) {
      fail(where, "the service name is empty");
    }
    conf_.services.push_back(StunnelSection{std::string(name), where, {}});
  }

  void include(const StunnelOption& option, int depth) {
    if (depth >= kMaxIncludeDepth) {
      fail(option.where, "includes nest deeper than " + std::to_string(kMaxIncludeDepth) +
                             " levels; does a directory include itself?");
    }
    for (const IncludedFile& file : include_reader_(option)) {
      parse(file.text, file.path, depth + 1);
    }
  }

  StunnelSection& current() {
    return conf_.services.empty() ? conf_.global : conf_.services.back();
  }

  const IncludeReader& include_reader_;
  StunnelConf conf_;
};

// stunnel reads every regular file of an include directory, in the order of
// their names.
std::vector<IncludedFile> readIncludeDirectory(const StunnelOption& include) {
  const std::string& dir = include.value;
  std::unique_ptr<DIR, int (*)(DIR*)> handle(opendir(dir.c_str()), closedir);
  if (!handle) {
    fail(include.where, "cannot read the include directory " + dir + ": " + errnoText(errno));
  }
  std::vector<std::string> names;
  while (const dirent* entry = readdir(handle.get())) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<IncludedFile> files;
  for (const std::string& name : names) {
    std::string path = dir;
    path += "/";
    path += name;
    FileContents contents = readWholeFile(path);
    if (contents.error == EISDIR) {
      continue;
    }
    if (!contents.ok()) {
      fail(include.where, "cannot read " + path + ": " + errnoText(contents.error));
    }
    files.push_back({path, std::move(contents.bytes)});
  }
  return files;
}

}  // namespace

const StunnelOption* StunnelSection::last(std::string_view key) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->key == key) {
      return &*it;
    }
  }
  return nullptr;
}

std::vector<const StunnelOption*> StunnelSection::all(std::string_view key) const {
  std::vector<const StunnelOption*> out;
  for (const StunnelOption& option : options) {
    if (option.key == key) {
      out.push_back(&option);
    }
  }
  return out;
}

StunnelConf parseStunnelConf(std::string_view text, const std::string& file,
                             const IncludeReader& include_reader) {
  Parser parser(include_reader);
  parser.parse(text, file, 0);
  return parser.take();
}

StunnelConf readStunnelConf(const std::string& path) {
  FileContents contents = readWholeFile(path);
  if (!contents.ok()) {
    throw ConfigError(path + ": cannot read the file: " + errnoText(contents.error));
  }
  return parseStunnelConf(contents.bytes, path, readIncludeDirectory);
}

}  // namespace tlsgate
