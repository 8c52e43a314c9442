// What a PROXY protocol header says about a relayed connection, and the
// wire vocabulary of HAProxy's proxy-protocol.txt (versions 1 and 2) that
// the parser and the writer share.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace tlsgate {

// PP2_TYPE_SSL and its sub-TLVs: how the client reached the sender.
struct ProxyTlsInfo {
  bool client_ssl = true;            // PP2_CLIENT_SSL
  bool client_cert_conn = false;     // PP2_CLIENT_CERT_CONN: a certificate was presented on this
                                     // connection
  bool client_cert_session = false;  // PP2_CLIENT_CERT_SESS: one was presented at least once in
                                     // the TLS session this connection resumed
  bool verified = false;             // the `verify` field is 0
  std::string version;               // PP2_SUBTYPE_SSL_VERSION, e.g. "TLSv1.3"
  std::string cipher;                // PP2_SUBTYPE_SSL_CIPHER
  std::string client_cn;             // PP2_SUBTYPE_SSL_CN; empty: not sent
  std::string sig_alg, key_alg;      // optional sub-TLVs; empty: not sent

  bool operator==(const ProxyTlsInfo&) const = default;
};

struct ProxyHeader {
  // v2 LOCAL command or v1 "UNKNOWN": no addresses (a balancer's health
  // check); use the connection's own endpoints.
  bool local = false;
  // ss_family AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC. AF_UNSPEC with
  // local false is a v2 PROXY command for a family or protocol the sender
  // could not describe: the connection's own endpoints are all there is.
  sockaddr_storage source{};
  sockaddr_storage destination{};
  std::string alpn;       // PP2_TYPE_ALPN
  std::string authority;  // PP2_TYPE_AUTHORITY (the SNI)
  std::string unique_id;  // PP2_TYPE_UNIQUE_ID
  std::optional<ProxyTlsInfo> tls;
  // tlsgate's own TLV (kPp2TypeClientCert): the client's DER certificate.
  std::string client_cert_der;
};

// Field by field; addresses compare by family, address and port (the whole
// 108-byte path for AF_UNIX), which is all a PROXY header carries.
bool operator==(const ProxyHeader& a, const ProxyHeader& b);

// "127.0.0.1:5000", "[::1]:5000", "unix:/path" ("unix:@name" for an
// abstract socket), or "-" when there is no address.
std::string formatProxyAddress(const sockaddr_storage& address);

// Version 1: one text line of at most 107 bytes, CRLF included.
inline constexpr std::size_t kProxyV1MaxBytes = 107;

// Version 2: the signature, then version/command, family/protocol and a
// 16-bit length of what follows.
inline constexpr std::array<std::uint8_t, 12> kProxyV2Signature = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
inline constexpr std::size_t kProxyV2FixedBytes = 16;
inline constexpr std::size_t kProxyV2MaxBytes = kProxyV2FixedBytes + 0xFFFF;
inline constexpr std::size_t kProxyV2UnixPathBytes = 108;

inline constexpr std::uint8_t kPp2TypeAlpn = 0x01;
inline constexpr std::uint8_t kPp2TypeAuthority = 0x02;
inline constexpr std::uint8_t kPp2TypeCrc32c = 0x03;
inline constexpr std::uint8_t kPp2TypeNoop = 0x04;
inline constexpr std::uint8_t kPp2TypeUniqueId = 0x05;
inline constexpr std::uint8_t kPp2TypeSsl = 0x20;
inline constexpr std::uint8_t kPp2SubtypeSslVersion = 0x21;
inline constexpr std::uint8_t kPp2SubtypeSslCn = 0x22;
inline constexpr std::uint8_t kPp2SubtypeSslCipher = 0x23;
inline constexpr std::uint8_t kPp2SubtypeSslSigAlg = 0x24;
inline constexpr std::uint8_t kPp2SubtypeSslKeyAlg = 0x25;
inline constexpr std::uint8_t kPp2TypeNetns = 0x30;
// tlsgate's own TLV, in the range 0xE0-0xEF that the spec leaves to
// applications: the client's DER certificate.
inline constexpr std::uint8_t kPp2TypeClientCert = 0xE0;

inline constexpr std::uint8_t kPp2ClientSsl = 0x01;
inline constexpr std::uint8_t kPp2ClientCertConn = 0x02;
inline constexpr std::uint8_t kPp2ClientCertSess = 0x04;

// The spec caps PP2_TYPE_UNIQUE_ID at 128 bytes.
inline constexpr std::size_t kPp2MaxUniqueIdBytes = 128;

}  // namespace tlsgate
