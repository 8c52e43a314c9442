// Text functions shared by the line-based preamble dialogues: queueing
// replies, comparing command words without regard to case, and quoting what
// a peer sent in a failure reason without letting it forge log lines.
#pragma once

#include <string>
#include <string_view>

#include "util/byte_queue.h"

namespace tlsgate {

void appendText(ByteQueue& out, std::string_view text);

// Appends `text` and a CRLF: every reply tlsgate sends ends in CRLF.
void appendLine(ByteQueue& out, std::string_view text);

bool equalsIgnoringCase(std::string_view a, std::string_view b);
bool startsWithIgnoringCase(std::string_view text, std::string_view prefix);

// `text` without spaces and tabs at either end.
std::string_view trimBlanks(std::string_view text);

// The text up to the first space, and what follows it with spaces and tabs
// trimmed from both ends.
std::string_view firstWord(std::string_view text);
std::string_view afterFirstWord(std::string_view text);

// Whether `text` holds a byte below 0x20 other than a tab, or DEL: no
// command or reply of these protocols does, so such a line is garbage.
bool hasControlBytes(std::string_view text);

// Whether `list` (words separated by spaces) holds `word`, ignoring case.
bool hasWordIgnoringCase(std::string_view list, std::string_view word);

// `text` made safe to put in a log line: control bytes and bytes above 0x7e
// become \xNN, and anything past 200 bytes is cut off with "...".
std::string printable(std::string_view text);

}  // namespace tlsgate
