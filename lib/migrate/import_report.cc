#include "migrate/import_report.h"

namespace tlsgate {

void ImportReport::leftOut(const SourceLine& where, std::string_view what,
                           std::string_view reason) {
  warnings_.push_back({where, std::string(what) + " left out: " + std::string(reason)});
}

void ImportReport::changed(const SourceLine& where, std::string_view what) {
  warnings_.push_back({where, std::string(what)});
}

}  // namespace tlsgate
