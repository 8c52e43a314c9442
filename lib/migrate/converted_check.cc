#include "migrate/converted_check.h"

#include <regex>
#include <string_view>

#include "config/config_loader.h"
#include "util/config_error.h"

namespace tlsgate {
namespace {

constexpr std::string_view kName = "converted.yaml";

// Line `number` (1-based) of `text`.
std::string_view lineOf(std::string_view text, int number) {
  for (int i = 1; i < number && !text.empty(); ++i) {
    const std::size_t end = text.find('\n');
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return text.substr(0, text.find('\n'));
}

}  // namespace

void checkConverted(const std::string& yaml) {
  try {
    ConfigLoader::loadString(yaml, std::string(kName), "/nonexistent/tlsgate-import");
  } catch (const ConfigError& e) {
    // "converted.yaml:LINE:COL: path: reason"
    static const std::regex kError(R"(^converted\.yaml:(\d+):\d+: ([\s\S]*)$)");
    static const std::regex kSource(R"(([^\s#]+:\d+)\s*$)");
    const std::string message = e.what();
    std::smatch error;
    std::smatch source;
    std::string line;
    if (std::regex_match(message, error, kError)) {
      line = std::string(lineOf(yaml, std::stoi(error[1].str())));
      const std::size_t comment = line.find("  # ");
      const std::string note = comment == std::string::npos ? "" : line.substr(comment + 4);
      if (std::regex_search(note, source, kSource)) {
        throw ConfigError(source[1].str() +
                          ": tlsgate refuses the converted value: " + error[2].str());
      }
    }
    throw ImportBug(
        "the converted configuration is not valid, which is a bug in tlsgate "
        "import; please report it with the input file: " +
        message + (line.empty() ? "" : " (the converted line reads: " + line + ")"));
  }
}

}  // namespace tlsgate
