#include "proxy/proxy_header_phase.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <memory>
#include <optional>
#include <string>

#include "protocol/proxy_header_parser.h"
#include "protocol/proxy_header_writer.h"
#include "proxy/phase_harness.h"
#include "proxy/tls_handshake_phase.h"

namespace tlsgate::test {
namespace {

sockaddr_storage inet(const std::string& host, uint16_t port) {
  Address address;
  address.host = host;
  address.port = port;
  return numericAddress(address)->storage;
}

// The port the far end of a connected socket has.
uint16_t remotePort(int fd) {
  sockaddr_in peer{};
  socklen_t length = sizeof(peer);
  ::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length);
  return ntohs(peer.sin_port);
}

ProxyHeader proxiedHeader() {
  ProxyHeader header;
  header.source = inet("203.0.113.7", 51000);
  header.destination = inet("198.51.100.1", 443);
  return header;
}

std::string v1Bytes(const ProxyHeader& header) {
  BufferPool pool;
  ByteQueue out(pool);
  writeProxyHeaderV1(header, out);
  return takeAll(out);
}

std::string v2Bytes(const ProxyHeader& header) {
  BufferPool pool;
  ByteQueue out(pool);
  writeProxyHeaderV2(header, out);
  return takeAll(out);
}

// The leaf of a PEM chain file, in DER.
std::string leafDer(const std::string& path) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) {
    return {};
  }
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  if (!cert) {
    return {};
  }
  unsigned char* der = nullptr;
  const int length = i2d_X509(cert.get(), &der);
  if (length <= 0) {
    return {};
  }
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

class ProxyHeaderInPhaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    balancer = harness.adoptLoopback(harness.client());
    ASSERT_GE(balancer.get(), 0);
    // As a Connection does before its first phase.
    harness.facts().client = harness.client().peerText();
  }

  std::optional<PhaseStatus> run() {
    harness.start(std::make_unique<ProxyHeaderInPhase>());
    return harness.runPhase();
  }

  PhaseHarness harness;
  Fd balancer;  // the load balancer's end of the accepted connection
};

// The payload comes in the same segment as the header, as a balancer that
// forwards the client's first bytes at once sends it: the phase must
// consume exactly the header.
TEST_F(ProxyHeaderInPhaseTest, V1HeaderGivesTheClientAddressAndLeavesThePayload) {
  ASSERT_TRUE(writeAll(balancer.get(), v1Bytes(proxiedHeader()) + "payload after v1"));

  std::optional<PhaseStatus> outcome = run();

  ASSERT_TRUE(outcome.has_value()) << "the header was not read in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_EQ(harness.facts().client, "203.0.113.7:51000");
  ASSERT_NE(harness.facts().proxied, nullptr);
  EXPECT_EQ(formatProxyAddress(harness.facts().proxied->source), "203.0.113.7:51000");
  EXPECT_EQ(formatProxyAddress(harness.facts().proxied->destination), "198.51.100.1:443");
  EXPECT_EQ(peekAll(harness.client().rx), "payload after v1");
  EXPECT_TRUE(harness.finish());
}

TEST_F(ProxyHeaderInPhaseTest, V2HeaderGivesTheClientAddressAndLeavesThePayload) {
  ProxyHeader header;
  header.source = inet("2001:db8::7", 40000);
  header.destination = inet("2001:db8::1", 8443);
  header.authority = "gate.test";
  ASSERT_TRUE(writeAll(balancer.get(), v2Bytes(header) + "payload after v2"));

  std::optional<PhaseStatus> outcome = run();

  ASSERT_TRUE(outcome.has_value()) << "the header was not read in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_EQ(harness.facts().client, "[2001:db8::7]:40000");
  ASSERT_NE(harness.facts().proxied, nullptr);
  EXPECT_EQ(formatProxyAddress(harness.facts().proxied->source), "[2001:db8::7]:40000");
  EXPECT_EQ(formatProxyAddress(harness.facts().proxied->destination), "[2001:db8::1]:8443");
  EXPECT_EQ(peekAll(harness.client().rx), "payload after v2");
  EXPECT_TRUE(harness.finish());
}

// A balancer's health check: the connection is the balancer's own.
TEST_F(ProxyHeaderInPhaseTest, V2LocalHeaderKeepsTheSocketAddress) {
  const std::string socket_client = harness.facts().client;
  ASSERT_EQ(socket_client, "127.0.0.1:" + std::to_string(localPort(balancer.get())));
  ProxyHeader header = proxiedHeader();
  header.local = true;
  ASSERT_TRUE(writeAll(balancer.get(), v2Bytes(header) + "health"));

  std::optional<PhaseStatus> outcome = run();

  ASSERT_TRUE(outcome.has_value()) << "the header was not read in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
  EXPECT_EQ(harness.facts().client, socket_client);
  EXPECT_EQ(harness.facts().proxied, nullptr);
  EXPECT_EQ(peekAll(harness.client().rx), "health");
  EXPECT_TRUE(harness.finish());
}

