// The application data records of one session, whichever code carries them.
//
// OpenSslRecords carries them through the SSL object: every client session,
// TLS 1.2, and a TLS 1.3 server session that stayed with OpenSSL (see
// RecordLayerDecline). RecordLayer carries them once a TLS 1.3 server session
// has handed its connection over and freed its SSL. TlsSession talks to
// either through this interface alone.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "tls/tls_result.h"

namespace tlsgate {

class RecordChannel {
 public:
  RecordChannel() = default;
  virtual ~RecordChannel() = default;
  RecordChannel(const RecordChannel&) = delete;
  RecordChannel& operator=(const RecordChannel&) = delete;
  RecordChannel(RecordChannel&&) = delete;
  RecordChannel& operator=(RecordChannel&&) = delete;

  // Decrypts the next application data into `plaintext`. end_of_stream means
  // close_notify arrived.
  virtual TlsResult read(std::span<std::byte> plaintext) = 0;
  // The transport ended where read() wanted more input: end_of_stream (a
  // close without close_notify), or a failure when that cut a message short.
  virtual TlsResult inputEnded() = 0;
  // Encrypts all of `plaintext` into the output queue.
  virtual TlsResult write(std::span<const std::byte> plaintext) = 0;
  // Sends close_notify; false when it cannot.
  virtual bool sendCloseNotify() = 0;
  // Why read(), inputEnded(), write() or sendCloseNotify() failed.
  virtual const std::string& failureReason() const = 0;
};

}  // namespace tlsgate
