#include "protocol/http_connect_client.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace tlsgate {
namespace {

void put(ByteQueue& queue, std::string_view text) {
  queue.append(std::as_bytes(std::span(text.data(), text.size())));
}

std::string drain(ByteQueue& queue) {
  std::string out(queue.size(), '\0');
  queue.read(std::as_writable_bytes(std::span(out.data(), out.size())));
  return out;
}

std::string requestFor(std::string target, std::string_view credentials = {}) {
  BufferPool pool(16);
  ByteQueue out(pool);
  HttpConnectClient client(std::move(target), credentials);
  client.begin(out);
  return drain(out);
}

// Feeds the whole reply at once and returns the answer.
StepResult replyWith(std::string_view reply, std::string_view credentials = {},
                     std::string* left = nullptr) {
  BufferPool pool(16);
  ByteQueue in(pool);
  ByteQueue out(pool);
  HttpConnectClient client("backend.example:443", credentials);
  client.begin(out);
  put(in, reply);
  StepResult result = client.advance(in);
  if (left != nullptr) {
    *left = drain(in);
  }
  return result;
}

constexpr std::string_view kTinyproxyOk =
    "HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n";

TEST(HttpConnectClientTest, SendsTheRequestLineAndHost) {
  EXPECT_EQ(requestFor("backend.example:443"),
            "CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n");
  EXPECT_EQ(requestFor("[2001:db8::1]:8443"),
            "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443\r\n\r\n");
}

TEST(HttpConnectClientTest, SendsBasicCredentials) {
  // The example of RFC 7617 section 2.
  EXPECT_EQ(requestFor("10.0.0.5:443", "Aladdin:open sesame"),
            "CONNECT 10.0.0.5:443 HTTP/1.1\r\nHost: 10.0.0.5:443\r\n"
            "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n");
}

TEST(HttpConnectClientTest, EncodesEveryBase64Padding) {
  const auto header = [](const std::string& credentials) {
    const std::string request = requestFor("h:1", credentials);
    const std::string_view prefix = "Proxy-Authorization: Basic ";
    const std::size_t start = request.find(prefix) + prefix.size();
    return request.substr(start, request.find("\r\n", start) - start);
  };
  EXPECT_EQ(header("a:b"), "YTpi");
  EXPECT_EQ(header("u:pw"), "dTpwdw==");
  EXPECT_EQ(header("u:pwd"), "dTpwd2Q=");
  EXPECT_EQ(header("\xff\xfe:\x80"), "//46gA==");
}

TEST(HttpConnectClientTest, RefusesATargetThatWouldBreakTheRequestLine) {
  for (const std::string target : {"", "a b:443", "evil:443\r\nX-Injected: 1", "tab\t:1"}) {
    BufferPool pool(16);
    ByteQueue in(pool);
    ByteQueue out(pool);
    HttpConnectClient client(target, "");
    client.begin(out);
    EXPECT_TRUE(out.empty()) << target;
    put(in, kTinyproxyOk);
    const StepResult result = client.advance(in);
    ASSERT_TRUE(result.isFailed()) << target;
    EXPECT_NE(result.reason.find("cannot go in a CONNECT request"), std::string::npos);
    EXPECT_EQ(result.reason.find('\n'), std::string::npos);
  }
}

TEST(HttpConnectClientTest, OpensTheTunnelOnATinyproxyReply) {
  std::string left;
  EXPECT_TRUE(replyWith(kTinyproxyOk, {}, &left).isDone());
  EXPECT_EQ(left, "");
}

TEST(HttpConnectClientTest, LeavesTheBackendsBytesInTheQueue) {
  std::string left;
  const std::string tls_bytes("\x16\x03\x03\x00\x7a\x02", 6);
  EXPECT_TRUE(
      replyWith("HTTP/1.1 200 Connection established\r\n\r\n" + tls_bytes, {}, &left).isDone());
  EXPECT_EQ(left, tls_bytes);
}

TEST(HttpConnectClientTest, IgnoresTheBodyHeadersOfASuccessfulReply) {
  std::string left;
  EXPECT_TRUE(replyWith("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "SSH-2",
                        {}, &left)
                  .isDone());
  EXPECT_EQ(left, "SSH-2");
}

TEST(HttpConnectClientTest, TakesAReplyByteByByte) {
  BufferPool pool(4);
  ByteQueue in(pool);
  ByteQueue out(pool);
  HttpConnectClient client("backend.example:443", "");
  client.begin(out);
  const std::string reply = std::string(kTinyproxyOk) + "\x16\x03";
  const std::size_t header_end = kTinyproxyOk.size();
  for (std::size_t i = 0; i < reply.size(); ++i) {
    put(in, reply.substr(i, 1));
    const StepResult result = client.advance(in);
    if (i + 1 < header_end) {
      ASSERT_EQ(result.status, StepStatus::need_input) << "at byte " << i;
      EXPECT_TRUE(in.empty());
    } else {
      ASSERT_TRUE(result.isDone()) << "at byte " << i;
    }
  }
  EXPECT_EQ(drain(in), "\x16\x03");
}

TEST(HttpConnectClientTest, AcceptsOtherSuccessShapes) {
  EXPECT_TRUE(replyWith("HTTP/1.1 200\r\n\r\n").isDone());
  EXPECT_TRUE(replyWith("HTTP/1.1 204 No Content\r\n\r\n").isDone());
  EXPECT_TRUE(replyWith("HTTP/1.1 200 OK\nVia: 1.1 proxy\n\n").isDone());  // bare LF
  EXPECT_TRUE(replyWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n").isDone());
  EXPECT_TRUE(
      replyWith("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n").isDone());
}

TEST(HttpConnectClientTest, QuotesTheStatusLineOfARefusal) {
  const StepResult result =
      replyWith("HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nContent-Length: 3\r\n\r\n<p>");
  ASSERT_TRUE(result.isFailed());
  EXPECT_EQ(result.reason, "the proxy refused CONNECT: HTTP/1.1 403 Forbidden");
  EXPECT_EQ(replyWith("HTTP/1.0 500 Unable to connect\r\n").reason,
            "the proxy refused CONNECT: HTTP/1.0 500 Unable to connect");
  EXPECT_EQ(replyWith("HTTP/1.1 101 Switching Protocols\r\n\r\n").reason,
            "the proxy refused CONNECT: HTTP/1.1 101 Switching Protocols");
}

TEST(HttpConnectClientTest, Says407IsAboutTheCredentials) {
  constexpr std::string_view k407 =
      "HTTP/1.1 407 Proxy Authentication Required\r\n"
      "Proxy-Authenticate: Basic realm=\"Squid proxy-caching web server\"\r\n\r\n";
  EXPECT_EQ(replyWith(k407).reason,
            "the proxy refused CONNECT: HTTP/1.1 407 Proxy Authentication Required (it wants "
            "credentials; put them in auth_file)");
  EXPECT_EQ(replyWith(k407, "user:wrong").reason,
            "the proxy refused CONNECT: HTTP/1.1 407 Proxy Authentication Required (it refused "
            "the credentials in auth_file)");
}

TEST(HttpConnectClientTest, FailsOnAReplyThatIsNotHttp) {
  for (const std::string_view reply :
       {"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", "HTTP/1.1 20 OK\r\n", "HTTP/1.1 200OK\r\n",
        "HTTP/2 200\r\n", "http/1.1 200 OK\r\n", "\r\n"}) {
    const StepResult result = replyWith(reply);
    ASSERT_TRUE(result.isFailed()) << reply;
    EXPECT_EQ(result.reason.rfind("the proxy's reply is not an HTTP status line: ", 0), 0U)
        << result.reason;
  }
  EXPECT_EQ(replyWith("SSH-2.0-OpenSSH_9.2p1\r\n").reason,
            "the proxy's reply is not an HTTP status line: SSH-2.0-OpenSSH_9.2p1");
}

TEST(HttpConnectClientTest, KeepsTheQuotedLineShortAndPrintable) {
  const StepResult binary = replyWith("\x05\xff\x1b[2J\r\n");
  EXPECT_EQ(binary.reason, "the proxy's reply is not an HTTP status line: ???[2J");
  const StepResult long_reason = replyWith("HTTP/1.1 403 " + std::string(500, 'x') + "\r\n");
  EXPECT_EQ(long_reason.reason,
            "the proxy refused CONNECT: HTTP/1.1 403 " + std::string(200 - 13, 'x') + "...");
}

TEST(HttpConnectClientTest, BoundsTheLengthOfALine) {
  // The CR counts toward the 8 KiB bound, the LF does not.
  const std::string longest = "X-Pad: " + std::string(HttpConnectClient::kMaxLine - 8, 'a');
  EXPECT_TRUE(replyWith("HTTP/1.1 200 OK\r\n" + longest + "\r\n\r\n").isDone());
  const StepResult result = replyWith("HTTP/1.1 200 OK\r\n" + longest + "a\r\n\r\n");
  ASSERT_TRUE(result.isFailed());
  EXPECT_EQ(result.reason, "the proxy's reply has a line longer than 8192 bytes");
  // A line that never ends fails as soon as it passes the bound.
  EXPECT_TRUE(replyWith(std::string(HttpConnectClient::kMaxLine + 1, 'H')).isFailed());
}

TEST(HttpConnectClientTest, BoundsTheNumberOfHeaderLines) {
  std::string headers;
  for (std::size_t i = 0; i < HttpConnectClient::kMaxHeaderLines; ++i) {
    headers += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_TRUE(replyWith("HTTP/1.1 200 OK\r\n" + headers + "\r\n").isDone());
  const StepResult result = replyWith("HTTP/1.1 200 OK\r\n" + headers + "X-last: v\r\n\r\n");
  ASSERT_TRUE(result.isFailed());
  EXPECT_EQ(result.reason, "the proxy's reply has more than 100 header lines");
}

TEST(HttpConnectClientTest, CountsInterimResponsesTowardTheBound) {
  std::string interim;
  for (std::size_t i = 0; i <= HttpConnectClient::kMaxHeaderLines; ++i) {
    interim += "HTTP/1.1 100 Continue\r\n\r\n";
  }
  EXPECT_TRUE(replyWith(interim + "HTTP/1.1 200 OK\r\n\r\n").isFailed());
}

TEST(HttpConnectClientTest, GivesTheSameAnswerOnceOver) {
  BufferPool pool(16);
  ByteQueue in(pool);
  ByteQueue out(pool);
  HttpConnectClient done("b:1", "");
  done.begin(out);
  put(in, std::string(kTinyproxyOk) + "HTTP/1.1 403 Forbidden\r\n\r\n");
  ASSERT_TRUE(done.advance(in).isDone());
  const std::size_t left = in.size();
  EXPECT_TRUE(done.advance(in).isDone());
  EXPECT_EQ(in.size(), left);

  ByteQueue refused(pool);
  HttpConnectClient failed("b:1", "");
  failed.begin(out);
  put(refused, "HTTP/1.1 502 Bad Gateway\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
  const std::string reason = failed.advance(refused).reason;
  EXPECT_EQ(reason, "the proxy refused CONNECT: HTTP/1.1 502 Bad Gateway");
  const std::size_t refused_left = refused.size();
  const StepResult again = failed.advance(refused);
  EXPECT_TRUE(again.isFailed());
  EXPECT_EQ(again.reason, reason);
  EXPECT_EQ(refused.size(), refused_left);
}

TEST(HttpConnectClientTest, WaitsForTheEndOfTheHeaderBlock) {
  BufferPool pool(16);
  ByteQueue in(pool);
  ByteQueue out(pool);
  HttpConnectClient client("b:1", "");
  client.begin(out);
  EXPECT_EQ(client.advance(in).status, StepStatus::need_input);
  put(in, "HTTP/1.1 200 Connection established\r\n");
  EXPECT_EQ(client.advance(in).status, StepStatus::need_input);
  put(in, "Via: 1.1 squid\r\n\r");
  EXPECT_EQ(client.advance(in).status, StepStatus::need_input);
  put(in, "\n");
  EXPECT_TRUE(client.advance(in).isDone());
}

}  // namespace
}  // namespace tlsgate
