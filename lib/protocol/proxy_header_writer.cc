#include "protocol/proxy_header_writer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "protocol/crc32c.h"

namespace tlsgate {
namespace {

constexpr std::uint8_t kVersionCommandLocal = 0x20;
constexpr std::uint8_t kVersionCommandProxy = 0x21;
constexpr std::uint8_t kUnspec = 0x00;
constexpr std::uint8_t kTcp4 = 0x11;
constexpr std::uint8_t kTcp6 = 0x21;
constexpr std::uint8_t kUnixStream = 0x31;
constexpr std::size_t kTlvHeaderBytes = 3;
constexpr std::size_t kCrcTlvBytes = kTlvHeaderBytes + 4;
constexpr std::size_t kMaxTlvValue = 0xFFFF;

using Bytes = std::vector<std::uint8_t>;

std::span<const std::uint8_t> bytesOf(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

void append(Bytes& bytes, const void* data, std::size_t size) {
  const auto* begin = static_cast<const std::uint8_t*>(data);
  bytes.insert(bytes.end(), begin, begin + size);
}

void appendU16(Bytes& bytes, std::size_t value) {
  bytes.push_back(static_cast<std::uint8_t>(value >> 8));
  bytes.push_back(static_cast<std::uint8_t>(value));
}

// Appends one TLV unless that would make `bytes` longer than `limit`.
void appendTlv(Bytes& bytes, std::uint8_t type, std::span<const std::uint8_t> value,
               std::size_t limit) {
  if (value.empty() || bytes.size() + kTlvHeaderBytes + value.size() > limit) {
    return;
  }
  bytes.push_back(type);
  appendU16(bytes, value.size());
  bytes.insert(bytes.end(), value.begin(), value.end());
}

std::uint8_t familyProtocol(const ProxyHeader& header) {
  if (header.local || header.source.ss_family != header.destination.ss_family) {
    return kUnspec;
  }
  switch (header.source.ss_family) {
    case AF_INET:
      return kTcp4;
    case AF_INET6:
      return kTcp6;
    case AF_UNIX:
      return kUnixStream;
    default:
      return kUnspec;
  }
}

void appendAddresses(Bytes& bytes, std::uint8_t family_protocol, const ProxyHeader& header) {
  switch (family_protocol) {
    case kTcp4: {
      const auto& source = reinterpret_cast<const sockaddr_in&>(header.source);
      const auto& destination = reinterpret_cast<const sockaddr_in&>(header.destination);
      append(bytes, &source.sin_addr, 4);
      append(bytes, &destination.sin_addr, 4);
      append(bytes, &source.sin_port, 2);
      append(bytes, &destination.sin_port, 2);
      return;
    }
    case kTcp6: {
      const auto& source = reinterpret_cast<const sockaddr_in6&>(header.source);
      const auto& destination = reinterpret_cast<const sockaddr_in6&>(header.destination);
      append(bytes, &source.sin6_addr, 16);
      append(bytes, &destination.sin6_addr, 16);
      append(bytes, &source.sin6_port, 2);
      append(bytes, &destination.sin6_port, 2);
      return;
    }
    case kUnixStream: {
      const auto& source = reinterpret_cast<const sockaddr_un&>(header.source);
      const auto& destination = reinterpret_cast<const sockaddr_un&>(header.destination);
      append(bytes, source.sun_path, kProxyV2UnixPathBytes);
      append(bytes, destination.sun_path, kProxyV2UnixPathBytes);
      return;
    }
    default:
      return;
  }
}

Bytes sslValue(const ProxyTlsInfo& tls) {
  Bytes value;
  std::uint8_t client = 0;
  client |= tls.client_ssl ? kPp2ClientSsl : 0;
  client |= tls.client_cert_conn ? kPp2ClientCertConn : 0;
  client |= tls.client_cert_session ? kPp2ClientCertSess : 0;
  value.push_back(client);
  // `verify` is zero for a verified certificate and anything else
  // otherwise; tlsgate knows only which, so it sends 1 for "not verified".
  const std::uint8_t verify[4] = {0, 0, 0, static_cast<std::uint8_t>(tls.verified ? 0 : 1)};
  append(value, verify, sizeof(verify));
  appendTlv(value, kPp2SubtypeSslVersion, bytesOf(tls.version), kMaxTlvValue);
  appendTlv(value, kPp2SubtypeSslCn, bytesOf(tls.client_cn), kMaxTlvValue);
  appendTlv(value, kPp2SubtypeSslCipher, bytesOf(tls.cipher), kMaxTlvValue);
  appendTlv(value, kPp2SubtypeSslSigAlg, bytesOf(tls.sig_alg), kMaxTlvValue);
  appendTlv(value, kPp2SubtypeSslKeyAlg, bytesOf(tls.key_alg), kMaxTlvValue);
  return value;
}

std::string textAddress(const sockaddr_storage& storage) {
  char host[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(storage).sin_addr, host, sizeof(host));
  } else {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(storage).sin6_addr, host,
              sizeof(host));
  }
  return host;
}

std::uint16_t port(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(storage).sin_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in6&>(storage).sin6_port);
}

}  // namespace

