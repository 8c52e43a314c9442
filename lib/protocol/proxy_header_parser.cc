#include "protocol/proxy_header_parser.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/crc32c.h"
#include "protocol/first_bytes.h"
#include "protocol/wire_reader.h"

namespace tlsgate {
namespace {

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr std::string_view kAskBalancer =
    "is the load balancer set to send PROXY protocol (send-proxy / send-proxy-v2)?";

constexpr std::uint8_t kCommandLocal = 0x0;
constexpr std::uint8_t kCommandProxy = 0x1;
constexpr std::uint8_t kTransportDgram = 0x2;

// The family/protocol bytes the spec lists. tlsgate relays streams, so a
// PROXY command may use only UNSPEC and the STREAM ones; a LOCAL command's
// family is ignored, but still says how far the TLVs are.
constexpr std::uint8_t kUnspec = 0x00;
constexpr std::uint8_t kTcp4 = 0x11;
constexpr std::uint8_t kTcp6 = 0x21;
constexpr std::uint8_t kUnixStream = 0x31;
constexpr std::size_t kInetBlockBytes = 2 * 4 + 2 * 2;
constexpr std::size_t kInet6BlockBytes = 2 * 16 + 2 * 2;
constexpr std::size_t kUnixBlockBytes = 2 * kProxyV2UnixPathBytes;

// The size of the address block before the TLVs; nullopt for a byte the
// spec does not list.
std::optional<std::size_t> addressBlockBytes(std::uint8_t family_protocol) {
  switch (family_protocol) {
    case kUnspec:
      return 0;
    case kTcp4:
    case 0x12:  // UDP over IPv4
      return kInetBlockBytes;
    case kTcp6:
    case 0x22:  // UDP over IPv6
      return kInet6BlockBytes;
    case kUnixStream:
    case 0x32:  // UNIX datagram
      return kUnixBlockBytes;
    default:
      return std::nullopt;
  }
}

const char* familyName(std::uint8_t family_protocol) {
  switch (family_protocol) {
    case kTcp4:
      return "AF_INET";
    case kTcp6:
      return "AF_INET6";
    default:
      return "AF_UNIX";
  }
}

std::string hex(std::uint32_t value, int digits) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    text += kHex[(value >> shift) & 0xF];
  }
  return text;
}

std::string byteCount(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

std::span<const std::uint8_t> bytesOf(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string quote(std::string_view text) {
  return showFirstBytes(bytesOf(text), kProxyV1MaxBytes);
}

// What arrived instead of a PROXY header, in words that point at the
// likely misconfiguration.
std::string notAProxyHeader(std::span<const std::uint8_t> head) {
  const std::string shown = showFirstBytes(head);
  switch (identifyFirstBytes(head)) {
    case FirstBytes::tls_handshake:
      return "the client sent a TLS ClientHello where a PROXY header was expected: " +
             std::string(kAskBalancer);
    case FirstBytes::tls_other:
    case FirstBytes::sslv2_hello:
      return "the client sent TLS (" + shown +
             ") where a PROXY header was expected: " + std::string(kAskBalancer);
    case FirstBytes::http:
      return "the client sent HTTP (" + shown +
             ") where a PROXY header was expected: " + std::string(kAskBalancer);
    case FirstBytes::ssh:
      return "the client sent an SSH banner (" + shown +
             ") where a PROXY header was expected: " + std::string(kAskBalancer);
    default:
      return "the client sent " + shown +
             ", which is not a PROXY v1 or v2 header: " + std::string(kAskBalancer);
  }
}

std::string_view asText(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A decimal number up to `max` (at most five digits) with no leading zero,
// which proxy-protocol.txt forbids so that nobody reads one as octal.
bool parseDecimal(std::string_view text, std::uint32_t max, std::uint32_t& out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) {
    return false;
  }
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  out = value;
  return value <= max;
}

bool parseIpv4(std::string_view text, in_addr& out) {
  std::uint32_t address = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t dot = i < 3 ? text.find('.') : text.size();
    std::uint32_t octet = 0;
    if (dot == std::string_view::npos || !parseDecimal(text.substr(0, dot), 255, octet)) {
      return false;
    }
    address = (address << 8) | octet;
    text.remove_prefix(i < 3 ? dot + 1 : dot);
  }
  out.s_addr = htonl(address);
  return true;
}

bool parseIpv6(std::string_view text, in6_addr& out) {
  // Hex groups and colons, with the dotted IPv4 tail that inet_ntop writes
  // for mapped addresses (HAProxy sends those); inet_pton checks the rest.
  const bool allowed = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
  });
  if (!allowed || text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return false;
  }
  char copy[INET6_ADDRSTRLEN] = {};
  std::memcpy(copy, text.data(), text.size());
  return inet_pton(AF_INET6, copy, &out) == 1;
}

