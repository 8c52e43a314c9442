// libuv error codes in the words of a connection log line.
#pragma once

#include <string>

namespace tlsgate {

std::string uvErrorText(int status);
// Out of descriptors or memory: tlsgate cannot serve the connection at all.
bool isResourceError(int status);

}  // namespace tlsgate
