// The certificates the TLS fuzz targets serve and trust, made once per
// process in a temporary directory: a CA and a "localhost" server
// certificate it signs.
#pragma once

#include <string>

#include "support/test_pki.h"

namespace tlsgate::fuzz {

struct FuzzPki {
  test::TestPki pki;
  test::IssuedCertificate server = pki.issue("server", "localhost", {"localhost"}, {"127.0.0.1"});
};

inline const FuzzPki& fuzzPki() {
  static const FuzzPki* const kInstance = new FuzzPki();  // kept to the end of the run
  return *kInstance;
}

}  // namespace tlsgate::fuzz
