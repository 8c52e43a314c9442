#include "protocol/client_hello_reader.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <string_view>
#include <vector>

#include "protocol/first_bytes.h"
#include "protocol/wire_reader.h"

namespace tlsgate {
namespace {

constexpr std::uint8_t kHandshakeRecord = 0x16;
constexpr std::uint8_t kClientHello = 0x01;
constexpr std::size_t kHandshakeHeaderBytes = 4;
constexpr std::size_t kMaxSessionIdBytes = 32;
constexpr std::uint16_t kExtensionServerName = 0;
constexpr std::uint16_t kExtensionAlpn = 16;
constexpr std::uint8_t kNameTypeHostName = 0;

std::string recordName(std::uint8_t type) {
  switch (type) {
    case 0x14:
      return "ChangeCipherSpec";
    case 0x15:
      return "alert";
    case 0x17:
      return "application data";
    default:
      return "type " + std::to_string(type);
  }
}

// What arrived instead of a TLS handshake record, in words that point at
// the likely misconfiguration.
std::string notAClientHello(std::span<const std::uint8_t> head) {
  const std::string shown = showFirstBytes(head);
  switch (identifyFirstBytes(head)) {
    case FirstBytes::http:
      return "the client sent plaintext HTTP (" + shown +
             ") where a TLS ClientHello was expected: it is speaking http:// to a TLS port";
    case FirstBytes::sslv2_hello:
      return "the client sent an SSLv2-format ClientHello, which carries no server name: it is "
             "very old or set to send SSLv2-compatible hellos, and needs to send a TLS one";
    case FirstBytes::proxy_v1:
    case FirstBytes::proxy_v2:
      return "the client sent a PROXY protocol header where a TLS ClientHello was expected: "
             "enable proxy_protocol on this listener's accept side, or stop the load balancer "
             "sending one";
    case FirstBytes::tls_other:
      return "the client sent a TLS " + recordName(head[0]) +
             " record where a ClientHello was expected";
    case FirstBytes::ssh:
      return "the client sent an SSH banner (" + shown + ") where a TLS ClientHello was expected";
    default:
      return "the client sent " + shown + ", which is not a TLS handshake record";
  }
}

StepResult malformed(const std::string& what) {
  return StepResult::fail("malformed ClientHello: " + what);
}

// Each record after the first must go on with the handshake: RFC 8446
// section 5.1 forbids interleaving other record types with a handshake
// message. Checks as many of the type and version bytes as have arrived.
StepResult checkRecordStart(std::span<const std::uint8_t> bytes, std::size_t offset) {
  const std::span<const std::uint8_t> start =
      bytes.subspan(offset, std::min<std::size_t>(2, bytes.size() - offset));
  const bool type_ok = start.empty() || start[0] == kHandshakeRecord;
  const bool version_ok = start.size() < 2 || start[1] == 0x03;
  if (type_ok && version_ok) {
    return StepResult::done();
  }
  if (offset == 0) {
    return StepResult::fail(notAClientHello(bytes.first(std::min<std::size_t>(bytes.size(), 32))));
  }
  if (!type_ok) {
    return StepResult::fail("the ClientHello is interrupted by a TLS " + recordName(start[0]) +
                            " record at byte " + std::to_string(offset));
  }
  return StepResult::fail("the record at byte " + std::to_string(offset) +
                          " in the middle of the ClientHello is not TLS (version byte " +
                          std::to_string(start[1]) + ")");
}

bool isHostNameByte(std::uint8_t byte) {
  // Printable ASCII without space: IDNs travel as A-labels, and a NUL or
  // control byte in a name used for routing is an attack, not a name.
  return byte > 0x20 && byte < 0x7F;
}

StepResult parseServerName(std::span<const std::uint8_t> data, std::string& sni) {
  WireReader reader(data);
  std::uint16_t list_length = 0;
  if (!reader.u16(list_length) || list_length == 0 || list_length != reader.remaining()) {
    return malformed("its server_name list is empty or does not fill the extension");
  }
  bool seen_host_name = false;
  while (!reader.empty()) {
    std::uint8_t name_type = 0;
    std::uint16_t length = 0;
    std::span<const std::uint8_t> name;
    if (!reader.u8(name_type) || !reader.u16(length) || !reader.bytes(length, name)) {
      return malformed("a server_name entry runs past the end of the extension");
    }
    if (name_type != kNameTypeHostName) {
      continue;  // RFC 6066 defines no other type; skip what may come
    }
    if (seen_host_name) {
      return malformed("its server_name extension has two host names");
    }
    seen_host_name = true;
    if (name.empty()) {
      return malformed("its server name is empty");
    }
    if (auto bad = std::find_if_not(name.begin(), name.end(), isHostNameByte); bad != name.end()) {
      return malformed("its server name has byte " + std::to_string(*bad) +
                       ", which no host name has");
    }
    sni.clear();
    std::transform(name.begin(), name.end(), std::back_inserter(sni), [](std::uint8_t byte) {
      return static_cast<char>(byte >= 'A' && byte <= 'Z' ? byte + ('a' - 'A') : byte);
    });
  }
  return StepResult::done();
}

StepResult parseAlpn(std::span<const std::uint8_t> data, std::vector<std::string>& alpn) {
  WireReader reader(data);
  std::uint16_t list_length = 0;
  if (!reader.u16(list_length) || list_length == 0 || list_length != reader.remaining()) {
    return malformed("its ALPN list is empty or does not fill the extension");
  }
  while (!reader.empty()) {
    std::uint8_t length = 0;
    std::span<const std::uint8_t> name;
    // RFC 7301: empty protocol names must not be sent.
    if (!reader.u8(length) || length == 0 || !reader.bytes(length, name)) {
      return malformed("an ALPN protocol name is empty or runs past the end of the list");
    }
    alpn.emplace_back(reinterpret_cast<const char*>(name.data()), name.size());
  }
  return StepResult::done();
}

}  // namespace

StepResult ClientHelloReader::peek(const ByteQueue& in) {
  if (outcome_) {
    return *outcome_;
  }
  if (in.size() < wanted_) {
    return StepResult::needInput();
  }
  std::vector<std::uint8_t> bytes(std::min(in.size(), max_bytes_));
  in.peek(std::as_writable_bytes(std::span(bytes)));
  StepResult result = read(bytes);
  if (result.status != StepStatus::need_input) {
    outcome_ = result;
  }
  if (result.isFailed()) {
    info_ = ClientHelloInfo{};
  }
  return result;
}

StepResult ClientHelloReader::read(std::span<const std::uint8_t> bytes) {
  // Waits for `total` bytes of input, unless that is more than allowed.
  auto need = [this](std::size_t total) {
    if (total > max_bytes_) {
      return StepResult::fail("the ClientHello needs more than " + std::to_string(max_bytes_) +
                              " bytes of TLS records, this listener's limit");
    }
    wanted_ = total;
    return StepResult::needInput();
  };

  info_ = ClientHelloInfo{};
  std::vector<std::uint8_t> message;  // the handshake bytes of the records so far
  for (std::size_t offset = 0;;) {
    if (StepResult start = checkRecordStart(bytes, offset); start.isFailed()) {
      return start;
    }
    if (bytes.size() < offset + kTlsRecordHeader) {
      // The type and version bytes are checked one by one as they arrive.
      const bool checking = bytes.size() - offset < 2;
      return need(checking ? bytes.size() + 1 : offset + kTlsRecordHeader);
    }
    WireReader header(bytes.subspan(offset + 1, kTlsRecordHeader - 1));
    std::uint16_t version = 0;
    std::uint16_t length = 0;
    header.u16(version);
    header.u16(length);
    if (offset == 0) {
      info_.record_version = version;
    }
    if (length == 0) {
      return StepResult::fail("the TLS handshake record at byte " + std::to_string(offset) +
                              " is empty, which TLS forbids");
    }
    if (length > kMaxTlsPlaintext) {
      return StepResult::fail("the TLS record at byte " + std::to_string(offset) + " claims " +
                              std::to_string(length) + " bytes, over the " +
                              std::to_string(kMaxTlsPlaintext) + " TLS allows");
    }
    const std::size_t payload_offset = offset + kTlsRecordHeader;
    const std::size_t record_end = payload_offset + length;
    const std::span<const std::uint8_t> payload =
        bytes.subspan(payload_offset, std::min<std::size_t>(length, bytes.size() - payload_offset));

    // The handshake header may already be in view (even split across
    // records): a wrong message type or an impossible length fails now
    // rather than after the rest has arrived.
    std::array<std::uint8_t, kHandshakeHeaderBytes> handshake{};
    const std::size_t from_message = std::min(message.size(), handshake.size());
    std::copy_n(message.begin(), from_message, handshake.begin());
    const std::size_t from_payload = std::min(payload.size(), handshake.size() - from_message);
    std::copy_n(payload.begin(), from_payload, handshake.begin() + from_message);
    const std::size_t seen = from_message + from_payload;
    if (seen >= 1 && handshake[0] != kClientHello) {
      return StepResult::fail("the first TLS handshake message is type " +
                              std::to_string(handshake[0]) + ", not a ClientHello (1)");
    }
    std::uint32_t message_length = 0;
    if (seen == handshake.size()) {
      WireReader(std::span(handshake).subspan(1)).u24(message_length);
      // The least input that can hold it is one record.
      const std::size_t least = kTlsRecordHeader + kHandshakeHeaderBytes + message_length;
      if (least > max_bytes_) {
        return StepResult::fail("the ClientHello is " + std::to_string(message_length) +
                                " bytes, more than this listener's limit of " +
                                std::to_string(max_bytes_) + " bytes of TLS records allows");
      }
    }

    if (record_end > max_bytes_) {
      return need(record_end);
    }
    if (bytes.size() < record_end) {
      // Until the handshake header is whole, each byte of it can fail.
      return need(seen < handshake.size() ? bytes.size() + 1 : record_end);
    }
    message.insert(message.end(), payload.begin(), payload.end());
    offset = record_end;
    if (seen == handshake.size() && message.size() >= kHandshakeHeaderBytes + message_length) {
      return parseClientHello(std::span(message).subspan(kHandshakeHeaderBytes, message_length));
    }
  }
}

StepResult ClientHelloReader::parseClientHello(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  std::uint16_t legacy_version = 0;
  if (!reader.u16(legacy_version) || !reader.skip(32)) {
    return malformed("it ends before its version and random");
  }
  if ((legacy_version >> 8) != 3) {
    return malformed("it offers version " + std::to_string(legacy_version >> 8) + "." +
                     std::to_string(legacy_version & 0xFF) + ", not SSL 3 or TLS");
  }
  std::uint8_t session_id_length = 0;
  if (!reader.u8(session_id_length) || session_id_length > kMaxSessionIdBytes ||
      !reader.skip(session_id_length)) {
    return malformed("its session id is longer than 32 bytes or cut short");
  }
  std::uint16_t suites_length = 0;
  if (!reader.u16(suites_length) || suites_length < 2 || suites_length % 2 != 0 ||
      !reader.skip(suites_length)) {
    return malformed("its cipher suite list is empty, odd or cut short");
  }
  std::uint8_t compression_length = 0;
  if (!reader.u8(compression_length) || compression_length < 1 ||
      !reader.skip(compression_length)) {
    return malformed("its compression method list is empty or cut short");
  }
  // Extensions are optional: an old client may end the message here.
  ClientHelloInfo info;
  info.record_version = info_.record_version;
  info.legacy_version = legacy_version;
  if (reader.empty()) {
    info_ = std::move(info);
    return StepResult::done();
  }
  std::uint16_t extensions_length = 0;
  if (!reader.u16(extensions_length) || extensions_length != reader.remaining()) {
    return malformed("its extensions do not fill the rest of the message exactly");
  }
  bool seen_server_name = false;
  bool seen_alpn = false;
  while (!reader.empty()) {
    std::uint16_t type = 0;
    std::uint16_t length = 0;
    std::span<const std::uint8_t> data;
    if (!reader.u16(type) || !reader.u16(length) || !reader.bytes(length, data)) {
      return malformed("an extension runs past the end of the message");
    }
    if (type == kExtensionServerName) {
      // Two would let the relay and the backend read different names.
      if (seen_server_name) {
        return malformed("it has two server_name extensions");
      }
      seen_server_name = true;
      if (StepResult sni = parseServerName(data, info.sni); sni.isFailed()) {
        return sni;
      }
    } else if (type == kExtensionAlpn) {
      if (seen_alpn) {
        return malformed("it has two ALPN extensions");
      }
      seen_alpn = true;
      if (StepResult alpn = parseAlpn(data, info.alpn); alpn.isFailed()) {
        return alpn;
      }
    }
  }
  info_ = std::move(info);
  return StepResult::done();
}

}  // namespace tlsgate
