// What `tlsgate import` says about a conversion besides the YAML: every
// place where the result does not do what the original file did.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/text.h"

namespace tlsgate {

// A line of the file being converted.
struct SourceLine {
  std::string file;
  int line = 0;

  // "file:line"
  std::string str() const { return file + ":" + std::to_string(line); }
};

struct ImportWarning {
  SourceLine where;
  std::string message;

  // "file:line: warning: message", as printed on stderr: one line, with the
  // control bytes of a quoted value written \xNN.
  std::string str() const { return escapeControlBytes(where.str() + ": warning: " + message); }
};

// The warnings of one conversion, in the order of the source file.
class ImportReport {
 public:
  // Something of the source that has no equivalent and was left out.
  void leftOut(const SourceLine& where, std::string_view what, std::string_view reason);
  // Something that was converted, but behaves differently in tlsgate.
  void changed(const SourceLine& where, std::string_view what);

  const std::vector<ImportWarning>& warnings() const { return warnings_; }
  // True when the result does exactly what the source did.
  bool equivalent() const { return warnings_.empty(); }

 private:
  std::vector<ImportWarning> warnings_;
};

struct ImportResult {
  std::string yaml;
  std::vector<ImportWarning> warnings;

  bool equivalent() const { return warnings.empty(); }
};

}  // namespace tlsgate
