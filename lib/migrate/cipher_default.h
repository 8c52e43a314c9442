// The one difference that every converted file without a cipher line has:
// stunnel's and hitch's TLS 1.2 defaults admit CBC suites (LUCKY13), and
// tlsgate keeps its own AEAD-only default (tls/cipher_defaults.h) rather
// than copy theirs.
#pragma once

#include <string>
#include <string_view>

namespace tlsgate {

// The comment in each tls block the default applies to. `program` is
// "stunnel" or "hitch", `list` its default.
std::string cipherDefaultNote(std::string_view program, std::string_view list);

// The warning, given once per file. `scope` follows tlsgate's list (", for
// this and every other service without ciphers"), `place` the key to set
// (" in tls_defaults"); either may be empty.
std::string cipherDefaultWarning(std::string_view program, std::string_view list,
                                 std::string_view scope, std::string_view place);

}  // namespace tlsgate
