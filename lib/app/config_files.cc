#include "app/config_files.h"

#include <algorithm>

namespace tlsgate {
namespace {

void addPath(std::vector<std::string>& out, const LocatedPath& path) {
  if (!path.value.empty()) {
    out.push_back(path.value);
  }
}

void addCertificate(std::vector<std::string>& out, const CertificateConfig& certificate) {
  addPath(out, certificate.cert);
  addPath(out, certificate.key);
  if (certificate.password && certificate.password->file) {
    addPath(out, *certificate.password->file);
  }
}

void addPolicy(std::vector<std::string>& out, const TlsPolicyConfig& tls) {
  addPath(out, tls.cafile);
  addPath(out, tls.cadir);
}

void addTls(std::vector<std::string>& out, const ServerTlsConfig& tls) {
  for (const CertificateConfig& certificate : tls.certificates) {
    addCertificate(out, certificate);
  }
  for (const LocatedPath* path :
       {&tls.client_certs.cafile, &tls.client_certs.cadir, &tls.client_certs.crl, &tls.dhparams,
        &tls.ocsp_staple, &tls.session.ticket_keys}) {
    addPath(out, *path);
  }
  addPolicy(out, tls);
}

void addTls(std::vector<std::string>& out, const ClientTlsConfig& tls) {
  if (tls.client_certificate) {
    addCertificate(out, *tls.client_certificate);
  }
  addPolicy(out, tls);
}

void addConnect(std::vector<std::string>& out, const ConnectConfig& connect) {
  if (connect.tls) {
    addTls(out, *connect.tls);
  }
  addPath(out, connect.via.auth_file);
}

}  // namespace

std::vector<std::string> filesNamedBy(const Config& config) {
  std::vector<std::string> out;
  if (!config.path.empty()) {
    out.push_back(config.path);
  }
  addPath(out, config.global.admin.token_file);
  for (const ListenerConfig& listener : config.listeners) {
    if (listener.accept.tls) {
      addTls(out, *listener.accept.tls);
    }
    addConnect(out, listener.connect);
    for (const RouteConfig& route : listener.routes) {
      addConnect(out, route.connect);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace tlsgate
