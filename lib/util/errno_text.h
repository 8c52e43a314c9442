// The words for an errno value, e.g. "No such file or directory".
#pragma once

#include <string>

namespace tlsgate {

// std::error_code's message is strerror without its thread-safety trap.
std::string errnoText(int error);

}  // namespace tlsgate
