// Writes the PROXY protocol header (HAProxy's proxy-protocol.txt) that
// tells a backend who the client was.
#pragma once

#include <string>

#include "protocol/proxy_header.h"
#include "util/byte_queue.h"

namespace tlsgate {

// Appends a v1 line: "PROXY TCP4|TCP6 src dst sport dport\r\n", or
// "PROXY UNKNOWN\r\n" when the header is local or its addresses are not
// both IPv4 or both IPv6.
void writeProxyHeaderV1(const ProxyHeader& header, ByteQueue& out);

// Appends a v2 header: the PROXY command (LOCAL, with no addresses, when
// header.local) over STREAM for AF_INET, AF_INET6 or AF_UNIX (AF_UNSPEC
// when the two families differ or are none of those); then the TLVs ALPN,
// AUTHORITY, UNIQUE_ID, SSL (with VERSION, CN, CIPHER, SIG_ALG and KEY_ALG
// sub-TLVs for the fields that are not empty) and tlsgate's client
// certificate, each only when not empty; and last PP2_TYPE_CRC32C over the
// whole header.
//
// A unique_id over the spec's 128 bytes is left out, since receivers
// refuse it. So is a TLV that would take the header past the 65,535 bytes
// its length field can count (only a huge client certificate can).
void writeProxyHeaderV2(const ProxyHeader& header, ByteQueue& out);

}  // namespace tlsgate
