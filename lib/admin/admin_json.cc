#include "admin/admin_json.h"

namespace tlsgate {
namespace {

nlohmann::json peerJson(const PeerCertificateSnapshot& peer) {
  return {
      {"subject", peer.subject},    {"issuer", peer.issuer},      {"notBefore", peer.not_before},
      {"notAfter", peer.not_after}, {"sha256_hash", peer.sha256},
  };
}

nlohmann::json tlsSideJson(const TlsSideSnapshot& side) {
  nlohmann::json out = {
      {"protocol", side.protocol}, {"cipher", side.cipher},   {"alpn", side.alpn},
      {"sni", side.sni},           {"resumed", side.resumed}, {"verification", side.verification},
  };
  if (side.peer) {
    out["peer"] = peerJson(*side.peer);
  }
  return out;
}

nlohmann::json connectionJson(const ConnectionSnapshot& connection) {
  nlohmann::json out = {
      {"id", connection.id},
      {"listener", connection.listener},
      {"worker", connection.worker},
      {"generation", connection.generation},
      {"client", connection.client},
      {"backend", connection.backend},
      {"state", connection.state},
      {"age_seconds", connection.age_seconds},
      {"bytes_up", connection.bytes_up},
      {"bytes_down", connection.bytes_down},
  };
  if (connection.accept_tls) {
    out["accept"] = tlsSideJson(*connection.accept_tls);
  }
  if (connection.connect_tls) {
    out["connect"] = tlsSideJson(*connection.connect_tls);
  }
  return out;
}

nlohmann::json listenerJson(const ListenerStatus& listener) {
  return {
      {"name", listener.name},
      {"accept", listener.accept_address},
      {"connect", listener.connect_address},
      {"accept_tls", listener.accept_tls},
      {"connect_tls", listener.connect_tls},
      {"connections_active", listener.connections_active},
      {"connections_total", listener.connections_total},
  };
}

}  // namespace

nlohmann::json connectionsJson(const ConnectionListing& listing) {
  nlohmann::json connections = nlohmann::json::array();
  for (const ConnectionSnapshot& connection : listing.connections) {
    connections.push_back(connectionJson(connection));
  }
  return {{"connections", std::move(connections)},
          {"workers_unanswered", listing.workers_unanswered}};
}

nlohmann::json statusJson(const StatusSnapshot& status) {
  nlohmann::json listeners = nlohmann::json::array();
  for (const ListenerStatus& listener : status.listeners) {
    listeners.push_back(listenerJson(listener));
  }
  const ReloadStatus& reload = status.reload;
  return {
      {"version", status.version},
      {"started", status.started_unix},
      {"uptime_seconds", status.uptime_seconds},
      {"workers", status.workers},
      {"ready", status.ready},
      {"draining", status.draining},
      {"generation", reload.generation},
      {"reload",
       {
           {"last_ok", reload.last_ok},
           {"last_time", reload.last_time_unix},
           {"successes", reload.successes},
           {"failures", reload.failures},
           {"last_error", reload.last_error},
       }},
      {"listeners", std::move(listeners)},
  };
}

}  // namespace tlsgate
