#include "migrate/cipher_default.h"

#include "tls/cipher_defaults.h"

namespace tlsgate {

std::string cipherDefaultNote(std::string_view program, std::string_view list) {
  return "cipher: tlsgate's default (" + std::string(kDefaultCipherList) + ") where " +
         std::string(program) + "'s (" + std::string(list) + ") also admits CBC suites";
}

std::string cipherDefaultWarning(std::string_view program, std::string_view list,
                                 std::string_view scope, std::string_view place) {
  return "no ciphers line: " + std::string(program) + "'s default TLS 1.2 cipher list, " +
         std::string(list) + ", also admits CBC suites (LUCKY13); tlsgate's default admits only " +
         std::string(kDefaultCipherList) + std::string(scope) + ". To keep " +
         std::string(program) + "'s list, set cipher: \"" + std::string(list) + "\"" +
         std::string(place);
}

}  // namespace tlsgate
