#include "admin/prometheus_text.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "admin/fixed_admin_source.h"

namespace tlsgate {
namespace {

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

bool hasLine(const std::string& text, const std::string& line) {
  for (const std::string& candidate : linesOf(text)) {
    if (candidate == line) {
      return true;
    }
  }
  return false;
}

#define EXPECT_LINE(text, line) EXPECT_TRUE(hasLine(text, line)) << "missing: " << (line)
#define EXPECT_NO_LINE_WITH(text, part) \
  EXPECT_EQ((text).find(part), std::string::npos) << "unexpected: " << (part)

std::string promtool() {
  for (const char* path : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (::access(path, X_OK) == 0) {
      return path;
    }
  }
  return {};
}

TEST(PrometheusTextTest, PassesPromtoolCheckMetrics) {
  const std::string tool = promtool();
  if (tool.empty()) {
    GTEST_SKIP() << "promtool is not installed (Debian package prometheus)";
  }
  char directory[] = "/tmp/tlsgate-promtool-XXXXXX";
  ASSERT_NE(::mkdtemp(directory), nullptr);
  const std::string input = std::string(directory) + "/metrics.txt";
  std::ofstream(input) << renderPrometheus(sampleMetrics());

  const std::string command = tool + " check metrics < " + input + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    output += buffer;
  }
  const int status = ::pclose(pipe);
  std::filesystem::remove_all(directory);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "");
}

TEST(PrometheusTextTest, EveryFamilyHasHelpAndTypeOnce) {
  const std::string text = renderPrometheus(sampleMetrics());
  std::map<std::string, int> types;
  std::map<std::string, int> helps;
  for (const std::string& line : linesOf(text)) {
    std::istringstream words(line);
    std::string hash;
    std::string keyword;
    std::string name;
    words >> hash >> keyword >> name;
    if (hash != "#") {
      continue;
    }
    (keyword == "TYPE" ? types : helps)[name]++;
  }
  for (const char* family : {
           "tlsgate_build_info",
           "tlsgate_start_time_seconds",
           "tlsgate_ready",
           "tlsgate_draining",
           "tlsgate_config_generation",
           "tlsgate_config_last_reload_successful",
           "tlsgate_config_last_reload_timestamp_seconds",
           "tlsgate_config_reloads_total",
           "tlsgate_connections_total",
           "tlsgate_connections_active",
           "tlsgate_handshakes_total",
           "tlsgate_handshake_failures_total",
           "tlsgate_tls_handshakes_in_progress",
           "tlsgate_tls_handshakes_limit",
           "tlsgate_handshake_duration_seconds",
           "tlsgate_session_resumptions_total",
           "tlsgate_bytes_total",
           "tlsgate_backend_connect_failures_total",
           "tlsgate_timeouts_total",
           "tlsgate_connections_dropped_total",
           "tlsgate_accept_errors_total",
           "tlsgate_certificate_expiry_seconds",
           "tlsgate_tls_record_layer_declined_total",
       }) {
    EXPECT_EQ(types[family], 1) << family;
    EXPECT_EQ(helps[family], 1) << family;
  }
  EXPECT_EQ(types.size(), 24U);
}

TEST(PrometheusTextTest, ProcessAndReloadGauges) {
  const std::string text = renderPrometheus(sampleMetrics());
  EXPECT_LINE(text, std::string("tlsgate_build_info{version=\"0.1.0\",openssl=\"") +
                        OpenSSL_version(OPENSSL_VERSION_STRING) + "\",libuv=\"" +
                        uv_version_string() + "\"} 1");
  EXPECT_LINE(text, "# TYPE tlsgate_build_info gauge");
  EXPECT_LINE(text, "tlsgate_start_time_seconds 1700000000");
  EXPECT_LINE(text, "tlsgate_ready 1");
  EXPECT_LINE(text, "tlsgate_draining 0");
  EXPECT_LINE(text, "tlsgate_config_generation 3");
  EXPECT_LINE(text, "tlsgate_config_last_reload_successful 0");
  EXPECT_LINE(text, "tlsgate_config_last_reload_timestamp_seconds 1700003000");
  EXPECT_LINE(text, "tlsgate_config_reloads_total{result=\"success\"} 2");
  EXPECT_LINE(text, "tlsgate_config_reloads_total{result=\"failure\"} 1");
  EXPECT_LINE(text, "# TYPE tlsgate_config_reloads_total counter");
}

