#include "tls/catalog.h"

#include <gtest/gtest.h>
#include <openssl/opensslconf.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace tlsgate {
namespace {

bool hasName(const std::vector<CipherEntry>& ciphers, const std::string& name) {
  return std::any_of(ciphers.begin(), ciphers.end(),
                     [&](const CipherEntry& cipher) { return cipher.name == name; });
}

bool isTls13Suite(const CipherEntry& cipher) {
  return cipher.protocol == "TLSv1.3";
}

TEST(CatalogTest, SupportsTls12AndTls13) {
  std::vector<std::string> protocols = supportedProtocols();

  EXPECT_NE(std::find(protocols.begin(), protocols.end(), "tls1.2"), protocols.end());
  EXPECT_NE(std::find(protocols.begin(), protocols.end(), "tls1.3"), protocols.end());
}

#if !defined(OPENSSL_NO_TLS1) && !defined(OPENSSL_NO_TLS1_1)
// Listed because the library has them, although tlsgate only enables them at
// security_level 0.
TEST(CatalogTest, ListsLegacyVersionsTheLibraryHas) {
  std::vector<std::string> protocols = supportedProtocols();

  EXPECT_NE(std::find(protocols.begin(), protocols.end(), "tls1"), protocols.end());
  EXPECT_NE(std::find(protocols.begin(), protocols.end(), "tls1.1"), protocols.end());
}

TEST(CatalogTest, Tls1ListHoldsCbcSuitesButNoGcm) {
  std::vector<CipherEntry> ciphers = listCiphers("tls1");

  EXPECT_TRUE(hasName(ciphers, "ECDHE-RSA-AES128-SHA"));
  for (const CipherEntry& cipher : ciphers) {
    EXPECT_EQ(cipher.name.find("GCM"), std::string::npos) << cipher.name;
  }
}
#endif

TEST(CatalogTest, ProtocolsUseTlsgateNamesOldestFirst) {
  const std::vector<std::string> order = {"tls1", "tls1.1", "tls1.2", "tls1.3"};
  std::vector<std::string> protocols = supportedProtocols();

  EXPECT_TRUE(std::is_sorted(protocols.begin(), protocols.end(), [&](auto& a, auto& b) {
    return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
  }));
  for (const std::string& protocol : protocols) {
    EXPECT_NE(std::find(order.begin(), order.end(), protocol), order.end()) << protocol;
  }
}

TEST(CatalogTest, Tls13ListHoldsOnlyTls13Suites) {
  std::vector<CipherEntry> ciphers = listCiphers("tls1.3");

  EXPECT_TRUE(hasName(ciphers, "TLS_AES_128_GCM_SHA256"));
  EXPECT_TRUE(std::all_of(ciphers.begin(), ciphers.end(), isTls13Suite));
}

TEST(CatalogTest, Tls12ListHoldsEcdheGcmAndNoTls13Suites) {
  std::vector<CipherEntry> ciphers = listCiphers("tls1.2");

  EXPECT_TRUE(hasName(ciphers, "ECDHE-RSA-AES128-GCM-SHA256") ||
              hasName(ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256"));
  EXPECT_FALSE(hasName(ciphers, "TLS_AES_128_GCM_SHA256"));
  EXPECT_TRUE(std::none_of(ciphers.begin(), ciphers.end(), isTls13Suite));
}

TEST(CatalogTest, Tls12ListHasNoWeakSuites) {
  std::vector<CipherEntry> ciphers = listCiphers("tls1.2");

  for (const CipherEntry& cipher : ciphers) {
    EXPECT_EQ(cipher.name.find("NULL"), std::string::npos) << cipher.name;
    EXPECT_EQ(cipher.name.find("RC4"), std::string::npos) << cipher.name;
    EXPECT_EQ(cipher.name.find("DES-CBC3"), std::string::npos) << cipher.name;
  }
}

TEST(CatalogTest, DefaultListCoversTls12AndTls13) {
  std::vector<CipherEntry> all = listCiphers(std::nullopt);

  EXPECT_EQ(all.size(), listCiphers("tls1.2").size() + listCiphers("tls1.3").size());
  EXPECT_TRUE(hasName(all, "TLS_AES_256_GCM_SHA384"));
  EXPECT_TRUE(hasName(all, "ECDHE-RSA-AES256-GCM-SHA384"));
}

TEST(CatalogTest, EntriesCarryStandardNamesAndDescriptions) {
  std::vector<CipherEntry> ciphers = listCiphers("tls1.2");
  auto gcm = std::find_if(ciphers.begin(), ciphers.end(), [](const CipherEntry& cipher) {
    return cipher.name == "ECDHE-RSA-AES128-GCM-SHA256";
  });

  ASSERT_NE(gcm, ciphers.end());
  EXPECT_EQ(gcm->standard_name, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
  EXPECT_EQ(gcm->protocol, "TLSv1.2");
  EXPECT_EQ(gcm->description.rfind("ECDHE-RSA-AES128-GCM-SHA256 ", 0), 0u) << gcm->description;
  EXPECT_NE(gcm->description.find("Kx=ECDH"), std::string::npos) << gcm->description;
  EXPECT_NE(gcm->description.back(), '\n');
}

TEST(CatalogTest, UnknownProtocolThrows) {
  EXPECT_THROW(listCiphers("ssl3"), std::invalid_argument);
  EXPECT_THROW(listCiphers("TLSv1.2"), std::invalid_argument);
  EXPECT_THROW(listCiphers(""), std::invalid_argument);
}

TEST(CatalogTest, PlainFormatIsOneNamePerLine) {
  std::vector<CipherEntry> ciphers = {
      {"A-CIPHER", "TLS_A", "TLSv1.2", "A-CIPHER TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD"},
      {"B", "TLS_B", "TLSv1.3", "B TLSv1.3 Kx=any Au=any Enc=AESGCM(256) Mac=AEAD"},
  };

  EXPECT_EQ(formatCiphers(ciphers, false), "A-CIPHER\nB\n");
}

TEST(CatalogTest, VerboseFormatAlignsColumnsIncludingTheProtocol) {
  std::vector<CipherEntry> ciphers = {
      {"A-CIPHER", "TLS_A", "TLSv1.2", "A-CIPHER TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD"},
      {"B", "TLS_B", "TLSv1.3", "B    TLSv1.3   Kx=any Au=any Enc=AESGCM(256) Mac=AEAD"},
  };

  EXPECT_EQ(formatCiphers(ciphers, true),
            "A-CIPHER TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD\n"
            "B        TLSv1.3 Kx=any  Au=any Enc=AESGCM(256) Mac=AEAD\n");
}

TEST(CatalogTest, VerboseFormatOfRealCiphersShowsProtocolAndAlgorithms) {
  std::string text = formatCiphers(listCiphers("tls1.3"), true);

  EXPECT_NE(text.find("TLS_AES_128_GCM_SHA256 "), std::string::npos) << text;
  EXPECT_NE(text.find(" TLSv1.3 "), std::string::npos) << text;
  EXPECT_NE(text.find("Kx="), std::string::npos) << text;
  EXPECT_NE(text.find("Mac="), std::string::npos) << text;
}

TEST(CatalogTest, EmptyListFormatsAsEmptyText) {
  EXPECT_EQ(formatCiphers({}, false), "");
  EXPECT_EQ(formatCiphers({}, true), "");
}

TEST(CatalogTest, OpensslVersionNamesTheLibrary) {
  std::string version = opensslVersion();

  EXPECT_EQ(version.rfind("OpenSSL 3.", 0), 0u) << version;
}

}  // namespace
}  // namespace tlsgate
