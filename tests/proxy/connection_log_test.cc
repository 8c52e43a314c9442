#include "proxy/connection_log.h"

#include <gtest/gtest.h>

namespace tlsgate {
namespace {

TEST(ConnectionLogTest, SuccessfulTlsConnection) {
  ConnectionRecord record;
  record.id = 7;
  record.listener = "web";
  record.client = "127.0.0.1:50312";
  record.backend = "127.0.0.1:8080";
  record.duration_s = 0.0125;
  record.bytes_up = 100;
  record.bytes_down = 2000;
  TlsSummary tls;
  tls.protocol = "TLSv1.3";
  tls.cipher = "TLS_AES_256_GCM_SHA384";
  tls.sni = "localhost";
  tls.peer = "CN=billing,O=Example Corp";
  tls.peer_sha256 = "AB12";
  record.accept_tls = tls;
  EXPECT_EQ(formatConnectionLine(record),
            "conn=7 listener=web generation=0 client=127.0.0.1:50312 backend=127.0.0.1:8080 "
            "duration=0.013s "
            "bytes_up=100 bytes_down=2000 accept.protocol=TLSv1.3 "
            "accept.cipher=TLS_AES_256_GCM_SHA384 accept.alpn=- accept.sni=localhost "
            "accept.resumed=no accept.peer=\"CN=billing,O=Example Corp\" accept.peer_sha256=AB12 "
            "outcome=ok");
}

TEST(ConnectionLogTest, FailureCarriesPhaseAndQuotedReason) {
  ConnectionRecord record;
  record.id = 1;
  record.listener = "web";
  record.client = "[::1]:4000";
  record.failed = true;
  record.phase = "handshake";
  record.reason = "peer spoke plaintext to a TLS port";
  TlsSummary tls;
  tls.close_notify = false;
  record.connect_tls = tls;
  std::string line = formatConnectionLine(record);
  EXPECT_NE(line.find(" backend=- "), std::string::npos) << line;
  EXPECT_NE(line.find("connect.close=\"peer closed without close_notify\""), std::string::npos);
  EXPECT_NE(line.find(" outcome=failed phase=handshake "
                      "reason=\"peer spoke plaintext to a TLS port\""),
            std::string::npos)
      << line;
}

TEST(ConnectionLogTest, QuotesAreEscaped) {
  ConnectionRecord record;
  record.failed = true;
  record.reason = R"(bad "name")";
  EXPECT_NE(formatConnectionLine(record).find(R"(reason="bad \"name\"")"), std::string::npos);
}

}  // namespace
}  // namespace tlsgate
