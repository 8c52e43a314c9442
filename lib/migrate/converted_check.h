// The last step of every conversion: the YAML is loaded the way `tlsgate
// check` loads it, so `tlsgate import` never hands over a file that tlsgate
// refuses.
#pragma once

#include <stdexcept>
#include <string>

namespace tlsgate {

// A converted file that tlsgate refuses on a line that came from no line of
// the source: a fault of the converter, not of the user's file.
class ImportBug : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Loads `yaml`. A value that tlsgate refuses is reported at the source line
// its YAML line came from (each converted key's comment names it), as
// ConfigError("stunnel.conf:12: tlsgate refuses ...: reason"): a value such
// as a host name that stunnel or hitch took on trust. Any other refusal
// throws ImportBug.
void checkConverted(const std::string& yaml);

}  // namespace tlsgate
