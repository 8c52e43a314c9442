#include "util/errno_text.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace tlsgate {
namespace {

TEST(ErrnoText, NamesTheError) {
  EXPECT_EQ(errnoText(ENOENT), "No such file or directory");
  EXPECT_EQ(errnoText(EACCES), "Permission denied");
}

}  // namespace
}  // namespace tlsgate
