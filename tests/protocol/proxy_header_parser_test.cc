#include "protocol/proxy_header_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "protocol/crc32c.h"
#include "proxy_header_vectors.h"
#include "test_bytes.h"

namespace tlsgate {
namespace {

using test::contents;
using test::put;

std::string bytes(std::span<const std::uint8_t> data) {
  return test::text(data);
}

// A v2 header around `body` (addresses and TLVs), its length filled in.
std::string v2(std::uint8_t version_command, std::uint8_t family_protocol, std::string_view body) {
  std::string header = bytes(kProxyV2Signature);
  header += static_cast<char>(version_command);
  header += static_cast<char>(family_protocol);
  header += static_cast<char>(body.size() >> 8);
  header += static_cast<char>(body.size() & 0xFF);
  header += body;
  return header;
}

std::string tlv(std::uint8_t type, std::string_view value) {
  std::string out;
  out += static_cast<char>(type);
  out += static_cast<char>(value.size() >> 8);
  out += static_cast<char>(value.size() & 0xFF);
  out += value;
  return out;
}

// Twelve bytes of IPv4 addresses: 10.0.0.1:1000 to 10.0.0.2:443.
const std::string kIpv4Block("\x0A\x00\x00\x01\x0A\x00\x00\x02\x03\xE8\x01\xBB", 12);

struct Parsed {
  StepResult result;
  ProxyHeaderParser parser;
  std::string left;  // what stayed in the queue
};

Parsed parseAll(std::string_view input, std::size_t max_bytes = 4096) {
  BufferPool pool(64);
  ByteQueue in(pool);
  put(in, input);
  Parsed parsed{{}, ProxyHeaderParser(max_bytes), {}};
  parsed.result = parsed.parser.parse(in);
  parsed.left = contents(in);
  return parsed;
}

// Feeds `input` one byte at a time and expects need_input until the last
// byte of the header, then done with `trailer` left in the queue.
ProxyHeader parseByteByByte(std::string_view header_bytes, std::string_view trailer) {
  BufferPool pool(8);  // the header spans many chunks
  ByteQueue in(pool);
  ProxyHeaderParser parser;
  for (std::size_t i = 0; i + 1 < header_bytes.size(); ++i) {
    put(in, header_bytes.substr(i, 1));
    StepResult step = parser.parse(in);
    EXPECT_EQ(step.status, StepStatus::need_input) << "after byte " << i + 1 << ": " << step.reason;
    EXPECT_EQ(in.size(), i + 1) << "nothing is consumed before the header is whole";
  }
  put(in, header_bytes.substr(header_bytes.size() - 1));
  put(in, trailer);
  StepResult last = parser.parse(in);
  EXPECT_TRUE(last.isDone()) << last.reason;
  EXPECT_EQ(contents(in), trailer);
  return parser.header();
}

TEST(ProxyHeaderParserTest, ReadsTheSpecV1ExampleAndLeavesTheRequest) {
  Parsed parsed = parseAll(
      "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n");
  ASSERT_TRUE(parsed.result.isDone()) << parsed.result.reason;
  EXPECT_EQ(parsed.parser.version(), 1);
  const ProxyHeader& header = parsed.parser.header();
  EXPECT_FALSE(header.local);
  EXPECT_EQ(formatProxyAddress(header.source), "192.168.0.1:56324");
  EXPECT_EQ(formatProxyAddress(header.destination), "192.168.0.11:443");
  EXPECT_FALSE(header.tls.has_value());
  EXPECT_EQ(parsed.left, "GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n");
}

TEST(ProxyHeaderParserTest, ReadsV1Tcp6IncludingMappedAddresses) {
  Parsed parsed = parseAll("PROXY TCP6 2001:DB8::1 ::ffff:192.0.2.7 0 65535\r\n");
  ASSERT_TRUE(parsed.result.isDone()) << parsed.result.reason;
  EXPECT_EQ(formatProxyAddress(parsed.parser.header().source), "[2001:db8::1]:0");
  EXPECT_EQ(formatProxyAddress(parsed.parser.header().destination), "[::ffff:192.0.2.7]:65535");
  EXPECT_TRUE(parsed.left.empty());
}

TEST(ProxyHeaderParserTest, ReadsV1UnknownShortAndAtTheLongestTheSpecAllows) {
  Parsed short_form = parseAll("PROXY UNKNOWN\r\nrest");
  ASSERT_TRUE(short_form.result.isDone()) << short_form.result.reason;
  EXPECT_TRUE(short_form.parser.header().local);
  EXPECT_EQ(short_form.parser.header().source.ss_family, AF_UNSPEC);
  EXPECT_EQ(short_form.left, "rest");

  // The spec's worst case: 107 bytes with the CRLF, whatever follows
  // UNKNOWN ignored.
  const std::string ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  const std::string longest = "PROXY UNKNOWN " + ffff + " " + ffff + " 65535 65535\r\n";
  ASSERT_EQ(longest.size(), 107U);
  Parsed long_form = parseAll(longest + "x");
  ASSERT_TRUE(long_form.result.isDone()) << long_form.result.reason;
  EXPECT_TRUE(long_form.parser.header().local);
  EXPECT_EQ(long_form.left, "x");
}

TEST(ProxyHeaderParserTest, ReadsTheHandWrittenV2Vector) {
  Parsed parsed = parseAll(bytes(test::kIpv4WithTlvs) + "\x16\x03\x01");
  ASSERT_TRUE(parsed.result.isDone()) << parsed.result.reason;
  EXPECT_EQ(parsed.parser.version(), 2);
  const ProxyHeader& header = parsed.parser.header();
  EXPECT_FALSE(header.local);
  EXPECT_EQ(formatProxyAddress(header.source), "192.168.0.1:56324");
  EXPECT_EQ(formatProxyAddress(header.destination), "192.168.0.11:443");
  EXPECT_EQ(header.alpn, "h2");
  EXPECT_EQ(header.authority, "example.com");
  ASSERT_TRUE(header.tls.has_value());
  EXPECT_TRUE(header.tls->client_ssl);
  EXPECT_TRUE(header.tls->client_cert_conn);
  EXPECT_FALSE(header.tls->client_cert_session);
  EXPECT_TRUE(header.tls->verified);
  EXPECT_EQ(header.tls->version, "TLSv1.3");
  EXPECT_EQ(header.tls->client_cn, "alice");
  EXPECT_EQ(header.tls->cipher, "TLS_AES_128_GCM_SHA256");
  EXPECT_TRUE(header.unique_id.empty());
  EXPECT_TRUE(header == test::ipv4WithTlvsHeader());
  EXPECT_EQ(parsed.left, "\x16\x03\x01");  // the ClientHello that follows stays
}

TEST(ProxyHeaderParserTest, TakesAHeaderOneByteAtATime) {
  const ProxyHeader v2 = parseByteByByte(bytes(test::kIpv4WithTlvs), "\x16\x03\x01\x02\x00");
  EXPECT_TRUE(v2 == test::ipv4WithTlvsHeader());

  const ProxyHeader v1 =
      parseByteByByte("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "\x16\x03");
  EXPECT_EQ(formatProxyAddress(v1.source), "192.168.0.1:56324");

  EXPECT_TRUE(parseByteByByte("PROXY UNKNOWN\r\n", "after").local);
}

TEST(ProxyHeaderParserTest, ReadsALocalHeaderAndSkipsAnyAddressesItCarries) {
  Parsed plain = parseAll(bytes(test::kLocal) + "next");
  ASSERT_TRUE(plain.result.isDone()) << plain.result.reason;
  EXPECT_TRUE(plain.parser.header().local);
  EXPECT_EQ(plain.parser.header().source.ss_family, AF_UNSPEC);
  EXPECT_EQ(plain.left, "next");

  // The spec: receivers must always skip `len` bytes and not assume zero
  // for LOCAL; the family is ignored, even DGRAM.
  Parsed with_addresses =
      parseAll(v2(0x20, 0x12, kIpv4Block + tlv(kPp2TypeUniqueId, "id-1")) + "x");
  ASSERT_TRUE(with_addresses.result.isDone()) << with_addresses.result.reason;
  EXPECT_TRUE(with_addresses.parser.header().local);
  EXPECT_EQ(with_addresses.parser.header().source.ss_family, AF_UNSPEC);
  EXPECT_EQ(with_addresses.parser.header().unique_id, "id-1");
  EXPECT_EQ(with_addresses.left, "x");

  Parsed odd_family = parseAll(v2(0x20, 0x77, "whatever") + "x");
  ASSERT_TRUE(odd_family.result.isDone()) << odd_family.result.reason;
  EXPECT_TRUE(odd_family.parser.header().local);
  EXPECT_EQ(odd_family.left, "x");
}

TEST(ProxyHeaderParserTest, ReadsAProxyCommandForAnUnspecifiedFamilyAsNoAddresses) {
  Parsed parsed = parseAll(v2(0x21, 0x00, tlv(kPp2TypeAuthority, "a.example")));
  ASSERT_TRUE(parsed.result.isDone()) << parsed.result.reason;
  EXPECT_FALSE(parsed.parser.header().local);
  EXPECT_EQ(parsed.parser.header().source.ss_family, AF_UNSPEC);
  EXPECT_EQ(parsed.parser.header().authority, "a.example");
}

TEST(ProxyHeaderParserTest, ReadsIpv6AndUnixAddresses) {
  std::string ipv6(36, '\0');
  ipv6[15] = 1;     // ::1
  ipv6[16] = 0x20;  // 2001:db8::2
  ipv6[17] = 0x01;
  ipv6[18] = 0x0D;
  ipv6[19] = static_cast<char>(0xB8);
  ipv6[31] = 2;
  ipv6[33] = 80;    // source port 80
  ipv6[34] = 0x01;  // destination port 443
  ipv6[35] = static_cast<char>(0xBB);
  Parsed inet6 = parseAll(v2(0x21, 0x21, ipv6));
  ASSERT_TRUE(inet6.result.isDone()) << inet6.result.reason;
  EXPECT_EQ(formatProxyAddress(inet6.parser.header().source), "[::1]:80");
  EXPECT_EQ(formatProxyAddress(inet6.parser.header().destination), "[2001:db8::2]:443");

  std::string paths(216, '\0');
  paths.replace(0, 13, "/run/lb.sock\0", 13);
  paths.replace(108, 8, "\0backend", 8);
  Parsed unix_stream = parseAll(v2(0x21, 0x31, paths));
  ASSERT_TRUE(unix_stream.result.isDone()) << unix_stream.result.reason;
  EXPECT_EQ(formatProxyAddress(unix_stream.parser.header().source), "unix:/run/lb.sock");
  EXPECT_EQ(formatProxyAddress(unix_stream.parser.header().destination), "unix:@backend");
}

TEST(ProxyHeaderParserTest, SkipsTlvsItDoesNotUseAndTakesTheClientCertificate) {
  const std::string ssl = std::string("\x01\x00\x00\x00\x01", 5) + tlv(0x2F, "future") +
                          tlv(kPp2SubtypeSslKeyAlg, "RSA2048") +
                          tlv(kPp2SubtypeSslSigAlg, "SHA256");
  const std::string body = kIpv4Block + tlv(kPp2TypeNoop, std::string(7, '\0')) +
                           tlv(kPp2TypeNetns, "blue") + tlv(0xF0, "experiment") +
                           tlv(kPp2TypeSsl, ssl) + tlv(kPp2TypeClientCert, "\x30\x82 DER") +
                           tlv(kPp2TypeUniqueId, std::string(128, 'u'));
  Parsed parsed = parseAll(v2(0x21, 0x11, body));
  ASSERT_TRUE(parsed.result.isDone()) << parsed.result.reason;
  const ProxyHeader& header = parsed.parser.header();
  ASSERT_TRUE(header.tls.has_value());
  EXPECT_FALSE(header.tls->verified);
  EXPECT_FALSE(header.tls->client_cert_conn);
  EXPECT_EQ(header.tls->key_alg, "RSA2048");
  EXPECT_EQ(header.tls->sig_alg, "SHA256");
  EXPECT_TRUE(header.tls->version.empty());
  EXPECT_EQ(header.client_cert_der, "\x30\x82 DER");
  EXPECT_EQ(header.unique_id, std::string(128, 'u'));
  EXPECT_TRUE(parsed.left.empty());
}

TEST(ProxyHeaderParserTest, AcceptsAHeaderOfExactlyTheLimit) {
  const std::string header = v2(0x21, 0x11, kIpv4Block + tlv(kPp2TypeNoop, std::string(68, 'n')));
  ASSERT_EQ(header.size(), 99U);
  EXPECT_TRUE(parseAll(header, 99).result.isDone());
  EXPECT_TRUE(parseAll(header, 98).result.isFailed());
}

// Each failure: the input, and words its reason must contain.
struct Failure {
  const char* name;
  std::string input;
  std::string reason;
};

// NOLINTNEXTLINE(readability-identifier-naming): the name gtest looks for
void PrintTo(const Failure& failure, std::ostream* os) {
  *os << failure.name;
}

class ProxyHeaderFailureTest : public testing::TestWithParam<Failure> {};

TEST_P(ProxyHeaderFailureTest, FailsWithASpecificReasonAndConsumesNothing) {
  const Failure& failure = GetParam();
  BufferPool pool(64);
  ByteQueue in(pool);
  put(in, failure.input);
  ProxyHeaderParser parser;
  StepResult result = parser.parse(in);
  ASSERT_EQ(result.status, StepStatus::failed) << failure.name;
  EXPECT_NE(result.reason.find(failure.reason), std::string::npos)
      << failure.name << ": the reason was: " << result.reason;
  EXPECT_EQ(in.size(), failure.input.size());
  // A failed parser stays failed.
  put(in, "PROXY UNKNOWN\r\n");
  EXPECT_EQ(parser.parse(in).reason, result.reason);
}

std::string withCrc(std::uint8_t version_command, std::uint8_t family_protocol,
                    const std::string& body) {
  std::string header =
      v2(version_command, family_protocol, body + tlv(kPp2TypeCrc32c, std::string(4, '\0')));
  const std::uint32_t crc =
      crc32c({reinterpret_cast<const std::uint8_t*>(header.data()), header.size()});
  for (int i = 0; i < 4; ++i) {
    header[header.size() - 4 + static_cast<std::size_t>(i)] =
        static_cast<char>(crc >> (24 - 8 * i));
  }
  return header;
}

std::string damaged(std::string header, std::size_t at) {
  header[at] = static_cast<char>(header[at] ^ 0x20);
  return header;
}

const std::string kClientHelloStart("\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03", 11);

INSTANTIATE_TEST_SUITE_P(
    Reasons, ProxyHeaderFailureTest,
    testing::Values(
        Failure{"tls_client_hello", kClientHelloStart,
                "the client sent a TLS ClientHello where a PROXY header was expected: is the "
                "load balancer set to send PROXY protocol (send-proxy / send-proxy-v2)?"},
        Failure{"http", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
                "the client sent HTTP (\"GET / HTTP/1.1\\r\\nHost: ex...\") where a PROXY header "
                "was expected"},
        Failure{"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "the client sent HTTP"},
        Failure{"ssh", "SSH-2.0-OpenSSH_9.2\r\n", "an SSH banner"},
        Failure{"one_wrong_byte", "X",
                "the client sent \"X\", which is not a PROXY v1 or v2 header"},
        Failure{"binary", std::string("\x00\xFF\x10", 3), "00 ff 10, which is not a PROXY"},
        Failure{"lower_case_v1", "proxy TCP4", "not a PROXY v1 or v2 header"},
        Failure{"no_space_after_proxy", "PROXY\r\n", "exactly one space after \"PROXY\""},
        Failure{"bad_signature_early", std::string("\r\n\r\n\x01", 5),
                "which is not a PROXY v2 signature"},
        Failure{"bad_signature_late", std::string("\r\n\r\n\0\r\nQUIT\r", 12),
                "which is not a PROXY v2 signature"},
        Failure{"bad_version", v2(0x11, 0x11, kIpv4Block),
                "the PROXY v2 header has version 1 (byte 13 is 0x11); the spec defines only "
                "version 2"},
        Failure{"bad_command", v2(0x22, 0x11, kIpv4Block),
                "command 2; the spec defines only LOCAL (0) and PROXY (1)"},
        Failure{"dgram", v2(0x21, 0x12, kIpv4Block),
                "the PROXY v2 header is for a datagram (DGRAM) connection; tlsgate relays "
                "streams only"},
        Failure{"unix_dgram", v2(0x21, 0x32, std::string(216, '\0')), "DGRAM"},
        Failure{"bad_family", v2(0x21, 0x41, kIpv4Block), "address family 4"},
        Failure{"bad_transport", v2(0x21, 0x13, kIpv4Block), "transport protocol 3"},
        Failure{"unlisted_pair", v2(0x21, 0x10, kIpv4Block),
                "family and protocol byte 0x10 is not one of the pairs the spec lists"},
        Failure{"truncated_ipv4_block", v2(0x21, 0x11, kIpv4Block.substr(0, 8)),
                "address block is cut short: 8 bytes follow the fixed part, but AF_INET "
                "addresses need 12"},
        // Fails on the fixed 16 bytes alone, before the promised bytes arrive.
        Failure{"truncated_ipv6_block", v2(0x21, 0x21, std::string(35, '\0')).substr(0, 16),
                "AF_INET6 addresses need 36"},
        Failure{"truncated_unix_block", v2(0x21, 0x31, std::string(108, '\0')),
                "AF_UNIX addresses need 216"},
        Failure{"overrunning_tlv",
                v2(0x21, 0x11, kIpv4Block + std::string("\x02\x01\x2C", 3) + "example.com"),
                "the PROXY v2 TLV of type 0x02 at byte 28 says it holds 300 bytes, but only 11 "
                "are left in the header"},
        Failure{"stray_bytes",
                v2(0x21, 0x11, kIpv4Block + tlv(kPp2TypeAlpn, "h2") + std::string("\x01\x00", 2)),
                "the PROXY v2 header ends with 2 bytes at byte 33, too few for a TLV (3 bytes at "
                "least)"},
        Failure{"short_ssl_tlv",
                v2(0x21, 0x11, kIpv4Block + tlv(kPp2TypeSsl, std::string("\x01\x00", 2))),
                "the PROXY v2 SSL TLV holds 2 bytes, too few for its client and verify fields"},
        Failure{
            "overrunning_ssl_sub_tlv",
            v2(0x21, 0x11,
               kIpv4Block + tlv(kPp2TypeSsl, std::string("\x01\0\0\0\0\x21\x00\x09TLSv1.3", 15))),
            "the PROXY v2 SSL sub-TLV of type 0x21 at byte 36 says it holds 9 bytes, but only "
            "7 are left in the SSL TLV"},
        Failure{"bad_crc", damaged(bytes(test::kIpv4WithTlvs), 40),
                "the PROXY v2 header's CRC32C is 0x49296e03 but its bytes give 0x"},
        Failure{"bad_crc_local", damaged(bytes(test::kLocal), 22), "CRC32C is 0xa9b87eaf"},
        Failure{"crc_of_three_bytes", v2(0x21, 0x11, kIpv4Block + tlv(kPp2TypeCrc32c, "abc")),
                "the PROXY v2 CRC32C TLV holds 3 bytes instead of 4"},
        Failure{"two_crcs",
                withCrc(0x21, 0x11, kIpv4Block + tlv(kPp2TypeCrc32c, std::string(4, '\0'))),
                "two CRC32C TLVs"},
        Failure{"long_unique_id",
                withCrc(0x21, 0x11, kIpv4Block + tlv(kPp2TypeUniqueId, std::string(129, 'u'))),
                "the PROXY v2 UNIQUE_ID TLV holds 129 bytes; the spec allows at most 128"},
        // Refused on the fixed 16 bytes: nothing more needs to arrive.
        Failure{"oversized", v2(0x21, 0x11, std::string(5000, '\0')).substr(0, 16),
                "the PROXY v2 header is 5016 bytes, over this listener's limit of 4096"},
        Failure{"v1_too_long", "PROXY TCP4 " + std::string(120, '1'),
                "the PROXY v1 header has no CRLF in its first 107 bytes (\"PROXY TCP4 111"},
        Failure{"v1_crlf_at_108", "PROXY UNKNOWN " + std::string(92, 'f') + "\r\n",
                "no CRLF in its first 107 bytes"},
        Failure{"v1_bare_lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
                "the PROXY v1 header ends in a bare LF at byte 31; the spec requires CRLF"},
        Failure{"v1_bare_cr", "PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n", "a CR without LF at byte 19"},
        Failure{"v1_unknown_protocol", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
                "the PROXY v1 header names protocol \"UDP4\"; only TCP4, TCP6 and UNKNOWN exist"},
        Failure{"v1_unknown_glued", "PROXY UNKNOWNX\r\n", "names protocol \"UNKNOWNX\""},
        Failure{"v1_empty", "PROXY \r\n", "names protocol \"\""},
        Failure{"v1_double_space", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",
                "fields must be separated by single spaces: \"TCP4 1.2.3.4  5.6.7.8 1 2\""},
        Failure{"v1_trailing_space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", "single spaces"},
        Failure{"v1_missing_port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
                "needs the protocol, then source and destination addresses and ports"},
        Failure{"v1_extra_field", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
                "needs the protocol, then source"},
        Failure{"v1_bad_ipv4", "PROXY TCP4 192.168.0.256 192.168.0.11 56324 443\r\n",
                "the PROXY v1 source address \"192.168.0.256\" is not an IPv4 address in dotted "
                "decimal, as TCP4 needs"},
        Failure{"v1_ipv4_leading_zero", "PROXY TCP4 192.168.0.1 192.168.010.11 56324 443\r\n",
                "destination address \"192.168.010.11\" is not an IPv4 address"},
        Failure{"v1_ipv4_three_parts", "PROXY TCP4 192.168.1 192.168.0.11 56324 443\r\n",
                "source address \"192.168.1\""},
        Failure{"v1_ipv4_five_parts", "PROXY TCP4 1.2.3.4.5 192.168.0.11 56324 443\r\n",
                "source address \"1.2.3.4.5\""},
        Failure{"v1_ipv6_for_tcp4", "PROXY TCP4 ::1 192.168.0.11 56324 443\r\n",
                "source address \"::1\" is not an IPv4 address"},
        Failure{"v1_ipv4_for_tcp6", "PROXY TCP6 ::1 192.168.0.11 56324 443\r\n",
                "destination address \"192.168.0.11\" is not an IPv6 address, as TCP6 needs"},
        Failure{"v1_ipv6_zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
                "source address \"fe80::1%eth0\" is not an IPv6 address"},
        Failure{"v1_ipv6_two_gaps", "PROXY TCP6 1::2::3 ::1 1 2\r\n", "\"1::2::3\""},
        Failure{"v1_port_too_big", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 443\r\n",
                "the PROXY v1 source port \"65536\" is not a decimal number 0-65535 without "
                "leading zeros"},
        Failure{"v1_port_leading_zero", "PROXY TCP4 1.2.3.4 5.6.7.8 1 0443\r\n",
                "destination port \"0443\""},
        Failure{"v1_port_plus", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 443\r\n", "source port \"+1\""},
        Failure{"v1_port_hex", "PROXY TCP4 1.2.3.4 5.6.7.8 0x1 443\r\n", "source port \"0x1\""}),
    [](const testing::TestParamInfo<Failure>& param) { return std::string(param.param.name); });

TEST(ProxyHeaderParserTest, RefusesAV1LineLongerThanASmallerLimit) {
  Parsed parsed = parseAll("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", 20);
  ASSERT_TRUE(parsed.result.isFailed());
  EXPECT_NE(parsed.result.reason.find("no CRLF in its first 20 bytes"), std::string::npos)
      << parsed.result.reason;
}

TEST(ProxyHeaderParserTest, WaitsForAPartialV1LineOrSignatureWithoutFailing) {
  for (std::string_view partial :
       {"P", "PROXY", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", "\r\n\r\n\0\r\nQUI"}) {
    Parsed parsed = parseAll(partial);
    EXPECT_EQ(parsed.result.status, StepStatus::need_input)
        << partial << ": " << parsed.result.reason;
  }
}

TEST(ProxyHeaderParserTest, AnswersAgainWithoutConsumingOnceDone) {
  BufferPool pool(64);
  ByteQueue in(pool);
  put(in, "PROXY UNKNOWN\r\nPROXY UNKNOWN\r\n");
  ProxyHeaderParser parser;
  ASSERT_TRUE(parser.parse(in).isDone());
  EXPECT_EQ(in.size(), 15U);
  EXPECT_TRUE(parser.parse(in).isDone());
  EXPECT_EQ(in.size(), 15U);  // the second header belongs to whatever comes next
}

}  // namespace
}  // namespace tlsgate
