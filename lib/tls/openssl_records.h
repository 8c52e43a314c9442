// The records of a session that OpenSSL carries, through its SSL object.
//
// It exists from the start of a session: before the handshake completes,
// write() and sendCloseNotify() reach the SSL just as they do after it.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <string>

#include "tls/record_channel.h"

namespace tlsgate {

class CiphertextPipe;

class OpenSslRecords final : public RecordChannel {
 public:
  // Explains a failed SSL call from its SSL_get_error() value and this
  // thread's error queue, which it drains.
  using DescribeFailure = std::function<std::string(int ssl_error)>;

  // `ssl` and `pipe` (its BIO's queues) outlive this.
  OpenSslRecords(SSL* ssl, const CiphertextPipe& pipe, DescribeFailure describe)
      : ssl_(ssl), pipe_(&pipe), describe_(std::move(describe)) {}

  TlsResult read(std::span<std::byte> plaintext) override;
  TlsResult inputEnded() override { return {TlsStatus::end_of_stream, 0}; }
  TlsResult write(std::span<const std::byte> plaintext) override;
  bool sendCloseNotify() override;
  const std::string& failureReason() const override { return failure_reason_; }

 private:
  TlsResult failWith(int ssl_error);
  // The transport ended without close_notify, where a record could start.
  bool isUnexpectedEof() const;

  SSL* ssl_;
  const CiphertextPipe* pipe_;
  DescribeFailure describe_;
  std::string failure_reason_;
};

}  // namespace tlsgate
