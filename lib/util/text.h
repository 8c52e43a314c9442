// Small functions on the text of files tlsgate reads line by line.
#pragma once

#include <string_view>

namespace tlsgate {

// `line` without spaces, tabs and carriage returns at either end: a line of
// a file written with CRLF, or indented, reads as the same line.
std::string_view trimLine(std::string_view line);

}  // namespace tlsgate
