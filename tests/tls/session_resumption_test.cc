// Session resumption: the server's tickets and cache, shared ticket keys,
// and the connect side offering its last session again.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <string>

#include "tls/session_pair.h"

namespace tlsgate::test {
namespace {

std::string randomKeyLine() {
  unsigned char raw[80];
  RAND_bytes(raw, sizeof raw);
  unsigned char encoded[120] = {};
  const int length = EVP_EncodeBlock(encoded, raw, sizeof raw);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length)) +
         "\n";
}

class SessionResumptionTest : public ::testing::Test {
 protected:
  std::shared_ptr<TlsContext> serverContext() { return ServerTlsContext::create(server); }
  std::shared_ptr<TlsContext> clientContext() { return ClientTlsContext::create(client); }

  // One full connection; true when it resumed.
  static bool connect(const std::shared_ptr<TlsContext>& server_context,
                      const std::shared_ptr<TlsContext>& client_context) {
    SessionPair pair(server_context, client_context);
    EXPECT_TRUE(pair.handshake()) << pair.client->failureReason() << pair.server->failureReason();
    pair.readPostHandshake();
    EXPECT_EQ(pair.client->resumed(), pair.server->resumed());
    // OpenSSL forgets the session of a connection freed without close_notify.
    pair.client->shutdown();
    pair.server->shutdown();
    pair.pump();
    return pair.server->resumed();
  }

  TestPki pki;
  ServerTlsConfig server = serverConfig(pki.issue("server", "localhost", {"localhost"}));
  ClientTlsConfig client = clientConfig(pki.caPath(), "localhost");
};

TEST_F(SessionResumptionTest, Tls13ResumesWithATicket) {
  auto server_context = serverContext();
  auto client_context = clientContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_TRUE(connect(server_context, client_context));
  EXPECT_EQ(server_context->handshakes(), 2U);
  EXPECT_EQ(server_context->resumptions(), 1U);
  EXPECT_EQ(client_context->resumptions(), 1U);
}

TEST_F(SessionResumptionTest, Tls12ResumesWithATicket) {
  client.protocols = {TlsProtocol::tls1_2};
  auto server_context = serverContext();
  auto client_context = clientContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_TRUE(connect(server_context, client_context));
}

TEST_F(SessionResumptionTest, Tls12ResumesFromTheServerCacheWithoutTickets) {
  client.protocols = {TlsProtocol::tls1_2};
  server.session.tickets = false;
  auto server_context = serverContext();
  auto client_context = clientContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_TRUE(connect(server_context, client_context));
  // Without tickets and without a cache nothing resumes.
  server.session.cache_size = 0;
  server_context = serverContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_FALSE(connect(server_context, client_context));
}

TEST_F(SessionResumptionTest, ClientWithoutResumeStartsAfresh) {
  client.session.resume = false;
  auto server_context = serverContext();
  auto client_context = clientContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_FALSE(connect(server_context, client_context));
}

TEST_F(SessionResumptionTest, SeparateContextsNeedASharedTicketKeyFile) {
  auto client_context = clientContext();
  EXPECT_FALSE(connect(serverContext(), client_context));
  // A restarted process has a new random ticket key.
  EXPECT_FALSE(connect(serverContext(), client_context));

  server.session.ticket_keys.value = pki.writeFile("tickets.key", randomKeyLine());
  EXPECT_FALSE(connect(serverContext(), client_context));
  EXPECT_TRUE(connect(serverContext(), client_context));
}

TEST_F(SessionResumptionTest, RotatedKeysStillDecryptOldTickets) {
  for (TlsProtocol protocol : {TlsProtocol::tls1_2, TlsProtocol::tls1_3}) {
    client.protocols = {protocol};
    const std::string old_key = randomKeyLine();
    server.session.ticket_keys.value = pki.writeFile("tickets.key", old_key);
    auto client_context = clientContext();
    EXPECT_FALSE(connect(serverContext(), client_context));

    // Prepend a new key: the old one only decrypts now.
    const std::string new_key = randomKeyLine();
    pki.writeFile("tickets.key", new_key + old_key);
    EXPECT_TRUE(connect(serverContext(), client_context)) << static_cast<int>(protocol);
    // That resumption renewed the ticket under the new key, so the session
    // survives dropping the old key.
    pki.writeFile("tickets.key", new_key);
    EXPECT_TRUE(connect(serverContext(), client_context)) << static_cast<int>(protocol);
  }
}

TEST_F(SessionResumptionTest, SessionsDoNotCrossClientCertificatePolicies) {
  // Two listeners share a ticket key file, but only one requires a client
  // certificate: a session from the other must not skip that requirement.
  server.session.ticket_keys.value = pki.writeFile("tickets.key", randomKeyLine());
  client.client_certificate = serverConfig(pki.issue("client", "client", {})).certificates.front();
  auto client_context = clientContext();
  EXPECT_FALSE(connect(serverContext(), client_context));
  server.client_certs.mode = ClientCertMode::require;
  server.client_certs.cafile.value = pki.caPath();
  auto requiring = serverContext();
  EXPECT_FALSE(connect(requiring, client_context));
  EXPECT_TRUE(connect(requiring, client_context));
}

TEST_F(SessionResumptionTest, UnknownTicketKeyFallsBackToAFullHandshake) {
  server.session.ticket_keys.value = pki.writeFile("tickets.key", randomKeyLine());
  auto client_context = clientContext();
  EXPECT_FALSE(connect(serverContext(), client_context));
  pki.writeFile("tickets.key", randomKeyLine());
  auto server_context = serverContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_TRUE(connect(server_context, client_context));
}

TEST_F(SessionResumptionTest, ResumesWhicheverCertificateSniChose) {
  CertificateConfig other;
  IssuedCertificate issued = pki.issue("other", "other.example", {"other.example"});
  other.cert.value = issued.cert_path;
  other.key.value = issued.key_path;
  server.certificates.push_back(other);
  client.servername = "other.example";
  auto server_context = serverContext();
  auto client_context = clientContext();
  EXPECT_FALSE(connect(server_context, client_context));
  EXPECT_TRUE(connect(server_context, client_context));
  // And across separately created contexts with one ticket key file.
  server.session.ticket_keys.value = pki.writeFile("tickets.key", randomKeyLine());
  EXPECT_FALSE(connect(serverContext(), client_context));
  EXPECT_TRUE(connect(serverContext(), client_context));
}

}  // namespace
}  // namespace tlsgate::test