TEST(PrometheusTextTest, ListenerCounters) {
  const std::string text = renderPrometheus(sampleMetrics());
  EXPECT_LINE(text, "tlsgate_connections_total{listener=\"web\"} 10");
  EXPECT_LINE(text, "tlsgate_connections_active{listener=\"web\"} 2");
  EXPECT_LINE(text, "tlsgate_connections_total{listener=\"old\"} 5");
  EXPECT_LINE(text, "tlsgate_bytes_total{listener=\"web\",direction=\"client_to_backend\"} 1000");
  EXPECT_LINE(text, "tlsgate_bytes_total{listener=\"web\",direction=\"backend_to_client\"} 250000");
  EXPECT_LINE(text, "tlsgate_backend_connect_failures_total{listener=\"web\"} 1");
  EXPECT_LINE(text, "tlsgate_timeouts_total{listener=\"web\",kind=\"idle\"} 4");
  EXPECT_LINE(text, "tlsgate_timeouts_total{listener=\"web\",kind=\"handshake\"} 0");
  EXPECT_LINE(text, "tlsgate_timeouts_total{listener=\"origin\",kind=\"drain\"} 0");
  EXPECT_LINE(text, "tlsgate_connections_dropped_total{listener=\"web\"} 2");
  EXPECT_LINE(text, "tlsgate_accept_errors_total{listener=\"web\"} 1");
}

TEST(PrometheusTextTest, HandshakesByResultAndReason) {
  const std::string text = renderPrometheus(sampleMetrics());
  EXPECT_LINE(text, "tlsgate_handshakes_total{listener=\"web\",side=\"accept\",result=\"ok\"} 8");
  EXPECT_LINE(text,
              "tlsgate_handshakes_total{listener=\"web\",side=\"accept\",result=\"failed\"} 2");
  EXPECT_LINE(
      text, "tlsgate_handshake_failures_total{listener=\"web\",side=\"accept\",reason=\"alpn\"} 1");
  EXPECT_LINE(
      text,
      "tlsgate_handshake_failures_total{listener=\"web\",side=\"accept\",reason=\"timeout\"} 1");
  EXPECT_LINE(
      text,
      "tlsgate_handshake_failures_total{listener=\"web\",side=\"accept\",reason=\"other\"} 0");
  EXPECT_LINE(text, "tlsgate_session_resumptions_total{listener=\"web\",side=\"accept\"} 3");
}

TEST(PrometheusTextTest, TlsSidesAppearWhenConfiguredOrCounted) {
  const std::string text = renderPrometheus(sampleMetrics());
  // web terminates: no connect side.
  EXPECT_NO_LINE_WITH(text, "listener=\"web\",side=\"connect\"");
  // origin originates: a connect side with zeros, no accept side.
  EXPECT_LINE(text,
              "tlsgate_handshakes_total{listener=\"origin\",side=\"connect\",result=\"ok\"} 0");
  EXPECT_NO_LINE_WITH(text, "listener=\"origin\",side=\"accept\"");
  // old is no longer configured, but its accept side has counts.
  EXPECT_LINE(text, "tlsgate_handshakes_total{listener=\"old\",side=\"accept\",result=\"ok\"} 5");
  EXPECT_NO_LINE_WITH(text, "listener=\"old\",side=\"connect\"");
}

TEST(PrometheusTextTest, HandshakesInProgressBesideTheirLimit) {
  const std::string text = renderPrometheus(sampleMetrics());
  EXPECT_LINE(text, "# TYPE tlsgate_tls_handshakes_in_progress gauge");
  EXPECT_LINE(text, "tlsgate_tls_handshakes_in_progress 5");
  EXPECT_LINE(text, "# TYPE tlsgate_tls_handshakes_limit gauge");
  EXPECT_LINE(text, "tlsgate_tls_handshakes_limit 2048");
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulative) {
  const std::string text = renderPrometheus(sampleMetrics());
  const std::string series =
      "tlsgate_handshake_duration_seconds_bucket{listener=\"web\",side=\"accept\",le=";
  EXPECT_LINE(text, series + "\"0.001\"} 2");
  EXPECT_LINE(text, series + "\"0.0025\"} 2");
  EXPECT_LINE(text, series + "\"0.005\"} 2");
  EXPECT_LINE(text, series + "\"0.01\"} 7");
  EXPECT_LINE(text, series + "\"1\"} 7");
  EXPECT_LINE(text, series + "\"5\"} 7");
  EXPECT_LINE(text, series + "\"+Inf\"} 8");
  EXPECT_LINE(text,
              "tlsgate_handshake_duration_seconds_sum{listener=\"web\",side=\"accept\"} "
              "6.234567");
  EXPECT_LINE(text, "tlsgate_handshake_duration_seconds_count{listener=\"web\",side=\"accept\"} 8");
  EXPECT_LINE(text, "# TYPE tlsgate_handshake_duration_seconds histogram");
}

