// PROXY v2 headers written out byte by byte from proxy-protocol.txt, for
// the parser and writer tests to agree on, with the ProxyHeader each one
// describes.
#pragma once

#include <array>
#include <cstdint>

#include "protocol/proxy_header.h"
#include "test_bytes.h"

namespace tlsgate::test {

// TCP over IPv4 from 192.168.0.1:56324 to 192.168.0.11:443 (the spec's
// own example addresses), with ALPN "h2", AUTHORITY "example.com", and an
// SSL TLV for a TLSv1.3 client that presented a verified certificate for
// "alice"; then the CRC32C, worked out separately with a bitwise CRC32C.
inline constexpr std::array<std::uint8_t, 105> kIpv4WithTlvs = {
    // signature
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
    0x21,        // version 2, PROXY
    0x11,        // AF_INET, STREAM
    0x00, 0x59,  // 89 bytes follow
    // addresses: source, destination, source port 56324, destination port 443
    0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0x0B, 0xDC, 0x04, 0x01, 0xBB,
    // PP2_TYPE_ALPN, 2 bytes: "h2"
    0x01, 0x00, 0x02, 'h', '2',
    // PP2_TYPE_AUTHORITY, 11 bytes: "example.com"
    0x02, 0x00, 0x0B, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm',
    // PP2_TYPE_SSL, 48 bytes: client SSL|CERT_CONN, verify 0, then sub-TLVs
    0x20, 0x00, 0x30, 0x03, 0x00, 0x00, 0x00, 0x00,
    // PP2_SUBTYPE_SSL_VERSION, 7 bytes: "TLSv1.3"
    0x21, 0x00, 0x07, 'T', 'L', 'S', 'v', '1', '.', '3',
    // PP2_SUBTYPE_SSL_CN, 5 bytes: "alice"
    0x22, 0x00, 0x05, 'a', 'l', 'i', 'c', 'e',
    // PP2_SUBTYPE_SSL_CIPHER, 22 bytes: "TLS_AES_128_GCM_SHA256"
    0x23, 0x00, 0x16, 'T', 'L', 'S', '_', 'A', 'E', 'S', '_', '1', '2', '8', '_', 'G', 'C', 'M',
    '_', 'S', 'H', 'A', '2', '5', '6',
    // PP2_TYPE_CRC32C, 4 bytes
    0x03, 0x00, 0x04, 0x49, 0x29, 0x6E, 0x03};

inline ProxyHeader ipv4WithTlvsHeader() {
  ProxyHeader header;
  header.source = ipv4("192.168.0.1", 56324);
  header.destination = ipv4("192.168.0.11", 443);
  header.alpn = "h2";
  header.authority = "example.com";
  ProxyTlsInfo tls;
  tls.client_ssl = true;
  tls.client_cert_conn = true;
  tls.verified = true;
  tls.version = "TLSv1.3";
  tls.client_cn = "alice";
  tls.cipher = "TLS_AES_128_GCM_SHA256";
  header.tls = tls;
  return header;
}

// A LOCAL header (a balancer's health check) with only the CRC32C.
inline constexpr std::array<std::uint8_t, 23> kLocal = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A,
                                                        0x51, 0x55, 0x49, 0x54, 0x0A,
                                                        0x20,        // version 2, LOCAL
                                                        0x00,        // AF_UNSPEC, UNSPEC
                                                        0x00, 0x07,  // 7 bytes follow
                                                        0x03, 0x00, 0x04, 0xA9, 0xB8, 0x7E, 0x8F};

}  // namespace tlsgate::test
