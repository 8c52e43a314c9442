#include "admin/prometheus_text.h"

#include <openssl/crypto.h>
#include <uv.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "util/side.h"

namespace tlsgate {
namespace {

using Label = std::pair<std::string_view, std::string_view>;

// Label values escape backslash, double quote and newline (format 0.0.4).
void appendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
        break;
    }
  }
}

template <typename Integer>
void appendInteger(std::string& out, Integer value) {
  char buffer[24];
  auto [end, error] = std::to_chars(std::begin(buffer), std::end(buffer), value);
  out.append(buffer, end);
}

// The shortest text that reads back as the same double; Prometheus spells
// the special values +Inf, -Inf and NaN.
void appendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[32];
  auto [end, error] = std::to_chars(std::begin(buffer), std::end(buffer), value);
  out.append(buffer, end);
}

void appendValue(std::string& out, uint64_t value) {
  appendInteger(out, value);
}
void appendValue(std::string& out, int64_t value) {
  appendInteger(out, value);
}
void appendValue(std::string& out, double value) {
  appendDouble(out, value);
}

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <typename Number>
  void sample(std::string_view name, std::initializer_list<Label> labels, Number value) {
    out_ += name;
    if (labels.size() != 0) {
      out_ += '{';
      const char* separator = "";
      for (const auto& [key, label_value] : labels) {
        out_ += separator;
        out_ += key;
        out_ += "=\"";
        appendLabelValue(out_, label_value);
        out_ += '"';
        separator = ",";
      }
      out_ += '}';
    }
    out_ += ' ';
    appendValue(out_, value);
    out_ += '\n';
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

uint64_t flag(bool value) {
  return value ? 1 : 0;
}

// ---------------------------------------------------------------- process

void writeProcess(Exposition& out, const StatusSnapshot& status) {
  out.family("tlsgate_build_info", "gauge",
             "Always 1; the labels say which tlsgate, OpenSSL and libuv are running.");
  out.sample("tlsgate_build_info",
             {{"version", status.version},
              {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
              {"libuv", uv_version_string()}},
             uint64_t{1});

  out.family("tlsgate_start_time_seconds", "gauge",
             "When the process started, in seconds since the Unix epoch.");
  out.sample("tlsgate_start_time_seconds", {}, status.started_unix);

  out.family("tlsgate_ready", "gauge", "1 when every listener is bound and serving.");
  out.sample("tlsgate_ready", {}, flag(status.ready));

  out.family("tlsgate_draining", "gauge",
             "1 after SIGTERM or SIGINT, while live connections finish.");
  out.sample("tlsgate_draining", {}, flag(status.draining));
}

void writeReload(Exposition& out, const ReloadStatus& reload) {
  out.family("tlsgate_config_generation", "gauge",
             "The configuration in force; the one loaded at start is 1.");
  out.sample("tlsgate_config_generation", {}, reload.generation);

  out.family("tlsgate_config_last_reload_successful", "gauge",
             "1 when the last reload, or the start, loaded its configuration.");
  out.sample("tlsgate_config_last_reload_successful", {}, flag(reload.last_ok));

  out.family("tlsgate_config_last_reload_timestamp_seconds", "gauge",
             "When the configuration was last loaded or tried, in seconds since the Unix epoch.");
  out.sample("tlsgate_config_last_reload_timestamp_seconds", {}, reload.last_time_unix);

  out.family("tlsgate_config_reloads_total", "counter",
             "Reloads since the start, by result; the start itself is not counted.");
  out.sample("tlsgate_config_reloads_total", {{"result", "success"}}, reload.successes);
  out.sample("tlsgate_config_reloads_total", {{"result", "failure"}}, reload.failures);
}

// ---------------------------------------------------------------- listeners

// One TLS side of a listener, which labels its series with sideName().
struct SideSeries {
  Side side = Side::accept;
  const TlsSideTotals* totals = nullptr;
};

// One listener's counters and the TLS sides that get series.
struct ListenerRows {
  const ListenerTotals* totals = nullptr;
  std::vector<SideSeries> sides;
};

bool anyNonzero(const TlsSideTotals& side) {
  auto nonzero = [](uint64_t value) { return value != 0; };
  return side.handshakes != 0 || side.resumptions != 0 || side.duration_count != 0 ||
         side.duration_sum_microseconds != 0 ||
         std::any_of(side.failures.begin(), side.failures.end(), nonzero) ||
         std::any_of(side.duration_buckets.begin(), side.duration_buckets.end(), nonzero);
}

// A side has series when the config in force gives it TLS, or when it still
// holds counts from an earlier config: a counter must not vanish while its
// value is nonzero.
std::vector<ListenerRows> listenerRows(const MetricsSnapshot& snapshot) {
  std::vector<ListenerRows> rows;
  rows.reserve(snapshot.listeners.size());
  for (const ListenerTotals& totals : snapshot.listeners) {
    bool accept_tls = false;
    bool connect_tls = false;
    for (const ListenerStatus& status : snapshot.status.listeners) {
      if (status.name == totals.name) {
        accept_tls = status.accept_tls;
        connect_tls = status.connect_tls;
      }
    }
    ListenerRows& row = rows.emplace_back();
    row.totals = &totals;
    if (accept_tls || anyNonzero(totals.accept)) {
      row.sides.push_back({Side::accept, &totals.accept});
    }
    if (connect_tls || anyNonzero(totals.connect)) {
      row.sides.push_back({Side::connect, &totals.connect});
    }
  }
  return rows;
}

void writeConnections(Exposition& out, const std::vector<ListenerRows>& rows) {
  out.family("tlsgate_connections_total", "counter", "Connections accepted.");
  for (const ListenerRows& row : rows) {
    out.sample("tlsgate_connections_total", {{"listener", row.totals->name}},
               row.totals->connections_total);
  }
  out.family("tlsgate_connections_active", "gauge", "Connections open now.");
  for (const ListenerRows& row : rows) {
    out.sample("tlsgate_connections_active", {{"listener", row.totals->name}},
               row.totals->connections_active);
  }
}

uint64_t failureSum(const TlsSideTotals& side) {
  uint64_t sum = 0;
  for (uint64_t failures : side.failures) {
    sum += failures;
  }
  return sum;
}

void writeHandshakes(Exposition& out, const std::vector<ListenerRows>& rows) {
  out.family("tlsgate_handshakes_total", "counter", "TLS handshakes that ended, by result.");
  for (const ListenerRows& row : rows) {
    for (const SideSeries& side : row.sides) {
      const std::string& listener = row.totals->name;
      out.sample("tlsgate_handshakes_total",
                 {{"listener", listener}, {"side", sideName(side.side)}, {"result", "ok"}},
                 side.totals->handshakes);
      out.sample("tlsgate_handshakes_total",
                 {{"listener", listener}, {"side", sideName(side.side)}, {"result", "failed"}},
                 failureSum(*side.totals));
    }
  }

  // Every kind, zero or not, so that rate() sees a failure from its first one.
  out.family("tlsgate_handshake_failures_total", "counter",
             "TLS handshakes that failed, by the kind of reason the log gives.");
  for (const ListenerRows& row : rows) {
    for (const SideSeries& side : row.sides) {
      for (std::size_t i = 0; i < kFailureKindCount; ++i) {
        out.sample("tlsgate_handshake_failures_total",
                   {{"listener", row.totals->name},
                    {"side", sideName(side.side)},
                    {"reason", failureKindName(static_cast<FailureKind>(i))}},
                   side.totals->failures.at(i));
      }
    }
  }
}

// One pair for the process: a worker stops accepting at its own
// limits.max_handshakes, and the two figures are the sums over the workers.
void writeHandshakesInProgress(Exposition& out, const HandshakesInProgress& handshakes) {
  out.family("tlsgate_tls_handshakes_in_progress", "gauge",
             "Accept-side TLS handshakes in progress: the whole ClientHello has arrived, the "
             "handshake has not ended; summed over the workers.");
  out.sample("tlsgate_tls_handshakes_in_progress", {}, handshakes.count);

  out.family("tlsgate_tls_handshakes_limit", "gauge",
             "limits.max_handshakes times the workers: a worker at its share stops accepting "
             "until one of its handshakes ends.");
  out.sample("tlsgate_tls_handshakes_limit", {}, handshakes.limit);
}

void writeDurations(Exposition& out, const std::vector<ListenerRows>& rows) {
  constexpr std::string_view kName = "tlsgate_handshake_duration_seconds";
  out.family(kName, "histogram", "How long completed TLS handshakes took.");
  for (const ListenerRows& row : rows) {
    for (const SideSeries& side : row.sides) {
      const std::string& listener = row.totals->name;
      const TlsSideTotals& totals = *side.totals;
      uint64_t cumulative = 0;
      for (std::size_t i = 0; i < DurationHistogram::kBounds.size(); ++i) {
        cumulative += totals.duration_buckets.at(i);
        std::string bound;
        appendDouble(bound, DurationHistogram::kBounds.at(i));
        out.sample("tlsgate_handshake_duration_seconds_bucket",
                   {{"listener", listener}, {"side", sideName(side.side)}, {"le", bound}},
                   cumulative);
      }
      cumulative += totals.duration_buckets.back();
      out.sample("tlsgate_handshake_duration_seconds_bucket",
                 {{"listener", listener}, {"side", sideName(side.side)}, {"le", "+Inf"}},
                 cumulative);
      out.sample("tlsgate_handshake_duration_seconds_sum",
                 {{"listener", listener}, {"side", sideName(side.side)}},
                 static_cast<double>(totals.duration_sum_microseconds) / 1e6);
      // The +Inf bucket, not duration_count: the workers' counters are read
      // one by one, and the two must agree even when a handshake ended
      // between the reads.
      out.sample("tlsgate_handshake_duration_seconds_count",
                 {{"listener", listener}, {"side", sideName(side.side)}}, cumulative);
    }
  }

  out.family("tlsgate_session_resumptions_total", "counter",
             "Completed TLS handshakes that resumed an earlier session.");
  for (const ListenerRows& row : rows) {
    for (const SideSeries& side : row.sides) {
      out.sample("tlsgate_session_resumptions_total",
                 {{"listener", row.totals->name}, {"side", sideName(side.side)}},
                 side.totals->resumptions);
    }
  }
}

void writeTraffic(Exposition& out, const std::vector<ListenerRows>& rows) {
  out.family("tlsgate_bytes_total", "counter", "Plaintext bytes relayed, by direction.");
  for (const ListenerRows& row : rows) {
    out.sample("tlsgate_bytes_total",
               {{"listener", row.totals->name}, {"direction", "client_to_backend"}},
               row.totals->bytes_up);
    out.sample("tlsgate_bytes_total",
               {{"listener", row.totals->name}, {"direction", "backend_to_client"}},
               row.totals->bytes_down);
  }

  out.family("tlsgate_backend_connect_failures_total", "counter",
             "Connections to the backend that could not be made.");
  for (const ListenerRows& row : rows) {
    out.sample("tlsgate_backend_connect_failures_total", {{"listener", row.totals->name}},
               row.totals->backend_connect_failures);
  }

  out.family("tlsgate_timeouts_total", "counter", "Connections closed by a timeout, by kind.");
  for (const ListenerRows& row : rows) {
    for (std::size_t i = 0; i < kTimeoutKindCount; ++i) {
      out.sample(
          "tlsgate_timeouts_total",
          {{"listener", row.totals->name}, {"kind", timeoutKindName(static_cast<TimeoutKind>(i))}},
          row.totals->timeouts.at(i));
    }
  }

  out.family("tlsgate_connections_dropped_total", "counter",
             "Connections closed without being served: over max_connections, or out of "
             "descriptors or memory.");
  for (const ListenerRows& row : rows) {
    out.sample("tlsgate_connections_dropped_total", {{"listener", row.totals->name}},
               row.totals->dropped);
  }

  out.family("tlsgate_accept_errors_total", "counter",
             "accept() calls that failed, e.g. with EMFILE.");
  for (const ListenerRows& row : rows) {
    out.sample("tlsgate_accept_errors_total", {{"listener", row.totals->name}},
               row.totals->accept_errors);
  }
}

// ---------------------------------------------------------------- certificates

void writeCertificates(Exposition& out, const MetricsSnapshot& snapshot) {
  out.family("tlsgate_certificate_expiry_seconds", "gauge",
             "Seconds until a served certificate expires; negative once it has.");
  // A listener can list the same certificate twice (two SNI names); a series
  // must appear only once.
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (const CertificateExpiry& certificate : snapshot.certificates) {
    if (!seen.emplace(certificate.listener, certificate.sha256).second) {
      continue;
    }
    out.sample("tlsgate_certificate_expiry_seconds",
               {{"listener", certificate.listener},
                {"subject", certificate.subject},
                {"sha256", certificate.sha256}},
               certificate.not_after_unix - snapshot.now_unix);
  }
}

// ---------------------------------------------------------------- record layer

void writeRecordLayer(Exposition& out, const MetricsSnapshot& snapshot) {
  out.family("tlsgate_tls_record_layer_handovers_total", "counter",
             "TLS 1.3 accept-side connections that moved from OpenSSL to tlsgate's record layer "
             "after relaying for limits.record_layer_after; counted since the listener's TLS "
             "context was built (the last start or reload).");
  for (const RecordLayerHandOvers& row : snapshot.record_layer_handovers) {
    out.sample("tlsgate_tls_record_layer_handovers_total", {{"listener", row.listener}}, row.count);
  }
  out.family("tlsgate_tls_record_layer_declined_total", "counter",
             "TLS 1.3 accept-side connections that stayed with OpenSSL instead of moving to "
             "tlsgate's record layer, by reason; counted since the listener's TLS "
             "context was built (the last start or reload).");
  for (const RecordLayerDeclines& row : snapshot.record_layer_declined) {
    out.sample("tlsgate_tls_record_layer_declined_total",
               {{"listener", row.listener}, {"reason", row.reason}}, row.count);
  }
}

}  // namespace

std::string renderPrometheus(const MetricsSnapshot& snapshot) {
  Exposition out;
  writeProcess(out, snapshot.status);
  writeReload(out, snapshot.status.reload);
  const std::vector<ListenerRows> rows = listenerRows(snapshot);
  writeConnections(out, rows);
  writeHandshakes(out, rows);
  writeHandshakesInProgress(out, snapshot.handshakes_in_progress);
  writeDurations(out, rows);
  writeTraffic(out, rows);
  writeCertificates(out, snapshot);
  writeRecordLayer(out, snapshot);
  return out.take();
}

}  // namespace tlsgate