// A client that reached the port past the balancer, or a balancer that was
// not told to send the header.
TEST_F(ProxyHeaderInPhaseTest, ClientHelloInsteadOfAHeaderFailsNamingSendProxy) {
  ASSERT_TRUE(writeAll(balancer.get(), openSslClientHello({.sni = "gate.test", .alpn = {}})));

  std::optional<PhaseStatus> outcome = run();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_NE(outcome->reason.find("send-proxy"), std::string::npos) << outcome->reason;
  EXPECT_EQ(harness.facts().proxied, nullptr);
  EXPECT_TRUE(harness.finish());
}

TEST_F(ProxyHeaderInPhaseTest, ClientClosingBeforeAWholeHeaderFails) {
  const std::string whole = v1Bytes(proxiedHeader());
  ASSERT_TRUE(writeAll(balancer.get(), whole.substr(0, whole.size() / 2)));
  ::shutdown(balancer.get(), SHUT_WR);

  std::optional<PhaseStatus> outcome = run();

  ASSERT_TRUE(outcome.has_value()) << "the phase did not end in time";
  EXPECT_EQ(outcome->kind, PhaseStatus::Kind::fail);
  EXPECT_EQ(outcome->reason, "the client closed before its whole PROXY header");
  EXPECT_TRUE(harness.finish());
}

class ProxyHeaderOutPhaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client = harness.adoptLoopback(harness.client());
    ASSERT_GE(client.get(), 0);
  }

  // Runs the phase and reads back the header it queued for the backend
  // (which has no socket, so the header stays in backend().tx).
  std::optional<ProxyHeader> sendHeader(ProxyProtocolOut config) {
    harness.start(std::make_unique<ProxyHeaderOutPhase>(config));
    std::optional<PhaseStatus> outcome = harness.runPhase();
    if (!outcome || outcome->kind != PhaseStatus::Kind::go_on) {
      ADD_FAILURE() << "the phase did not go on: " << (outcome ? outcome->reason : "timed out");
      return std::nullopt;
    }
    ProxyHeaderParser parser(kProxyV2MaxBytes);
    StepResult parsed = parser.parse(harness.backend().tx);
    if (!parsed.isDone()) {
      ADD_FAILURE() << "the header does not parse: " << parsed.reason;
      return std::nullopt;
    }
    EXPECT_EQ(parser.version(), config.version == ProxyProtocolVersion::v1 ? 1 : 2);
    return parser.header();
  }

  // Completes a real TLS accept on the client endpoint; with
  // `client_certificate`, the client presents it and the server asks for it.
  void handshake(const IssuedCertificate* client_certificate) {
    ServerTlsConfig server_config = serverConfig(server_certificate);
    server_config.alpn = {"h2"};
    ClientTlsConfig client_config = clientConfig(pki.caPath(), "gate.test");
    client_config.alpn = {"h2"};
    if (client_certificate != nullptr) {
      server_config.client_certs.mode = ClientCertMode::require;
      server_config.client_certs.cafile.value = pki.caPath();
      client_config.client_certificate = certificate(*client_certificate);
    }
    TlsClientThread peer(client.get(), ClientTlsContext::create(client_config));
    harness.start(std::make_unique<TlsHandshakePhase>(PhaseId::handshake,
                                                      ServerTlsContext::create(server_config)));
    std::optional<PhaseStatus> outcome = harness.runPhase();
    ::shutdown(client.get(), SHUT_RDWR);  // a client still waiting gives up now
    peer.join();
    ASSERT_TRUE(outcome.has_value()) << "the handshake did not finish in time";
    ASSERT_EQ(outcome->kind, PhaseStatus::Kind::go_on) << outcome->reason;
    ASSERT_TRUE(peer.handshakeDone()) << peer.failureReason();
  }

  std::string clientSocketSource() const {
    return "127.0.0.1:" + std::to_string(localPort(client.get()));
  }
  std::string clientSocketDestination() const {
    return "127.0.0.1:" + std::to_string(remotePort(client.get()));
  }

  TestPki pki;
  IssuedCertificate server_certificate = pki.issue("gate", "gate.test", {"gate.test"});
  PhaseHarness harness;
  Fd client;
};

TEST_F(ProxyHeaderOutPhaseTest, V1CarriesTheClientSocketAddresses) {
  std::optional<ProxyHeader> header = sendHeader({ProxyProtocolVersion::v1, false});

  ASSERT_TRUE(header.has_value());
  EXPECT_FALSE(header->local);
  EXPECT_EQ(formatProxyAddress(header->source), clientSocketSource());
  EXPECT_EQ(formatProxyAddress(header->destination), clientSocketDestination());
  EXPECT_TRUE(harness.backend().tx.empty()) << "more than the header was queued";
  EXPECT_TRUE(harness.finish());
}

