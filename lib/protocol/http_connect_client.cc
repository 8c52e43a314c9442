#include "protocol/http_connect_client.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

namespace tlsgate {
namespace {

// Enough of a status line or a target to recognise it in a log line.
constexpr std::size_t kMaxQuoted = 200;

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto group = (static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                       static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += kAlphabet[(group >> 18) & 0x3f];
    out += kAlphabet[(group >> 12) & 0x3f];
    out += kAlphabet[(group >> 6) & 0x3f];
    out += kAlphabet[group & 0x3f];
  }
  const std::size_t rest = in.size() - i;
  if (rest == 0) {
    return out;
  }
  uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
  if (rest == 2) {
    group |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
  }
  out += kAlphabet[(group >> 18) & 0x3f];
  out += kAlphabet[(group >> 12) & 0x3f];
  out += rest == 2 ? kAlphabet[(group >> 6) & 0x3f] : '=';
  out += '=';
  return out;
}

// The proxy's words go into a log line: keep them on one line, printable and
// short, whatever the proxy sent.
std::string quoted(std::string_view text) {
  std::string out;
  const std::size_t keep = std::min(text.size(), kMaxQuoted);
  out.reserve(keep + 3);
  for (std::size_t i = 0; i < keep; ++i) {
    const char c = text[i];
    out += c >= 0x20 && c < 0x7f ? c : '?';
  }
  if (keep < text.size()) {
    out += "...";
  }
  return out;
}

// A target goes verbatim into the request line, so it must not be able to
// end that line or add a word to it.
bool fitsRequestLine(std::string_view target) {
  return !target.empty() &&
         std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// "HTTP/1.x SSS[ reason]" gives SSS; anything else gives -1.
int statusCode(std::string_view line) {
  constexpr std::string_view kVersion = "HTTP/1.";
  if (line.size() < kVersion.size() + 5 || line.substr(0, kVersion.size()) != kVersion) {
    return -1;
  }
  const std::string_view rest = line.substr(kVersion.size());
  if (!isDigit(rest[0]) || rest[1] != ' ' || !isDigit(rest[2]) || !isDigit(rest[3]) ||
      !isDigit(rest[4])) {
    return -1;
  }
  if (rest.size() > 5 && rest[5] != ' ') {
    return -1;
  }
  return (rest[2] - '0') * 100 + (rest[3] - '0') * 10 + (rest[4] - '0');
}

}  // namespace

HttpConnectClient::HttpConnectClient(std::string target, std::string_view credentials)
    : target_(std::move(target)) {
  if (!credentials.empty()) {
    authorization_ = base64(credentials);
  }
  if (!fitsRequestLine(target_)) {
    fail("the backend address \"" + quoted(target_) + "\" cannot go in a CONNECT request");
  }
}

void HttpConnectClient::begin(ByteQueue& to_proxy) {
  if (state_ == State::failed) {
    return;
  }
  std::string request;
  request.reserve(64 + 2 * target_.size() + authorization_.size());
  request += "CONNECT ";
  request += target_;
  request += " HTTP/1.1\r\nHost: ";
  request += target_;
  request += "\r\n";
  if (!authorization_.empty()) {
    request += "Proxy-Authorization: Basic ";
    request += authorization_;
    request += "\r\n";
  }
  request += "\r\n";
  to_proxy.append(std::as_bytes(std::span(request.data(), request.size())));
}

StepResult HttpConnectClient::advance(ByteQueue& from_proxy) {
  std::string line;
  while (state_ != State::done && state_ != State::failed) {
    switch (reader_.next(from_proxy, line)) {
      case LineReader::Status::line:
        if (state_ == State::status_line) {
          onStatusLine(line);
        } else {
          onHeaderLine(line);
        }
        break;
      case LineReader::Status::need_input:
        return StepResult::needInput();
      case LineReader::Status::too_long:
        fail("the proxy's reply has a line longer than " + std::to_string(kMaxLine) + " bytes");
        break;
      default:
        fail("the proxy's reply could not be read");
        break;
    }
  }
  return state_ == State::done ? StepResult::done() : StepResult::fail(reason_);
}

void HttpConnectClient::onStatusLine(const std::string& line) {
  const int code = statusCode(line);
  if (code < 0) {
    fail("the proxy's reply is not an HTTP status line: " + quoted(line));
    return;
  }
  if (code >= 200 && code < 300) {
    state_ = State::headers;
    return;
  }
  // A 1xx other than 101 is an interim response (RFC 9110 section 15.2): the
  // final one follows its header block. 101 would switch protocols, which a
  // tunnel cannot follow. Interim status lines count toward the header-line
  // bound, so a proxy cannot send them without end.
  if (code >= 100 && code < 200 && code != 101) {
    state_ = State::interim;
    countHeaderLine();
    return;
  }
  std::string reason = "the proxy refused CONNECT: " + quoted(line);
  if (code == 407) {
    reason += authorization_.empty() ? " (it wants credentials; put them in auth_file)"
                                     : " (it refused the credentials in auth_file)";
  }
  fail(std::move(reason));
}

void HttpConnectClient::onHeaderLine(const std::string& line) {
  if (!line.empty()) {
    countHeaderLine();
    return;
  }
  // A successful CONNECT reply has no body, whatever its Content-Length or
  // Transfer-Encoding say (RFC 9110 section 9.3.6): the tunnel starts here.
  state_ = state_ == State::headers ? State::done : State::status_line;
}

void HttpConnectClient::countHeaderLine() {
  if (++header_lines_ > kMaxHeaderLines) {
    fail("the proxy's reply has more than " + std::to_string(kMaxHeaderLines) + " header lines");
  }
}

void HttpConnectClient::fail(std::string reason) {
  state_ = State::failed;
  reason_ = std::move(reason);
}

}  // namespace tlsgate
