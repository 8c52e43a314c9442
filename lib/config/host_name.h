// DNS host names as the configuration writes them: in route matches (SNI)
// and in the name a STARTTLS listener greets clients with.
#pragma once

#include <string_view>

namespace tlsgate {

// Labels of letters, digits, '-' and '_', 1..63 bytes each and 253 in all,
// separated by single dots; a label neither starts nor ends with '-'. No
// trailing dot. The resolver and the peers have the final word; this catches
// typos, spaces and stray characters that would end up on the wire.
bool isHostName(std::string_view name);

// True for a dotted-quad IPv4 literal such as 10.0.0.1, which isHostName
// also accepts.
bool isIpv4Literal(std::string_view name);

}  // namespace tlsgate
