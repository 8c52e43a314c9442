// Reads the server name and ALPN offer from a client's TLS ClientHello
// without terminating TLS, so a plain TCP relay can pick its backend by
// SNI (as nginx's ssl_preread does) and pass the bytes on untouched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "protocol/step_result.h"
#include "util/byte_queue.h"
#include "util/tls_record_size.h"

namespace tlsgate {

struct ClientHelloInfo {
  std::string sni;                // host_name from server_name, lower-cased; empty: none
  std::vector<std::string> alpn;  // the client's offer, in order
  uint16_t record_version = 0;    // of the first record, e.g. 0x0301
  uint16_t legacy_version = 0;    // ClientHello.legacy_version, e.g. 0x0303

  bool operator==(const ClientHelloInfo&) const = default;
};

class ClientHelloReader {
 public:
  // The default fits the largest ClientHello one full TLS record can hold.
  explicit ClientHelloReader(std::size_t max_bytes = kTlsRecordHeader + kMaxTlsPlaintext)
      : max_bytes_(max_bytes) {}

  // Looks at the head of `in` without consuming anything: the bytes go on
  // to the backend untouched. need_input until a whole ClientHello
  // handshake message is there (it may span several TLS records); done
  // with info(); failed when the bytes are not a TLS handshake record with
  // a ClientHello (the reason says what they look like instead), or the
  // message is malformed or needs more than max_bytes of records. Once
  // done or failed, later calls give the same answer.
  StepResult peek(const ByteQueue& in);

  const ClientHelloInfo& info() const { return info_; }

 private:
  StepResult read(std::span<const std::uint8_t> bytes);
  StepResult parseClientHello(std::span<const std::uint8_t> body);

  std::size_t max_bytes_;
  // The queue is looked at again only once it holds this many bytes: the
  // next byte that could change the answer.
  std::size_t wanted_ = 1;
  ClientHelloInfo info_;
  std::optional<StepResult> outcome_;
};

}  // namespace tlsgate