void writeProxyHeaderV1(const ProxyHeader& header, ByteQueue& out) {
  const std::uint8_t family_protocol = familyProtocol(header);
  std::string line = "PROXY ";
  if (family_protocol != kTcp4 && family_protocol != kTcp6) {
    line += "UNKNOWN\r\n";
  } else {
    line += family_protocol == kTcp4 ? "TCP4 " : "TCP6 ";
    line += textAddress(header.source) + " " + textAddress(header.destination) + " " +
            std::to_string(port(header.source)) + " " + std::to_string(port(header.destination)) +
            "\r\n";
  }
  out.append(std::as_bytes(std::span(line)));
}

void writeProxyHeaderV2(const ProxyHeader& header, ByteQueue& out) {
  const std::uint8_t family_protocol = familyProtocol(header);
  Bytes bytes(kProxyV2Signature.begin(), kProxyV2Signature.end());
  bytes.push_back(header.local ? kVersionCommandLocal : kVersionCommandProxy);
  bytes.push_back(family_protocol);
  appendU16(bytes, 0);  // the length, filled in below
  appendAddresses(bytes, family_protocol, header);

  // Room is kept for the checksum, which always goes last.
  const std::size_t limit = kProxyV2MaxBytes - kCrcTlvBytes;
  appendTlv(bytes, kPp2TypeAlpn, bytesOf(header.alpn), limit);
  appendTlv(bytes, kPp2TypeAuthority, bytesOf(header.authority), limit);
  if (header.unique_id.size() <= kPp2MaxUniqueIdBytes) {
    appendTlv(bytes, kPp2TypeUniqueId, bytesOf(header.unique_id), limit);
  }
  if (header.tls) {
    appendTlv(bytes, kPp2TypeSsl, sslValue(*header.tls), limit);
  }
  appendTlv(bytes, kPp2TypeClientCert, bytesOf(header.client_cert_der), limit);

  bytes.push_back(kPp2TypeCrc32c);
  appendU16(bytes, 4);
  const std::size_t crc_offset = bytes.size();
  bytes.resize(bytes.size() + 4, 0);
  const std::size_t length = bytes.size() - kProxyV2FixedBytes;
  bytes[14] = static_cast<std::uint8_t>(length >> 8);
  bytes[15] = static_cast<std::uint8_t>(length);
  // The checksum covers the whole header with its own field still zero.
  const std::uint32_t crc = crc32c(bytes);
  for (int i = 0; i < 4; ++i) {
    bytes[crc_offset + static_cast<std::size_t>(i)] =
        static_cast<std::uint8_t>(crc >> (24 - 8 * i));
  }
  out.append(std::as_bytes(std::span(bytes)));
}

}  // namespace tlsgate
