// Whether the system resolves a name, for tests that need `localhost`: a
// minimal system (a container without /etc/hosts) may not, and such a test
// then skips with the reason instead of failing.
#pragma once

#include <string>

namespace tlsgate::test {

bool resolves(const std::string& name);

// The reason a test that needs `localhost` skips, as GTEST_SKIP() prints it.
inline constexpr const char* kLocalhostUnresolved =
    "this system does not resolve localhost (no entry in /etc/hosts?)";

}  // namespace tlsgate::test
