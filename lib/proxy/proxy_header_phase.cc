#include "proxy/proxy_header_phase.h"

#include <spdlog/spdlog.h>

#include "protocol/proxy_header_writer.h"
#include "proxy/endpoint.h"

namespace tlsgate {

PhaseStatus ProxyHeaderInPhase::advance(PhaseContext& context) {
  Endpoint& client = context.client();
  StepResult result = parser_.parse(client.rx);
  if (auto status = unlessDone(result, client, "the client closed before its whole PROXY header")) {
    return *status;
  }
  const ProxyHeader& header = parser_.header();
  // LOCAL (a balancer's own health check) keeps the balancer's address.
  if (!header.local && header.source.ss_family != AF_UNSPEC) {
    ConnectionFacts& facts = context.facts();
    spdlog::debug("{} PROXY v{} header from {}: the client is {}", context.label(),
                  parser_.version(), facts.client, formatProxyAddress(header.source));
    facts.client = formatProxyAddress(header.source);
    facts.proxied = std::make_unique<ProxiedAddresses>();
    facts.proxied->source = header.source;
    facts.proxied->destination = header.destination;
  }
  return PhaseStatus::goOn();
}

PhaseStatus ProxyHeaderOutPhase::advance(PhaseContext& context) {
  const ConnectionFacts& facts = context.facts();
  ProxyHeader header;
  if (facts.proxied) {
    header.source = facts.proxied->source;
    header.destination = facts.proxied->destination;
  } else {
    context.client().addresses(header.source, header.destination);
  }
  if (config_.version == ProxyProtocolVersion::v1) {
    writeProxyHeaderV1(header, context.backend().tx);
    return PhaseStatus::goOn();
  }
  header.alpn = facts.alpn;
  header.authority = facts.sni;
  if (const TlsSession* tls = context.client().tls.get()) {
    ProxyTlsInfo info;
    info.version = tls->protocol();
    info.cipher = tls->cipher();
    const PeerIdentity identity = tls->peerIdentity();
    info.client_cert_conn = identity.present();
    // The spec's verify field is zero only for a certificate that was
    // presented and verified; a finished handshake has checked any that was.
    info.verified = identity.present();
    info.client_cn = identity.common_name;
    header.tls = info;
    if (config_.client_cert && identity.present()) {
      header.client_cert_der = tls->peerCertificateDer();
    }
  }
  writeProxyHeaderV2(header, context.backend().tx);
  return PhaseStatus::goOn();
}

}  // namespace tlsgate
