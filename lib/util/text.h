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

// `text` with each control byte (below 0x20, and DEL) written as \xNN, so
// that a value quoted in a message keeps the message on one line and sends
// no escape sequence to a terminal. Other bytes, UTF-8 among them, stay.
std::string escapeControlBytes(std::string_view text);

}  // namespace tlsgate
