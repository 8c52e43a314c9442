#include "app/import_command.h"

#include <cerrno>
#include <fstream>
#include <stdexcept>

#include "migrate/import_file.h"
#include "util/config_error.h"
#include "util/errno_text.h"

namespace tlsgate {
namespace {

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    throw ConfigError(path + ": cannot write the converted configuration: " + errnoText(errno));
  }
}

}  // namespace

int runImportCommand(const std::string& format, const std::string& input,
                     const std::optional<std::string>& output, std::ostream& out,
                     std::ostream& err) {
  const std::optional<ImportFormat> kind = importFormat(format);
  if (!kind) {
    throw std::invalid_argument("import: unknown format '" + format + "' (stunnel or hitch)");
  }
  const ImportResult result = importFile(*kind, input);
  if (output) {
    writeFile(*output, result.yaml);
  } else {
    out << result.yaml;
  }
  for (const ImportWarning& warning : result.warnings) {
    err << warning.str() << "\n";
  }
  if (result.equivalent()) {
    return kImportEquivalent;
  }
  err << "tlsgate import: " << result.warnings.size() << " warning(s): the result differs from "
      << input << " where they say\n";
  return kImportDiffers;
}

}  // namespace tlsgate