bool parsePort(std::string_view text, std::uint16_t& out) {
  std::uint32_t value = 0;
  if (!parseDecimal(text, 0xFFFF, value)) {
    return false;
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

// Splits `text` at spaces into `fields` and says how many there were;
// nullopt when two spaces meet or one starts or ends the text.
std::optional<std::size_t> splitFields(std::string_view text, std::span<std::string_view> fields) {
  std::size_t count = 0;
  for (;;) {
    const std::size_t space = text.find(' ');
    const std::string_view field = text.substr(0, space);
    if (field.empty()) {
      return std::nullopt;
    }
    if (count < fields.size()) {
      fields[count] = field;
    }
    ++count;
    if (space == std::string_view::npos) {
      return count;
    }
    text.remove_prefix(space + 1);
  }
}

// One TLV: type, 16-bit length, value.
struct Tlv {
  std::uint8_t type = 0;
  std::size_t offset = 0;  // of the type byte, within what the reader covers
  std::size_t length = 0;
  std::span<const std::uint8_t> value;
};

enum class TlvRead { ok, short_header, overrun };

TlvRead readTlv(WireReader& reader, Tlv& tlv) {
  tlv.offset = reader.offset();
  std::uint16_t length = 0;
  if (!reader.u8(tlv.type) || !reader.u16(length)) {
    return TlvRead::short_header;
  }
  tlv.length = length;
  return reader.bytes(length, tlv.value) ? TlvRead::ok : TlvRead::overrun;
}

// `left` is how many bytes the reader had before the TLV that failed.
std::string tlvError(TlvRead error, const Tlv& tlv, std::size_t header_offset, std::size_t left,
                     std::string_view what, std::string_view within) {
  const std::string at = std::to_string(header_offset + tlv.offset);
  if (error == TlvRead::short_header) {
    return "the PROXY v2 " + std::string(within) + " ends with " + byteCount(left) + " at byte " +
           at + ", too few for a " + std::string(what) + " (3 bytes at least)";
  }
  return "the PROXY v2 " + std::string(what) + " of type " + hex(tlv.type, 2) + " at byte " + at +
         " says it holds " + byteCount(tlv.length) + ", but only " + std::to_string(left - 3) +
         " are left in the " + std::string(within);
}

void assign(std::string& field, std::span<const std::uint8_t> value) {
  field.assign(asText(value));
}

// Addresses are in network order on the wire, as in the socket structs.
void readAddresses(std::uint8_t family_protocol, std::span<const std::uint8_t> addresses,
                   ProxyHeader& header) {
  switch (family_protocol) {
    case kTcp4: {
      auto& source = reinterpret_cast<sockaddr_in&>(header.source);
      auto& destination = reinterpret_cast<sockaddr_in&>(header.destination);
      source.sin_family = destination.sin_family = AF_INET;
      std::memcpy(&source.sin_addr, &addresses[0], 4);
      std::memcpy(&destination.sin_addr, &addresses[4], 4);
      std::memcpy(&source.sin_port, &addresses[8], 2);
      std::memcpy(&destination.sin_port, &addresses[10], 2);
      break;
    }
    case kTcp6: {
      auto& source = reinterpret_cast<sockaddr_in6&>(header.source);
      auto& destination = reinterpret_cast<sockaddr_in6&>(header.destination);
      source.sin6_family = destination.sin6_family = AF_INET6;
      std::memcpy(&source.sin6_addr, &addresses[0], 16);
      std::memcpy(&destination.sin6_addr, &addresses[16], 16);
      std::memcpy(&source.sin6_port, &addresses[32], 2);
      std::memcpy(&destination.sin6_port, &addresses[34], 2);
      break;
    }
    case kUnixStream: {
      auto& source = reinterpret_cast<sockaddr_un&>(header.source);
      auto& destination = reinterpret_cast<sockaddr_un&>(header.destination);
      source.sun_family = destination.sun_family = AF_UNIX;
      std::memcpy(source.sun_path, &addresses[0], kProxyV2UnixPathBytes);
      std::memcpy(destination.sun_path, &addresses[kProxyV2UnixPathBytes], kProxyV2UnixPathBytes);
      break;
    }
    default:
      break;  // UNSPEC: no addresses
  }
}

// PP2_TYPE_SSL: the client byte, the verify word, then sub-TLVs.
StepResult parseSsl(const Tlv& tlv, std::size_t value_offset, ProxyTlsInfo& info) {
  WireReader ssl(tlv.value);
  std::uint8_t client = 0;
  std::uint32_t verify = 0;
  if (!ssl.u8(client) || !ssl.u32(verify)) {
    return StepResult::fail("the PROXY v2 SSL TLV holds " + byteCount(tlv.length) +
                            ", too few for its client and verify fields (5 bytes)");
  }
  info.client_ssl = (client & kPp2ClientSsl) != 0;
  info.client_cert_conn = (client & kPp2ClientCertConn) != 0;
  info.client_cert_session = (client & kPp2ClientCertSess) != 0;
  info.verified = verify == 0;
  Tlv sub;
  while (!ssl.empty()) {
    const std::size_t sub_left = ssl.remaining();
    if (TlvRead read = readTlv(ssl, sub); read != TlvRead::ok) {
      return StepResult::fail(
          tlvError(read, sub, value_offset, sub_left, "SSL sub-TLV", "SSL TLV"));
    }
    switch (sub.type) {
      case kPp2SubtypeSslVersion:
        assign(info.version, sub.value);
        break;
      case kPp2SubtypeSslCn:
        assign(info.client_cn, sub.value);
        break;
      case kPp2SubtypeSslCipher:
        assign(info.cipher, sub.value);
        break;
      case kPp2SubtypeSslSigAlg:
        assign(info.sig_alg, sub.value);
        break;
      case kPp2SubtypeSslKeyAlg:
        assign(info.key_alg, sub.value);
        break;
      default:
        break;  // a sub-TLV tlsgate does not use
    }
  }
  return StepResult::done();
}

// The TLVs after the addresses. `tlvs_offset` places them in the header,
// for the reasons; `crc_offset` is set to where a CRC32C value sits.
StepResult parseTlvs(std::span<const std::uint8_t> tlvs, std::size_t tlvs_offset,
                     ProxyHeader& header, std::optional<std::size_t>& crc_offset) {
  WireReader reader(tlvs);
  Tlv tlv;
  while (!reader.empty()) {
    const std::size_t left = reader.remaining();
    if (TlvRead read = readTlv(reader, tlv); read != TlvRead::ok) {
      return StepResult::fail(tlvError(read, tlv, tlvs_offset, left, "TLV", "header"));
    }
    const std::size_t value_offset = tlvs_offset + tlv.offset + 3;
    switch (tlv.type) {
      case kPp2TypeAlpn:
        assign(header.alpn, tlv.value);
        break;
      case kPp2TypeAuthority:
        assign(header.authority, tlv.value);
        break;
      case kPp2TypeUniqueId:
        if (tlv.length > kPp2MaxUniqueIdBytes) {
          return StepResult::fail("the PROXY v2 UNIQUE_ID TLV holds " + std::to_string(tlv.length) +
                                  " bytes; the spec allows at most 128");
        }
        assign(header.unique_id, tlv.value);
        break;
      case kPp2TypeCrc32c:
        if (tlv.length != 4) {
          return StepResult::fail("the PROXY v2 CRC32C TLV holds " + byteCount(tlv.length) +
                                  " instead of 4");
        }
        if (crc_offset) {
          return StepResult::fail("the PROXY v2 header has two CRC32C TLVs");
        }
        crc_offset = value_offset;
        break;
      case kPp2TypeSsl: {
        ProxyTlsInfo info;
        if (StepResult ssl = parseSsl(tlv, value_offset, info); ssl.isFailed()) {
          return ssl;
        }
        header.tls = std::move(info);
        break;
      }
      case kPp2TypeClientCert:
        assign(header.client_cert_der, tlv.value);
        break;
      default:
        // NOOP, NETNS and types tlsgate does not know: the spec lets a
        // receiver skip them.
        break;
    }
  }
  return StepResult::done();
}

}  // namespace

StepResult ProxyHeaderParser::parse(ByteQueue& in) {
  if (outcome_) {
    return *outcome_;
  }
  StepResult result = step(in);
  if (result.status != StepStatus::need_input) {
    outcome_ = result;
  }
  return result;
}

StepResult ProxyHeaderParser::step(ByteQueue& in) {
  std::array<std::uint8_t, kProxyV2FixedBytes> head{};
  const std::size_t n = in.peek(std::as_writable_bytes(std::span(head)));
  if (n == 0) {
    return StepResult::needInput();
  }
  const std::span<const std::uint8_t> seen(head.data(), n);
  if (head[0] == kV1Prefix[0]) {
    const std::size_t compared = std::min(n, kV1Prefix.size());
    if (asText(seen.first(compared)) == kV1Prefix.substr(0, compared)) {
      return parseV1(in);
    }
    if (compared == kV1Prefix.size() && asText(seen.first(5)) == "PROXY") {
      return StepResult::fail("the PROXY v1 header needs exactly one space after \"PROXY\", got " +
                              showFirstBytes(seen));
    }
  } else if (head[0] == kProxyV2Signature[0]) {
    StepResult prefix = checkV2Prefix(seen);
    if (prefix.isFailed() || n < kProxyV2FixedBytes) {
      return prefix;
    }
    return parseV2(in);
  }
  std::array<std::uint8_t, 32> more{};
  const std::size_t shown = in.peek(std::as_writable_bytes(std::span(more)));
  return StepResult::fail(notAProxyHeader(std::span(more.data(), shown)));
}

StepResult ProxyHeaderParser::parseV1(ByteQueue& in) {
  const std::size_t limit = std::min(kProxyV1MaxBytes, max_bytes_);
  std::array<std::uint8_t, kProxyV1MaxBytes> bytes{};
  const std::size_t n = in.peek(std::as_writable_bytes(std::span(bytes).first(limit)));
  if (n >= kV1Prefix.size()) {
    version_ = 1;
  }
  // The spec wants CRLF and nothing else: a lone CR or LF must not end
  // the line.
  std::optional<std::size_t> end;
  for (std::size_t i = 0; i < n && !end; ++i) {
    if (bytes[i] == '\n') {
      return StepResult::fail("the PROXY v1 header ends in a bare LF at byte " +
                              std::to_string(i + 1) + "; the spec requires CRLF");
    }
    if (bytes[i] != '\r' || i + 1 == n) {
      continue;
    }
    if (bytes[i + 1] != '\n') {
      return StepResult::fail("the PROXY v1 header has a CR without LF at byte " +
                              std::to_string(i + 1) + "; the spec requires CRLF");
    }
    end = i;
  }
  if (!end) {
    if (n < limit) {
      return StepResult::needInput();
    }
    std::string reason = "the PROXY v1 header has no CRLF in its first " + std::to_string(limit) +
                         " bytes (" + showFirstBytes(std::span(bytes.data(), n)) + ")";
    reason += limit == kProxyV1MaxBytes ? "; the spec allows at most 107"
                                        : ", the most this listener accepts";
    return StepResult::fail(std::move(reason));
  }

  std::string_view line = asText(std::span(bytes.data(), *end));
  line.remove_prefix(kV1Prefix.size());
  // "UNKNOWN" means the sender could not describe the connection: the
  // spec says to ignore the rest of the line.
  constexpr std::string_view kUnknown = "UNKNOWN";
  if (line.starts_with(kUnknown) &&
      (line.size() == kUnknown.size() || line[kUnknown.size()] == ' ')) {
    header_ = ProxyHeader{};
    header_.local = true;
    in.consume(*end + 2);
    return StepResult::done();
  }

  const std::size_t after_protocol = line.find(' ');
  const std::string_view protocol = line.substr(0, after_protocol);
  if (protocol != "TCP4" && protocol != "TCP6") {
    return StepResult::fail("the PROXY v1 header names protocol " + quote(protocol) +
                            "; only TCP4, TCP6 and UNKNOWN exist");
  }
  // Source and destination address, source and destination port.
  std::array<std::string_view, 4> fields;
  const std::optional<std::size_t> count =
      after_protocol == std::string_view::npos
          ? std::optional<std::size_t>(0)
          : splitFields(line.substr(after_protocol + 1), fields);
  if (!count) {
    return StepResult::fail("the PROXY v1 header's fields must be separated by single spaces: " +
                            quote(line));
  }
  if (*count != fields.size()) {
    return StepResult::fail(
        "the PROXY v1 header needs the protocol, then source and destination addresses and "
        "ports, one space apart; got " +
        quote(line));
  }

  ProxyHeader header;
  const bool v4 = protocol == "TCP4";
  std::array<std::uint16_t, 2> ports{};
  for (int i = 0; i < 2; ++i) {
    const char* which = i == 0 ? "source" : "destination";
    if (!parsePort(fields[2 + i], ports[i])) {
      return StepResult::fail("the PROXY v1 " + std::string(which) + " port " +
                              quote(fields[2 + i]) +
                              " is not a decimal number 0-65535 without leading zeros");
    }
  }
  for (int i = 0; i < 2; ++i) {
    const char* which = i == 0 ? "source" : "destination";
    sockaddr_storage& storage = i == 0 ? header.source : header.destination;
    if (v4) {
      auto& address = reinterpret_cast<sockaddr_in&>(storage);
      address.sin_family = AF_INET;
      address.sin_port = htons(ports[i]);
      if (!parseIpv4(fields[i], address.sin_addr)) {
        return StepResult::fail("the PROXY v1 " + std::string(which) + " address " +
                                quote(fields[i]) +
                                " is not an IPv4 address in dotted decimal, as TCP4 needs");
      }
      continue;
    }
    auto& address = reinterpret_cast<sockaddr_in6&>(storage);
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(ports[i]);
    if (!parseIpv6(fields[i], address.sin6_addr)) {
      return StepResult::fail("the PROXY v1 " + std::string(which) + " address " +
                              quote(fields[i]) + " is not an IPv6 address, as TCP6 needs");
    }
  }
  header_ = std::move(header);
  in.consume(*end + 2);
  return StepResult::done();
}

StepResult ProxyHeaderParser::checkV2Prefix(std::span<const std::uint8_t> head) {
  const std::size_t compared = std::min(head.size(), kProxyV2Signature.size());
  if (!std::equal(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(compared),
                  kProxyV2Signature.begin())) {
    return StepResult::fail("the client sent " + showFirstBytes(head) +
                            ", which is not a PROXY v2 signature (0d 0a 0d 0a 00 0d 0a 51 55 49 "
                            "54 0a): " +
                            std::string(kAskBalancer));
  }
  if (head.size() <= kProxyV2Signature.size()) {
    return StepResult::needInput();
  }
  version_ = 2;
  const std::uint8_t version_command = head[12];
  if ((version_command >> 4) != 2) {
    return StepResult::fail("the PROXY v2 header has version " +
                            std::to_string(version_command >> 4) + " (byte 13 is " +
                            hex(version_command, 2) + "); the spec defines only version 2");
  }
  const std::uint8_t command = version_command & 0x0F;
  if (command != kCommandLocal && command != kCommandProxy) {
    return StepResult::fail("the PROXY v2 header has command " + std::to_string(command) +
                            "; the spec defines only LOCAL (0) and PROXY (1)");
  }
  if (head.size() < 14) {
    return StepResult::needInput();
  }
  // A LOCAL header's family is ignored, as the spec says.
  const std::uint8_t family_protocol = head[13];
  if (command == kCommandProxy) {
    const std::uint8_t family = family_protocol >> 4;
    const std::uint8_t transport = family_protocol & 0x0F;
    if (transport == kTransportDgram) {
      return StepResult::fail(
          "the PROXY v2 header is for a datagram (DGRAM) connection; tlsgate relays streams only");
    }
    if (family > 3) {
      return StepResult::fail("the PROXY v2 header has address family " + std::to_string(family) +
                              "; the spec defines 0 (UNSPEC), 1 (INET), 2 (INET6) and 3 (UNIX)");
    }
    if (transport > 2) {
      return StepResult::fail("the PROXY v2 header has transport protocol " +
                              std::to_string(transport) +
                              "; the spec defines 0 (UNSPEC), 1 (STREAM) and 2 (DGRAM)");
    }
    if (!addressBlockBytes(family_protocol)) {
      return StepResult::fail("the PROXY v2 header's family and protocol byte " +
                              hex(family_protocol, 2) +
                              " is not one of the pairs the spec lists (0x00, 0x11, 0x21, 0x31)");
    }
  }
  if (head.size() < kProxyV2FixedBytes) {
    return StepResult::needInput();
  }
  const std::size_t length = (std::size_t{head[14]} << 8) | head[15];
  const std::size_t total = kProxyV2FixedBytes + length;
  if (total > max_bytes_) {
    return StepResult::fail("the PROXY v2 header is " + std::to_string(total) +
                            " bytes, over this listener's limit of " + std::to_string(max_bytes_));
  }
  if (command == kCommandProxy && length < *addressBlockBytes(family_protocol)) {
    return StepResult::fail(
        "the PROXY v2 header's address block is cut short: " + std::to_string(length) +
        " bytes follow the fixed part, but " + familyName(family_protocol) + " addresses need " +
        std::to_string(*addressBlockBytes(family_protocol)));
  }
  return StepResult::done();
}

StepResult ProxyHeaderParser::parseV2(ByteQueue& in) {
  std::array<std::uint8_t, kProxyV2FixedBytes> head{};
  in.peek(std::as_writable_bytes(std::span(head)));
  const std::size_t total = kProxyV2FixedBytes + ((std::size_t{head[14]} << 8) | head[15]);
  // The spec asks receivers not to act on a partial header; wait for all
  // of it, TLVs included, so the checksum covers what is used.
  if (in.size() < total) {
    return StepResult::needInput();
  }
  // A copy, so the checksum field can be zeroed to check it.
  std::vector<std::uint8_t> whole(total);
  in.peek(std::as_writable_bytes(std::span(whole)));
  StepResult result = parseV2Body(whole);
  if (result.isDone()) {
    in.consume(total);
  }
  return result;
}

StepResult ProxyHeaderParser::parseV2Body(std::span<std::uint8_t> whole) {
  const std::uint8_t command = whole[12] & 0x0F;
  const std::uint8_t family_protocol = whole[13];
  const std::size_t length = whole.size() - kProxyV2FixedBytes;
  header_ = ProxyHeader{};

  const std::optional<std::size_t> block = addressBlockBytes(family_protocol);
  if (command == kCommandLocal) {
    header_.local = true;
    // The addresses are discarded; TLVs can be found only when the family
    // says how long the address block is.
    if (!block || *block > length) {
      return StepResult::done();
    }
  }

  if (command == kCommandProxy) {
    readAddresses(family_protocol, whole.subspan(kProxyV2FixedBytes, *block), header_);
  }

  const std::size_t tlvs_offset = kProxyV2FixedBytes + *block;
  std::optional<std::size_t> crc_offset;
  StepResult tlvs = parseTlvs(whole.subspan(tlvs_offset), tlvs_offset, header_, crc_offset);
  if (tlvs.isFailed()) {
    header_ = ProxyHeader{};
    return tlvs;
  }
  if (crc_offset) {
    std::uint32_t sent = 0;
    WireReader(whole.subspan(*crc_offset, 4)).u32(sent);
    std::fill_n(whole.begin() + static_cast<std::ptrdiff_t>(*crc_offset), 4, 0);
    const std::uint32_t computed = crc32c(whole);
    if (sent != computed) {
      header_ = ProxyHeader{};
      return StepResult::fail("the PROXY v2 header's CRC32C is " + hex(sent, 8) +
                              " but its bytes give " + hex(computed, 8) +
                              ": the header was damaged on the way");
    }
  }
  return StepResult::done();
}

}  // namespace tlsgate
