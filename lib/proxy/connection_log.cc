#include "proxy/connection_log.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "tls/tls_session.h"
#include "util/structured_log.h"

namespace tlsgate {
namespace {

// Values with spaces or quotes are quoted; empty ones print as "-".
void appendValue(fmt::memory_buffer& out, const std::string& value) {
  if (value.empty()) {
    out.push_back('-');
    return;
  }
  if (value.find_first_of(" \"=\\") == std::string::npos) {
    fmt::format_to(std::back_inserter(out), "{}", value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
}

void appendField(fmt::memory_buffer& out, const char* prefix, const char* key,
                 const std::string& value) {
  fmt::format_to(std::back_inserter(out), " {}{}=", prefix, key);
  appendValue(out, value);
}

void appendTls(fmt::memory_buffer& out, const char* prefix, const TlsSummary& tls) {
  appendField(out, prefix, "protocol", tls.protocol);
  appendField(out, prefix, "cipher", tls.cipher);
  appendField(out, prefix, "alpn", tls.alpn);
  appendField(out, prefix, "sni", tls.sni);
  appendField(out, prefix, "resumed", tls.resumed ? "yes" : "no");
  appendField(out, prefix, "peer", tls.peer);
  if (!tls.peer_sha256.empty()) {
    appendField(out, prefix, "peer_sha256", tls.peer_sha256);
  }
  if (!tls.close_notify) {
    appendField(out, prefix, "close", "peer closed without close_notify");
  }
}

nlohmann::json tlsJson(const TlsSummary& tls) {
  nlohmann::json out = {{"protocol", tls.protocol}, {"cipher", tls.cipher},   {"alpn", tls.alpn},
                        {"sni", tls.sni},           {"resumed", tls.resumed}, {"peer", tls.peer}};
  if (!tls.peer_sha256.empty()) {
    out["peer_sha256"] = tls.peer_sha256;
  }
  if (!tls.close_notify) {
    out["close"] = "peer closed without close_notify";
  }
  return out;
}

std::atomic<LogFormat> g_format{LogFormat::text};

}  // namespace

TlsSummary TlsSummary::of(const TlsSession& session) {
  TlsSummary summary;
  summary.protocol = session.protocol();
  if (!summary.protocol.empty()) {
    summary.cipher = session.cipher();
    summary.alpn = session.alpn();
    summary.resumed = session.resumed();
    PeerIdentity identity = session.peerIdentity();
    summary.peer = identity.subject;
    summary.peer_sha256 = identity.sha256;
  }
  summary.sni = session.servername();
  summary.close_notify = !session.closedWithoutNotify();
  return summary;
}

std::string formatConnectionLine(const ConnectionRecord& record) {
  fmt::memory_buffer out;
  fmt::format_to(std::back_inserter(out), "conn={}", record.id);
  appendField(out, "", "listener", record.listener);
  fmt::format_to(std::back_inserter(out), " generation={}", record.generation);
  appendField(out, "", "client", record.client);
  appendField(out, "", "backend", record.backend);
  fmt::format_to(std::back_inserter(out), " duration={:.3f}s bytes_up={} bytes_down={}",
                 record.duration_s, record.bytes_up, record.bytes_down);
  if (record.accept_tls) {
    appendTls(out, "accept.", *record.accept_tls);
  }
  if (record.connect_tls) {
    appendTls(out, "connect.", *record.connect_tls);
  }
  appendField(out, "", "outcome", record.failed ? "failed" : "ok");
  if (record.failed) {
    appendField(out, "", "phase", record.phase);
    appendField(out, "", "reason", record.reason);
  }
  if (!record.note.empty()) {
    appendField(out, "", "note", record.note);
  }
  return fmt::to_string(out);
}

nlohmann::json connectionJson(const ConnectionRecord& record) {
  nlohmann::json out = {{"msg", "connection closed"},     {"conn", record.id},
                        {"listener", record.listener},    {"generation", record.generation},
                        {"client", record.client},        {"backend", record.backend},
                        {"duration", record.duration_s},  {"bytes_up", record.bytes_up},
                        {"bytes_down", record.bytes_down}};
  if (record.accept_tls) {
    out["accept"] = tlsJson(*record.accept_tls);
  }
  if (record.connect_tls) {
    out["connect"] = tlsJson(*record.connect_tls);
  }
  out["outcome"] = record.failed ? "failed" : "ok";
  if (record.failed) {
    out["phase"] = record.phase;
    out["reason"] = record.reason;
  }
  if (!record.note.empty()) {
    out["note"] = record.note;
  }
  return out;
}

void setConnectionLogFormat(LogFormat format) {
  g_format.store(format, std::memory_order_relaxed);
}

void logConnection(const ConnectionRecord& record) {
  const auto level = record.failed ? spdlog::level::warn : spdlog::level::info;
  if (!spdlog::should_log(level)) {
    return;
  }
  if (g_format.load(std::memory_order_relaxed) == LogFormat::json) {
    spdlog::log(level, "{}", structuredMessage(connectionJson(record)));
  } else {
    spdlog::log(level, "{}", formatConnectionLine(record));
  }
}

}  // namespace tlsgate
