// Gives the heap's free pages back to the system.
//
// glibc keeps freed memory in its heap for reuse, and can return a free
// page that lies between live blocks only when asked. A worker asks after
// connections have moved to the record layer and freed their OpenSSL state
// (about 10 kB each) while they stay open: without it, a burst of
// connections leaves the process at its peak size however many of them
// then sit idle. haproxy trims the same way (pool_gc).
#pragma once

namespace tlsgate {

// True when this C library can do it (glibc's malloc_trim); a no-op
// returning false elsewhere.
bool trimHeap();

}  // namespace tlsgate
