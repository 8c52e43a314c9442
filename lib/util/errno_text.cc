#include "util/errno_text.h"

#include <system_error>

namespace tlsgate {

std::string errnoText(int error) {
  return std::error_code(error, std::generic_category()).message();
}

}  // namespace tlsgate