TEST(PrometheusTextTest, InfBucketEqualsCountEvenWhenTheCountersDisagree) {
  MetricsSnapshot metrics = sampleMetrics();
  // A handshake ended between reading the buckets and reading the count.
  metrics.listeners.at(0).accept.duration_count = 9;
  const std::string text = renderPrometheus(metrics);
  EXPECT_LINE(text,
              "tlsgate_handshake_duration_seconds_bucket{listener=\"web\",side=\"accept\","
              "le=\"+Inf\"} 8");
  EXPECT_LINE(text, "tlsgate_handshake_duration_seconds_count{listener=\"web\",side=\"accept\"} 8");
}

TEST(PrometheusTextTest, EscapesLabelValues) {
  MetricsSnapshot metrics;
  metrics.status.version = "0.1.0";
  ListenerTotals& odd = metrics.listeners.emplace_back();
  odd.name = "a\"b\\c\nd";
  odd.connections_total = 1;
  metrics.certificates.push_back({"a\"b\\c\nd", "CN=\"quoted\", O=back\\slash", "ff", 100});
  metrics.now_unix = 40;
  const std::string text = renderPrometheus(metrics);
  EXPECT_LINE(text, "tlsgate_connections_total{listener=\"a\\\"b\\\\c\\nd\"} 1");
  EXPECT_LINE(text,
              "tlsgate_certificate_expiry_seconds{listener=\"a\\\"b\\\\c\\nd\",subject=\"CN="
              "\\\"quoted\\\", O=back\\\\slash\",sha256=\"ff\"} 60");
}

TEST(PrometheusTextTest, CertificateExpiryCountsDownAndGoesNegative) {
  const std::string text = renderPrometheus(sampleMetrics());
  EXPECT_LINE(text,
              "tlsgate_certificate_expiry_seconds{listener=\"web\",subject=\"CN=web.example\","
              "sha256=\"ab12\"} 86400");
  EXPECT_LINE(text,
              "tlsgate_certificate_expiry_seconds{listener=\"web\",subject=\"CN=old.example\","
              "sha256=\"cd34\"} -1000");
}

TEST(PrometheusTextTest, RecordLayerHandOversAndDeclinesAreCounted) {
  MetricsSnapshot metrics = sampleMetrics();
  metrics.record_layer_handovers.push_back({"web", 12});
  metrics.record_layer_declined.push_back({"web", "unsupported_suite", 3});
  metrics.record_layer_declined.push_back({"web", "key_update", 0});
  const std::string text = renderPrometheus(metrics);
  EXPECT_LINE(text, "tlsgate_tls_record_layer_handovers_total{listener=\"web\"} 12");
  EXPECT_LINE(
      text,
      "tlsgate_tls_record_layer_declined_total{listener=\"web\",reason=\"unsupported_suite\"} 3");
  EXPECT_LINE(text,
              "tlsgate_tls_record_layer_declined_total{listener=\"web\",reason=\"key_update\"} 0");
}

TEST(PrometheusTextTest, ACertificateListedTwiceIsOneSeries) {
  MetricsSnapshot metrics = sampleMetrics();
  metrics.certificates.push_back(metrics.certificates.front());
  const std::string text = renderPrometheus(metrics);
  EXPECT_EQ(text.find("sha256=\"ab12\""), text.rfind("sha256=\"ab12\""));
}

TEST(PrometheusTextTest, AnEmptySnapshotStillNamesEveryFamily) {
  const std::string text = renderPrometheus(MetricsSnapshot{});
  EXPECT_LINE(text, "# TYPE tlsgate_connections_total counter");
  EXPECT_LINE(text, "tlsgate_ready 0");
  EXPECT_LINE(text, "tlsgate_tls_handshakes_in_progress 0");
  EXPECT_NO_LINE_WITH(text, "listener=");
  EXPECT_EQ(text.back(), '\n');
}

}  // namespace
}  // namespace tlsgate
