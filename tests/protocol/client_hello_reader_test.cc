#include "protocol/client_hello_reader.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "support/client_hello.h"
#include "test_bytes.h"

namespace tlsgate {
namespace {

using test::contents;
using test::openSslClientHello;
using test::put;

std::string u16(std::size_t n) {
  return {static_cast<char>(n >> 8), static_cast<char>(n & 0xFF)};
}

std::string u24(std::size_t n) {
  return static_cast<char>(n >> 16) + u16(n & 0xFFFF);
}

std::string record(const std::string& payload, char type = 0x16) {
  return std::string{type, 0x03, 0x01} + u16(payload.size()) + payload;
}

// The handshake messages carried by a run of records.
std::string handshakeOf(const std::string& records) {
  std::string message;
  for (std::size_t offset = 0; offset + 5 <= records.size();) {
    const std::size_t length = static_cast<std::uint8_t>(records[offset + 3]) << 8 |
                               static_cast<std::uint8_t>(records[offset + 4]);
    message += records.substr(offset + 5, length);
    offset += 5 + length;
  }
  return message;
}

// The same handshake bytes framed again: one record per entry of `sizes`,
// then the rest in one.
std::string reframe(const std::string& message, const std::vector<std::size_t>& sizes) {
  std::string records;
  std::size_t offset = 0;
  for (std::size_t size : sizes) {
    records += record(message.substr(offset, size));
    offset += size;
  }
  if (offset < message.size()) {
    records += record(message.substr(offset));
  }
  return records;
}

std::string extension(std::uint16_t type, const std::string& data) {
  return u16(type) + u16(data.size()) + data;
}

std::string hostName(const std::string& name) {
  return std::string(1, '\0') + u16(name.size()) + name;
}

std::string serverName(const std::string& list) {
  return extension(0, u16(list.size()) + list);
}

std::string alpnList(const std::string& list) {
  return extension(16, u16(list.size()) + list);
}

// A ClientHello body with one cipher suite, no session id and the given
// extensions (none at all when `extensions` is empty).
std::string helloBody(const std::string& extensions) {
  std::string body = "\x03\x03" + std::string(32, 'r') + std::string(1, '\0') + u16(2) +
                     "\x13\x01" + std::string("\x01\x00", 2);
  if (!extensions.empty()) {
    body += u16(extensions.size()) + extensions;
  }
  return body;
}

std::string hello(const std::string& body) {
  return record("\x01" + u24(body.size()) + body);
}

struct Peeked {
  StepResult result;
  ClientHelloInfo info;
};

Peeked peekAll(const std::string& bytes, std::size_t max_bytes = 16384 + 5) {
  BufferPool pool(512);
  ByteQueue in(pool);
  put(in, bytes);
  ClientHelloReader reader(max_bytes);
  Peeked peeked{reader.peek(in), reader.info()};
  EXPECT_EQ(contents(in), bytes) << "peek must leave every byte in place";
  return peeked;
}

TEST(ClientHelloReaderTest, ReadsSniAndAlpnFromAnOpenSslClientHello) {
  const std::string bytes =
      openSslClientHello({.sni = "WWW.Example.COM", .alpn = {"h2", "http/1.1"}});
  Peeked peeked = peekAll(bytes);
  ASSERT_TRUE(peeked.result.isDone()) << peeked.result.reason;
  EXPECT_EQ(peeked.info.sni, "www.example.com");
  EXPECT_EQ(peeked.info.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(peeked.info.record_version, 0x0301);
  EXPECT_EQ(peeked.info.legacy_version, 0x0303);
}

TEST(ClientHelloReaderTest, ReadsATls12OnlyHelloWithoutSniOrAlpn) {
  Peeked peeked =
      peekAll(openSslClientHello({.sni = "", .alpn = {}, .max_version = TLS1_2_VERSION}));
  ASSERT_TRUE(peeked.result.isDone()) << peeked.result.reason;
  EXPECT_TRUE(peeked.info.sni.empty());
  EXPECT_TRUE(peeked.info.alpn.empty());
  EXPECT_EQ(peeked.info.legacy_version, 0x0303);
}

TEST(ClientHelloReaderTest, ReadsAnOldHelloWithNoExtensions) {
  Peeked peeked = peekAll(hello(helloBody("")));
  ASSERT_TRUE(peeked.result.isDone()) << peeked.result.reason;
  EXPECT_TRUE(peeked.info.sni.empty());
}

TEST(ClientHelloReaderTest, WaitsByteByByteAndConsumesNothing) {
  const std::string bytes = openSslClientHello({.sni = "a.example", .alpn = {"imap"}});
  BufferPool pool(16);  // the hello spans many chunks
  ByteQueue in(pool);
  ClientHelloReader reader;
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    put(in, bytes.substr(i, 1));
    StepResult step = reader.peek(in);
    ASSERT_EQ(step.status, StepStatus::need_input) << "after byte " << i + 1 << ": " << step.reason;
  }
  put(in, bytes.substr(bytes.size() - 1));
  StepResult last = reader.peek(in);
  ASSERT_TRUE(last.isDone()) << last.reason;
  EXPECT_EQ(reader.info().sni, "a.example");
  EXPECT_EQ(reader.info().alpn, std::vector<std::string>{"imap"});
  EXPECT_EQ(contents(in), bytes);
  EXPECT_TRUE(reader.peek(in).isDone());
}

TEST(ClientHelloReaderTest, ReadsALargeHelloReframedOverTwoRecords) {
  std::vector<std::string> many_protocols;
  many_protocols.reserve(40);
  for (int i = 0; i < 40; ++i) {
    many_protocols.push_back("proto-" + std::to_string(i));
  }
  const std::string original = openSslClientHello(
      {.sni = "large.example", .alpn = many_protocols, .custom_extension = 3000, .padding = true});
  const std::string message = handshakeOf(original);
  ASSERT_GT(message.size(), 3000U);
  const std::string two_records = reframe(message, {message.size() / 2});
  ASSERT_EQ(two_records.size(), message.size() + 10);

  // Every way of cutting the two records into reads gives the same answer.
  for (std::size_t cut : {std::size_t{3}, std::size_t{5}, message.size() / 2 + 5,
                          message.size() / 2 + 7, two_records.size() - 1}) {
    BufferPool pool(256);
    ByteQueue in(pool);
    ClientHelloReader reader;
    put(in, two_records.substr(0, cut));
    ASSERT_EQ(reader.peek(in).status, StepStatus::need_input) << "cut at " << cut;
    put(in, two_records.substr(cut));
    StepResult result = reader.peek(in);
    ASSERT_TRUE(result.isDone()) << result.reason;
    EXPECT_EQ(reader.info().sni, "large.example");
    EXPECT_EQ(reader.info().alpn, many_protocols);
  }
}

TEST(ClientHelloReaderTest, ReadsAHelloWhoseHeaderIsSplitAcrossRecords) {
  const std::string message =
      handshakeOf(openSslClientHello({.sni = "split.example", .alpn = {"h2"}}));
  Peeked peeked = peekAll(reframe(message, {1, 2, 1, 100, 50}));
  ASSERT_TRUE(peeked.result.isDone()) << peeked.result.reason;
  EXPECT_EQ(peeked.info.sni, "split.example");
  EXPECT_EQ(peeked.info.alpn, std::vector<std::string>{"h2"});
}

TEST(ClientHelloReaderTest, ReadsAHelloOpenSslSplitsItselfWhenItOutgrowsARecord) {
  const std::string bytes =
      openSslClientHello({.sni = "huge.example", .alpn = {}, .custom_extension = 20000});
  ASSERT_GT(bytes.size(), 16384U + 5);
  Peeked within = peekAll(bytes, 32768);
  ASSERT_TRUE(within.result.isDone()) << within.result.reason;
  EXPECT_EQ(within.info.sni, "huge.example");

  Peeked over = peekAll(bytes);
  ASSERT_TRUE(over.result.isFailed());
  EXPECT_NE(over.result.reason.find("more than this listener's limit of 16389 bytes"),
            std::string::npos)
      << over.result.reason;
}

TEST(ClientHelloReaderTest, IgnoresRecordsAfterTheHello) {
  const std::string ccs = record(std::string(1, '\x01'), 0x14);
  Peeked peeked = peekAll(openSslClientHello({.sni = "early.example", .alpn = {}}) + ccs);
  ASSERT_TRUE(peeked.result.isDone()) << peeked.result.reason;
  EXPECT_EQ(peeked.info.sni, "early.example");
}

TEST(ClientHelloReaderTest, AcceptsAHelloOfExactlyTheLimit) {
  const std::string bytes = hello(helloBody(serverName(hostName("limit.example"))));
  EXPECT_TRUE(peekAll(bytes, bytes.size()).result.isDone());
  Peeked over = peekAll(bytes, bytes.size() - 1);
  ASSERT_TRUE(over.result.isFailed());
  EXPECT_NE(over.result.reason.find("limit"), std::string::npos) << over.result.reason;
}

TEST(ClientHelloReaderTest, FailsAtOnceOnAFirstByteThatIsNoTlsRecord) {
  EXPECT_EQ(peekAll("\x16").result.status, StepStatus::need_input);
  EXPECT_EQ(peekAll("\x16\x03\x01\x02").result.status, StepStatus::need_input);
  Peeked one_byte = peekAll("G");
  ASSERT_TRUE(one_byte.result.isFailed());
  EXPECT_EQ(one_byte.result.reason, "the client sent \"G\", which is not a TLS handshake record");
}

TEST(ClientHelloReaderTest, FailsOnTheByteThatGivesItAwayWhileARecordIsStillArriving) {
  BufferPool pool(64);
  ByteQueue in(pool);
  ClientHelloReader reader;
  put(in, std::string("\x16\x03\x01\x07\x00", 5));  // a 1792-byte record is coming
  EXPECT_EQ(reader.peek(in).status, StepStatus::need_input);
  put(in, "\x02");  // but it holds a ServerHello
  EXPECT_TRUE(reader.peek(in).isFailed());

  ByteQueue version(pool);
  ClientHelloReader second;
  put(version, "\x16");
  EXPECT_EQ(second.peek(version).status, StepStatus::need_input);
  put(version, "\x04");
  EXPECT_TRUE(second.peek(version).isFailed());
}

struct Failure {
  const char* name;
  std::string input;
  std::string reason;
};

// NOLINTNEXTLINE(readability-identifier-naming): the name gtest looks for
void PrintTo(const Failure& failure, std::ostream* os) {
  *os << failure.name;
}

class ClientHelloFailureTest : public testing::TestWithParam<Failure> {};

TEST_P(ClientHelloFailureTest, FailsWithASpecificReason) {
  const Failure& failure = GetParam();
  Peeked peeked = peekAll(failure.input);
  ASSERT_EQ(peeked.result.status, StepStatus::failed) << failure.name;
  EXPECT_NE(peeked.result.reason.find(failure.reason), std::string::npos)
      << failure.name << ": the reason was: " << peeked.result.reason;
  EXPECT_TRUE(peeked.info.sni.empty());
}

const std::string kSni = serverName(hostName("ok.example"));

INSTANTIATE_TEST_SUITE_P(
    Reasons, ClientHelloFailureTest,
    testing::Values(
        Failure{"http", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
                "the client sent plaintext HTTP (\"GET / HTTP/1.1\\r\\nHost: ex...\") where a TLS "
                "ClientHello was expected: it is speaking http:// to a TLS port"},
        Failure{"sslv2", std::string("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10", 11),
                "the client sent an SSLv2-format ClientHello"},
        Failure{"proxy_v1", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n\x16\x03\x01",
                "the client sent a PROXY protocol header where a TLS ClientHello was expected"},
        Failure{"proxy_v2", std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16),
                "PROXY protocol header"},
        Failure{"alert", std::string("\x15\x03\x03\x00\x02\x02\x28", 7),
                "the client sent a TLS alert record where a ClientHello was expected"},
        Failure{"application_data", std::string("\x17\x03\x03\x00\x01x", 6), "application data"},
        Failure{"ssh", "SSH-2.0-OpenSSH_9.2\r\n", "an SSH banner"},
        Failure{"binary", std::string("\x00\x01\x02", 3),
                "the client sent 00 01 02, which is not a TLS handshake record"},
        Failure{"not_tls_version", std::string("\x16\x01\x00\x00\x05", 5),
                "16 01 00 00 05, which is not a TLS handshake record"},
        Failure{"server_hello", record("\x02" + u24(2) + "\x03\x03"),
                "the first TLS handshake message is type 2, not a ClientHello (1)"},
        Failure{"empty_record", record(""), "the TLS handshake record at byte 0 is empty"},
        Failure{"oversized_record", std::string("\x16\x03\x01\x40\x01", 5),
                "claims 16385 bytes, over the 16384 TLS allows"},
        Failure{"oversized_hello", record("\x01" + u24(0xFFFFFF)),
                "the ClientHello is 16777215 bytes, more than this listener's limit"},
        Failure{"interrupted_by_alert",
                record("\x01" + u24(10) + "\x03\x03") + record("\x02\x28", 0x15),
                "the ClientHello is interrupted by a TLS alert record at byte 11"},
        Failure{"interrupted_by_junk", record("\x01" + u24(10) + "\x03\x03") + "\x16\x04",
                "the record at byte 11 in the middle of the ClientHello is not TLS"},
        Failure{"short_body", hello("\x03\x03" + std::string(20, 'r')),
                "malformed ClientHello: it ends before its version and random"},
        Failure{"not_tls_hello", hello(std::string("\x02\x00", 2) + helloBody("").substr(2)),
                "it offers version 2.0, not SSL 3 or TLS"},
        Failure{"long_session_id", hello("\x03\x03" + std::string(32, 'r') + "\x21"),
                "its session id is longer than 32 bytes or cut short"},
        Failure{"odd_cipher_suites",
                hello("\x03\x03" + std::string(32, 'r') + std::string(1, '\0') + u16(3) + "abc" +
                      std::string("\x01\x00", 2)),
                "its cipher suite list is empty, odd or cut short"},
        Failure{"no_compression",
                hello("\x03\x03" + std::string(32, 'r') + std::string(1, '\0') + u16(2) +
                      "\x13\x01" + std::string(1, '\0')),
                "its compression method list is empty or cut short"},
        Failure{"extensions_too_short", hello(helloBody(kSni) + "x"),
                "its extensions do not fill the rest of the message exactly"},
        Failure{"extension_overruns", hello(helloBody(u16(0) + u16(50) + "short")),
                "an extension runs past the end of the message"},
        Failure{"two_server_names", hello(helloBody(kSni + kSni)),
                "it has two server_name extensions"},
        Failure{"two_host_names",
                hello(helloBody(serverName(hostName("a.example") + hostName("b.example")))),
                "its server_name extension has two host names"},
        Failure{"nul_in_host_name",
                hello(helloBody(serverName(hostName(std::string("a.example\0.evil", 15))))),
                "its server name has byte 0, which no host name has"},
        Failure{"space_in_host_name", hello(helloBody(serverName(hostName("a b")))), "byte 32"},
        Failure{"empty_host_name", hello(helloBody(serverName(hostName("")))),
                "its server name is empty"},
        Failure{"empty_server_name_list", hello(helloBody(extension(0, u16(0)))),
                "its server_name list is empty or does not fill the extension"},
        Failure{"host_name_overruns",
                hello(helloBody(serverName(std::string(1, '\0') + u16(40) + "abc"))),
                "a server_name entry runs past the end of the extension"},
        Failure{"two_alpn", hello(helloBody(alpnList("\x02h2") + alpnList("\x02h2"))),
                "it has two ALPN extensions"},
        Failure{"empty_alpn_name", hello(helloBody(alpnList(std::string("\x02h2\x00", 4)))),
                "an ALPN protocol name is empty or runs past the end of the list"},
        Failure{"alpn_name_overruns", hello(helloBody(alpnList("\x09h2"))),
                "an ALPN protocol name is empty"},
        Failure{"alpn_list_mismatch", hello(helloBody(extension(16, u16(9) + "\x02h2"))),
                "its ALPN list is empty or does not fill the extension"}),
    [](const testing::TestParamInfo<Failure>& param) { return std::string(param.param.name); });

}  // namespace
}  // namespace tlsgate
