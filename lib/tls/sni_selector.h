// Which certificate group serves a TLS server name (SNI).
//
// Each group is one SSL_CTX holding the certificates issued for one set of
// names (an RSA and an ECDSA certificate for the same names share a group).
// The selector only maps names to group numbers; TlsContext owns the groups.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tlsgate {

class SniSelector {
 public:
  // Registers the DNS names a group serves: exact names and "*.example.com"
  // wildcards. When two groups claim a name, the one added first keeps it.
  // Other wildcard forms ("f*.example.com", "*") never match and are ignored.
  void add(const std::vector<std::string>& names, std::size_t group);

  // The group for `servername`, or nullopt when no group serves it. Names
  // compare case-insensitively, an exact name beats a wildcard, and a
  // wildcard stands for exactly one label: *.example.com matches
  // www.example.com but neither example.com nor a.b.example.com.
  std::optional<std::size_t> select(std::string_view servername) const;

 private:
  std::unordered_map<std::string, std::size_t> exact_;
  std::unordered_map<std::string, std::size_t> wildcard_;  // keyed by what follows "*."
};

}  // namespace tlsgate
