// Small functions on the text of files tlsgate reads line by line.
#pragma once

#include <string>
#include <string_view>

namespace tlsgate {

// `line` without spaces, tabs and carriage returns at either end: a line of
// a file written with CRLF, or indented, reads as the same line.
std::string_view trimLine(std::string_view line);

// `text` with ASCII letters in lower case; other bytes stay as they are.
std::string lowerCase(std::string_view text);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF). Plain ASCII is.
bool isUtf8(std::string_view text);

}  // namespace tlsgate
