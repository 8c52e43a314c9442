// The client half of an HTTP CONNECT tunnel (RFC 9110 section 9.3.6): how
// tlsgate reaches a backend through an HTTP proxy (connect.via.http_connect).
//
// Sans-IO: begin() queues the request, advance() reads the proxy's reply
// from whatever bytes have arrived. Once the reply's header block has ended
// the tunnel is open, and anything after it is the backend's.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "protocol/line_reader.h"
#include "protocol/step_result.h"
#include "util/byte_queue.h"

namespace tlsgate {

class HttpConnectClient {
 public:
  // Bounds on the reply, so a proxy that never ends its header block cannot
  // make tlsgate buffer without end.
  static constexpr std::size_t kMaxLine = std::size_t{8} * 1024;
  static constexpr std::size_t kMaxHeaderLines = 100;

  // `target` is "host:port" or "[v6]:port", as it goes in the request line
  // and the Host header. `credentials` is "user:password" for
  // Proxy-Authorization: Basic, or empty for none.
  HttpConnectClient(std::string target, std::string_view credentials);

  // Queues "CONNECT target HTTP/1.1", Host and, with credentials,
  // Proxy-Authorization. A target that cannot go in a request line (empty,
  // or holding spaces or control bytes) queues nothing; advance() then fails.
  void begin(ByteQueue& to_proxy);

  // done on a 2xx status once the header block has ended; the bytes after
  // the blank line stay in `from_proxy`. failed on any other status, quoting
  // the status line, or on a reply that is not HTTP or breaks the bounds.
  // Once done or failed, later calls give the same answer and consume
  // nothing.
  StepResult advance(ByteQueue& from_proxy);

 private:
  enum class State {
    status_line,  // waiting for the status line of the next response
    interim,      // in the header block of a 1xx response, which a final one follows
    headers,      // in the header block of a 2xx response
    done,
    failed,
  };

  void onStatusLine(const std::string& line);
  void onHeaderLine(const std::string& line);
  void countHeaderLine();
  void fail(std::string reason);

  std::string target_;
  std::string authorization_;  // the base64 of the credentials; empty for none
  LineReader reader_{kMaxLine};
  State state_ = State::status_line;
  std::size_t header_lines_ = 0;
  std::string reason_;
};

}  // namespace tlsgate
