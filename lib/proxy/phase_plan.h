// Which phases a connection runs: the phase for `id` when this connection
// needs it, null when the listener (or the chosen route) does not ask for
// it. Called in PhaseId order, so a phase may depend on what the earlier
// ones learnt (the route picks the connect side that later phases use).
#pragma once

#include <memory>

#include "proxy/phase.h"

namespace tlsgate {

std::unique_ptr<Phase> makePhase(PhaseId id, PhaseContext& context);

}  // namespace tlsgate
