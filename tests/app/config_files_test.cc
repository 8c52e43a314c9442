#include "app/config_files.h"

#include <gtest/gtest.h>

#include "config/config_loader.h"

namespace tlsgate {
namespace {

TEST(ConfigFilesTest, NamesEveryFileTheConfigReads) {
  Config config = ConfigLoader::loadString(R"(
global:
  admin: { listen: 127.0.0.1:9100, token_file: token }
listeners:
  - name: web
    accept:
      address: 127.0.0.1:8443
      tls:
        certificates:
          - { cert: site.pem, key: site.key, password: { file: pass } }
        client_certs: { mode: require, cafile: clients.pem, crl: clients.crl }
        session: { ticket_keys: tickets.key }
        keylog: keys.log
    connect:
      address: 127.0.0.1:8080
      tls: { cafile: backend-ca.pem, servername: b.example }
)",
                                           "/etc/tlsgate/tlsgate.yaml", "/etc/tlsgate");
  const std::vector<std::string> expected = {
      "/etc/tlsgate/backend-ca.pem", "/etc/tlsgate/clients.crl",  "/etc/tlsgate/clients.pem",
      "/etc/tlsgate/pass",           "/etc/tlsgate/site.key",     "/etc/tlsgate/site.pem",
      "/etc/tlsgate/tickets.key",    "/etc/tlsgate/tlsgate.yaml", "/etc/tlsgate/token"};
  EXPECT_EQ(filesNamedBy(config), expected);
}

}  // namespace
}  // namespace tlsgate
