#include "x509/openssl_error.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "x509/openssl_ptr.h"

namespace tlsgate {
namespace {

// Leaves two errors on the queue: PEM's "no start line", from text that
// holds no certificate, and a second one after it.
void queueTwoErrors() {
  const char text[] = "not a certificate";
  BioPtr bio(BIO_new_mem_buf(text, sizeof text - 1));
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  ASSERT_EQ(cert, nullptr);
  ERR_raise(ERR_LIB_SSL, ERR_R_PASSED_NULL_PARAMETER);
}

TEST(OpensslError, TakesTheFirstErrorAndEmptiesTheQueue) {
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  ERR_clear_error();
  queueTwoErrors();
  EXPECT_EQ(takeOpensslError(), "no start line");
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST(OpensslError, AnEmptyQueueIsAnUnknownError) {
  ERR_clear_error();
  EXPECT_EQ(takeOpensslError(), "unknown OpenSSL error");
}

TEST(OpensslError, NamesOneCode) {
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
  EXPECT_EQ(opensslReason(ERR_PACK(ERR_LIB_PEM, 0, PEM_R_NO_START_LINE)), "no start line");
  EXPECT_EQ(opensslReason(0), "unknown OpenSSL error");
}

}  // namespace
}  // namespace tlsgate