TEST_F(ProxyHeaderOutPhaseTest, V2CarriesTheClientSocketAddresses) {
  std::optional<ProxyHeader> header = sendHeader({ProxyProtocolVersion::v2, false});

  ASSERT_TRUE(header.has_value());
  EXPECT_FALSE(header->local);
  EXPECT_EQ(formatProxyAddress(header->source), clientSocketSource());
  EXPECT_EQ(formatProxyAddress(header->destination), clientSocketDestination());
  EXPECT_FALSE(header->tls.has_value()) << "a plaintext client has no SSL TLV";
  EXPECT_TRUE(harness.finish());
}

// Behind a load balancer, the backend is told of the original client, not
// of the balancer.
TEST_F(ProxyHeaderOutPhaseTest, V1CarriesTheAddressesOfAnIncomingHeader) {
  harness.facts().proxied = std::make_unique<ProxiedAddresses>();
  harness.facts().proxied->source = inet("203.0.113.7", 51000);
  harness.facts().proxied->destination = inet("198.51.100.1", 443);

  std::optional<ProxyHeader> header = sendHeader({ProxyProtocolVersion::v1, false});

  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(formatProxyAddress(header->source), "203.0.113.7:51000");
  EXPECT_EQ(formatProxyAddress(header->destination), "198.51.100.1:443");
  EXPECT_TRUE(harness.finish());
}

TEST_F(ProxyHeaderOutPhaseTest, V2CarriesTheAddressesOfAnIncomingHeader) {
  harness.facts().proxied = std::make_unique<ProxiedAddresses>();
  harness.facts().proxied->source = inet("2001:db8::7", 40000);
  harness.facts().proxied->destination = inet("2001:db8::1", 8443);

  std::optional<ProxyHeader> header = sendHeader({ProxyProtocolVersion::v2, false});

  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(formatProxyAddress(header->source), "[2001:db8::7]:40000");
  EXPECT_EQ(formatProxyAddress(header->destination), "[2001:db8::1]:8443");
  EXPECT_TRUE(harness.finish());
}

TEST_F(ProxyHeaderOutPhaseTest, V2TellsOfTheClientsTlsSession) {
  ASSERT_NO_FATAL_FAILURE(handshake(nullptr));
  const TlsSession& session = *harness.client().tls;

  std::optional<ProxyHeader> header = sendHeader({ProxyProtocolVersion::v2, true});

  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(formatProxyAddress(header->source), clientSocketSource());
  EXPECT_EQ(header->authority, "gate.test");
  EXPECT_EQ(header->alpn, "h2");
  ASSERT_TRUE(header->tls.has_value()) << "no SSL TLV";
  EXPECT_TRUE(header->tls->client_ssl);
  EXPECT_EQ(header->tls->version, session.protocol());
  EXPECT_EQ(header->tls->version, "TLSv1.3");
  EXPECT_EQ(header->tls->cipher, session.cipher());
  EXPECT_FALSE(header->tls->cipher.empty());
  EXPECT_FALSE(header->tls->client_cert_conn);
  EXPECT_TRUE(header->tls->client_cn.empty());
  EXPECT_TRUE(header->client_cert_der.empty()) << "there was no client certificate to send";
  EXPECT_TRUE(harness.finish());
}

// The DER TLV goes only to a backend configured for it; the SSL TLV tells
// of the certificate either way.
TEST_F(ProxyHeaderOutPhaseTest, V2SendsTheClientCertificateOnlyWhenAsked) {
  const IssuedCertificate client_certificate = pki.issue("client", "client.test", {"client.test"});
  ASSERT_NO_FATAL_FAILURE(handshake(&client_certificate));

  std::optional<ProxyHeader> without = sendHeader({ProxyProtocolVersion::v2, false});
  ASSERT_TRUE(without.has_value());
  ASSERT_TRUE(without->tls.has_value()) << "no SSL TLV";
  EXPECT_TRUE(without->tls->client_cert_conn);
  EXPECT_TRUE(without->tls->verified);
  EXPECT_EQ(without->tls->client_cn, "client.test");
  EXPECT_TRUE(without->client_cert_der.empty());

  std::optional<ProxyHeader> with = sendHeader({ProxyProtocolVersion::v2, true});
  ASSERT_TRUE(with.has_value());
  ASSERT_TRUE(with->tls.has_value()) << "no SSL TLV";
  EXPECT_TRUE(with->tls->client_cert_conn);
  const std::string der = leafDer(client_certificate.cert_path);
  ASSERT_FALSE(der.empty());
  EXPECT_EQ(with->client_cert_der, der);
  EXPECT_TRUE(harness.finish());
}

}  // namespace
}  // namespace tlsgate::test
