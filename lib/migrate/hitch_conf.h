// hitch.conf, read into its options: the global ones, then one block per
// frontend, each option with the file and line it came from. The file is
// read the way hitch's own lexer and grammar read it (cfg_lex.l,
// cfg_parser.y): `key = value` records separated by any white space, `#`
// comments, quoted strings or bare words, on/off words, numbers, and
// `{ ... }` blocks for frontends and pem-files. Only the file's structure
// and the type of each value are checked here; what the options mean is
// hitch_import's business.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "migrate/import_report.h"

namespace tlsgate {

struct HitchOption {
  std::string name;  // as hitch spells it, e.g. "pem-file"
  // A string's text without its quotes, a number's digits, "on" or "off"
  // for every way of writing a boolean, the word of client-verify and
  // workers = auto, or the tokens of tls-protos joined by one space.
  std::string value;
  bool quoted = false;  // the value was written as a quoted string
  SourceLine where;
  // pem-file = { cert = ... private-key = ... }: the records of the block.
  bool block = false;
  std::vector<HitchOption> options;

  // The last option of the block called `name`, or nullptr.
  const HitchOption* last(std::string_view name) const;
};

struct HitchFrontend {
  SourceLine where;
  // "[HOST]:PORT[+CERT]" as written, when the frontend was given in one
  // string; empty for a block. Either way `options` holds host, port and
  // pem-file records (a one-string frontend's with the string's line).
  std::string spec;
  std::vector<HitchOption> options;

  const HitchOption* last(std::string_view name) const;
  std::vector<const HitchOption*> all(std::string_view name) const;
};

// A character outside any token, which hitch's lexer skips.
struct HitchStray {
  char character = 0;
  SourceLine where;
};

struct HitchConf {
  std::string file;
  std::vector<HitchOption> global;  // options at the top level, in file order
  std::vector<HitchFrontend> frontends;
  std::vector<HitchStray> stray;

  const HitchOption* last(std::string_view name) const;
  std::vector<const HitchOption*> all(std::string_view name) const;
};

// Parses `text`, read from `file`. Throws ConfigError("file:line: reason")
// for anything hitch would refuse to parse (an unknown option, a value of
// the wrong type, an option outside the block it belongs to, an
// unterminated string or block), for NUL bytes and for text that is not
// UTF-8.
HitchConf parseHitchConf(std::string_view text, const std::string& file);

// Reads and parses the file at `path`.
HitchConf readHitchConf(const std::string& path);

}  // namespace tlsgate
