#include "migrate/stunnel_conf.h"

#include <gtest/gtest.h>

#include <string>

#include "util/config_error.h"

namespace tlsgate {
namespace {

std::vector<IncludedFile> noIncludes(const StunnelOption& /*include*/) {
  return {};
}

std::string errorOf(std::string_view text, const IncludeReader& reader = noIncludes) {
  try {
    parseStunnelConf(text, "stunnel.conf", reader);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(StunnelConfTest, GlobalOptionsThenServicesWithTheirLines) {
  const StunnelConf conf = parseStunnelConf(
      "\xEF\xBB\xBF; sample\n"
      "setuid = stunnel4\n"
      "# also a comment\n"
      "\n"
      "[pop3s]\r\n"
      "  accept  = 995\n"
      "CAfile=/etc/ssl/ca.pem\n"
      "connect = 110\n"
      "connect = 111\n",
      "stunnel.conf", noIncludes);
  ASSERT_EQ(conf.global.options.size(), 1U);
  EXPECT_EQ(conf.global.options[0].name, "setuid");
  EXPECT_EQ(conf.global.options[0].value, "stunnel4");
  EXPECT_EQ(conf.global.options[0].where.str(), "stunnel.conf:2");
  ASSERT_EQ(conf.services.size(), 1U);
  const StunnelSection& pop3s = conf.services[0];
  EXPECT_EQ(pop3s.name, "pop3s");
  EXPECT_EQ(pop3s.where.line, 5);
  ASSERT_NE(pop3s.last("cafile"), nullptr);
  EXPECT_EQ(pop3s.last("cafile")->name, "CAfile");
  EXPECT_EQ(pop3s.last("accept")->value, "995");
  EXPECT_EQ(pop3s.last("connect")->value, "111");
  EXPECT_EQ(pop3s.all("connect").size(), 2U);
  EXPECT_EQ(pop3s.last("exec"), nullptr);
}

TEST(StunnelConfTest, IncludedFilesGoInPlaceWithTheirOwnNames) {
  const IncludeReader reader = [](const StunnelOption& include) {
    EXPECT_EQ(include.value, "/etc/stunnel/conf.d");
    return std::vector<IncludedFile>{{"/etc/stunnel/conf.d/00-global.conf", "debug = info\n"},
                                     {"/etc/stunnel/conf.d/01-web.conf", "[web]\naccept = 443\n"}};
  };
  const StunnelConf conf =
      parseStunnelConf("foreground = yes\ninclude = /etc/stunnel/conf.d\n", "main.conf", reader);
  ASSERT_EQ(conf.global.options.size(), 2U);
  EXPECT_EQ(conf.global.options[1].where.str(), "/etc/stunnel/conf.d/00-global.conf:1");
  ASSERT_EQ(conf.services.size(), 1U);
  EXPECT_EQ(conf.services[0].last("accept")->where.str(), "/etc/stunnel/conf.d/01-web.conf:2");
}

TEST(StunnelConfTest, BadLinesNameTheirFileAndLine) {
  EXPECT_EQ(errorOf("[ok]\naccept 443\n"),
            "stunnel.conf:2: expected 'option = value' or '[service]', found 'accept 443'");
  EXPECT_EQ(errorOf("[web\n"), "stunnel.conf:1: a service name must end with ']'");
  EXPECT_EQ(errorOf("[ ]\n"), "stunnel.conf:1: the service name is empty");
  EXPECT_EQ(errorOf(" = 1\n"), "stunnel.conf:1: an option name is missing before '='");
  EXPECT_EQ(errorOf(std::string_view("a = b\0c\n", 8)),
            "stunnel.conf:1: the line holds a NUL byte");
  EXPECT_EQ(errorOf("cert = caf\xE9.pem\n"), "stunnel.conf:1: the line is not valid UTF-8");
}

TEST(StunnelConfTest, AnIncludeThatIncludesItselfStops) {
  const IncludeReader loop = [](const StunnelOption& include) {
    return std::vector<IncludedFile>{{include.value + "/self.conf", "include = " + include.value}};
  };
  EXPECT_NE(errorOf("include = /etc/stunnel\n", loop).find("includes nest deeper than 8 levels"),
            std::string::npos);
}

TEST(StunnelConfTest, AMissingFileIsAnError) {
  try {
    readStunnelConf("/nonexistent/stunnel.conf");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/stunnel.conf: cannot read the file: No such file or directory");
  }
}

}  // namespace
}  // namespace tlsgate
