#include "protocol/proxy_header_writer.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/proxy_header_parser.h"
#include "proxy_header_vectors.h"
#include "test_bytes.h"

namespace tlsgate {
namespace {

using test::contents;
using test::ipv4;
using test::ipv6;
using test::put;
using test::unixPath;

std::string writeV1(const ProxyHeader& header) {
  BufferPool pool(64);
  ByteQueue out(pool);
  writeProxyHeaderV1(header, out);
  return contents(out);
}

std::string writeV2(const ProxyHeader& header) {
  BufferPool pool(64);
  ByteQueue out(pool);
  writeProxyHeaderV2(header, out);
  return contents(out);
}

// Parses `bytes` followed by a marker and expects all of the header, and
// only the header, to be taken.
ProxyHeader reparse(const std::string& bytes, int version,
                    std::size_t max_bytes = kProxyV2MaxBytes) {
  BufferPool pool(64);
  ByteQueue in(pool);
  put(in, bytes);
  put(in, "\x16\x03\x01");
  ProxyHeaderParser parser(max_bytes);
  StepResult result = parser.parse(in);
  EXPECT_TRUE(result.isDone()) << result.reason;
  EXPECT_EQ(parser.version(), version);
  EXPECT_EQ(contents(in), "\x16\x03\x01");
  return parser.header();
}

TEST(ProxyHeaderWriterTest, WritesTheHandWrittenV2VectorExactly) {
  EXPECT_EQ(writeV2(test::ipv4WithTlvsHeader()), test::text(test::kIpv4WithTlvs));
}

TEST(ProxyHeaderWriterTest, WritesALocalV2HeaderWithNoAddresses) {
  ProxyHeader local;
  local.local = true;
  // Addresses given with LOCAL are not sent: LOCAL means there are none.
  local.source = ipv4("10.0.0.1", 1);
  local.destination = ipv4("10.0.0.2", 2);
  EXPECT_EQ(writeV2(local), test::text(test::kLocal));
}

TEST(ProxyHeaderWriterTest, WritesV1Lines) {
  ProxyHeader tcp4;
  tcp4.source = ipv4("192.168.0.1", 56324);
  tcp4.destination = ipv4("192.168.0.11", 443);
  EXPECT_EQ(writeV1(tcp4), "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");

  ProxyHeader tcp6;
  tcp6.source = ipv6("2001:db8::1", 0);
  tcp6.destination = ipv6("::ffff:192.0.2.7", 65535);
  EXPECT_EQ(writeV1(tcp6), "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.7 0 65535\r\n");
}

TEST(ProxyHeaderWriterTest, WritesV1UnknownWhenTheAddressesCannotBeSaid) {
  ProxyHeader local;
  local.local = true;
  local.source = ipv4("10.0.0.1", 1);
  local.destination = ipv4("10.0.0.2", 2);
  EXPECT_EQ(writeV1(local), "PROXY UNKNOWN\r\n");

  ProxyHeader mixed;
  mixed.source = ipv4("10.0.0.1", 1);
  mixed.destination = ipv6("::1", 2);
  EXPECT_EQ(writeV1(mixed), "PROXY UNKNOWN\r\n");

  ProxyHeader unix_socket;
  unix_socket.source = unixPath("/run/a.sock");
  unix_socket.destination = unixPath("/run/b.sock");
  EXPECT_EQ(writeV1(unix_socket), "PROXY UNKNOWN\r\n");

  EXPECT_EQ(writeV1(ProxyHeader{}), "PROXY UNKNOWN\r\n");
}

TEST(ProxyHeaderWriterTest, V2MixedFamiliesGoAsUnspec) {
  ProxyHeader mixed;
  mixed.source = ipv4("10.0.0.1", 1);
  mixed.destination = ipv6("::1", 2);
  const std::string bytes = writeV2(mixed);
  EXPECT_EQ(bytes.substr(12, 2), std::string("\x21\x00", 2));
  const ProxyHeader back = reparse(bytes, 2);
  EXPECT_FALSE(back.local);
  EXPECT_EQ(back.source.ss_family, AF_UNSPEC);
}

ProxyHeader everything(sockaddr_storage source, sockaddr_storage destination) {
  ProxyHeader header;
  header.source = source;
  header.destination = destination;
  header.alpn = "http/1.1";
  header.authority = "api.example.com";
  header.unique_id = std::string("\x00\x01id", 4);
  ProxyTlsInfo tls;
  tls.client_cert_conn = true;
  tls.client_cert_session = true;
  tls.verified = false;
  tls.version = "TLSv1.2";
  tls.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
  tls.client_cn = "client.example.com";
  tls.sig_alg = "RSA-SHA256";
  tls.key_alg = "RSA2048";
  header.tls = tls;
  header.client_cert_der = std::string("\x30\x82\x01\x0a", 4) + std::string(300, 'c');
  return header;
}

struct RoundTrip {
  const char* name;
  ProxyHeader header;
};

// NOLINTNEXTLINE(readability-identifier-naming): the name gtest looks for
void PrintTo(const RoundTrip& trip, std::ostream* os) {
  *os << trip.name;
}

class ProxyHeaderRoundTripTest : public testing::TestWithParam<RoundTrip> {};

TEST_P(ProxyHeaderRoundTripTest, V2GivesBackEveryField) {
  const ProxyHeader& header = GetParam().header;
  const ProxyHeader back = reparse(writeV2(header), 2);
  EXPECT_TRUE(back == header) << formatProxyAddress(back.source) << " "
                              << formatProxyAddress(back.destination);
}

TEST_P(ProxyHeaderRoundTripTest, V1GivesBackTheAddressesItCanCarry) {
  const ProxyHeader& header = GetParam().header;
  const ProxyHeader back = reparse(writeV1(header), 1);
  const int family = header.source.ss_family;
  if (header.local || (family != AF_INET && family != AF_INET6)) {
    EXPECT_TRUE(back.local);
    EXPECT_EQ(back.source.ss_family, AF_UNSPEC);
    return;
  }
  ProxyHeader addresses_only;
  addresses_only.source = header.source;
  addresses_only.destination = header.destination;
  EXPECT_TRUE(back == addresses_only) << formatProxyAddress(back.source);
}

ProxyHeader localHeader() {
  ProxyHeader header = everything({}, {});
  header.local = true;
  return header;
}

INSTANTIATE_TEST_SUITE_P(
    Families, ProxyHeaderRoundTripTest,
    testing::Values(
        RoundTrip{"ipv4", everything(ipv4("203.0.113.9", 40000), ipv4("198.51.100.1", 8443))},
        RoundTrip{"ipv4_bare",
                  [] {
                    ProxyHeader header;
                    header.source = ipv4("0.0.0.0", 0);
                    header.destination = ipv4("255.255.255.255", 65535);
                    return header;
                  }()},
        RoundTrip{"ipv6", everything(ipv6("2001:db8::5", 1234), ipv6("2001:db8:ffff::1", 443))},
        RoundTrip{"ipv6_mapped", everything(ipv6("::ffff:10.1.2.3", 1), ipv6("::1", 2))},
        RoundTrip{"unix", everything(unixPath("/run/haproxy/front.sock"),
                                     unixPath(std::string("\0abstract", 9)))},
        RoundTrip{"local", localHeader()}),
    [](const testing::TestParamInfo<RoundTrip>& param) { return std::string(param.param.name); });

TEST(ProxyHeaderWriterTest, AClientCertificateNeedsALargerParserLimit) {
  ProxyHeader header = everything(ipv4("10.0.0.1", 1), ipv4("10.0.0.2", 2));
  header.client_cert_der = std::string(6000, 'c');
  const std::string bytes = writeV2(header);
  BufferPool pool(64);
  ByteQueue in(pool);
  put(in, bytes);
  ProxyHeaderParser small;
  EXPECT_TRUE(small.parse(in).isFailed());
  EXPECT_TRUE(reparse(bytes, 2, 8192) == header);
}

TEST(ProxyHeaderWriterTest, LeavesOutWhatReceiversWouldRefuse) {
  ProxyHeader header = everything(ipv4("10.0.0.1", 1), ipv4("10.0.0.2", 2));
  header.unique_id = std::string(129, 'u');          // over the spec's 128
  header.client_cert_der = std::string(70000, 'c');  // past the 16-bit length
  const std::string bytes = writeV2(header);
  EXPECT_LT(bytes.size(), 1000U);
  const ProxyHeader back = reparse(bytes, 2);
  EXPECT_TRUE(back.unique_id.empty());
  EXPECT_TRUE(back.client_cert_der.empty());
  EXPECT_EQ(back.authority, header.authority);
  EXPECT_TRUE(back.tls == header.tls);

  // The largest certificate that still fits is sent, and the header is
  // exactly as long as the length field can say.
  header.unique_id.clear();
  header.client_cert_der = std::string(65535, 'c');
  const std::size_t without_cert = writeV2([&] {
                                     ProxyHeader copy = header;
                                     copy.client_cert_der.clear();
                                     return copy;
                                   }())
                                       .size();
  header.client_cert_der.resize(kProxyV2MaxBytes - without_cert - 3);
  const std::string largest = writeV2(header);
  EXPECT_EQ(largest.size(), kProxyV2MaxBytes);
  EXPECT_TRUE(reparse(largest, 2) == header);
}

TEST(ProxyHeaderWriterTest, AppendsAfterWhatIsAlreadyQueued) {
  BufferPool pool(16);
  ByteQueue out(pool);
  put(out, "before|");
  writeProxyHeaderV1(ProxyHeader{}, out);
  EXPECT_EQ(contents(out), "before|PROXY UNKNOWN\r\n");
}

}  // namespace
}  // namespace tlsgate
