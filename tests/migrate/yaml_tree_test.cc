#include "migrate/yaml_tree.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/env_expansion.h"

namespace tlsgate {
namespace {

TEST(YamlTreeTest, MapsKeepTheirOrderAndCommentsFollowTheirValues) {
  YamlNode doc = YamlNode::map();
  doc.child("global").set("user", YamlNode::text("stunnel4"), "stunnel.conf:3");
  YamlNode& listener = doc.set("listeners", YamlNode::list()).append(YamlNode::map());
  listener.set("name", YamlNode::text("pop3s"), "stunnel.conf:9");
  listener.child("accept").set("address", YamlNode::text("0.0.0.0:995"));
  EXPECT_EQ(doc.render(),
            "global:\n"
            "  user: stunnel4  # stunnel.conf:3\n"
            "listeners:\n"
            "  - name: pop3s  # stunnel.conf:9\n"
            "    accept:\n"
            "      address: 0.0.0.0:995\n");
}

TEST(YamlTreeTest, SetReplacesTheValueOfAKeyInPlace) {
  YamlNode doc = YamlNode::map();
  doc.set("a", YamlNode::plain("1"));
  doc.set("b", YamlNode::plain("2"));
  doc.set("a", YamlNode::plain("3"), "again");
  EXPECT_EQ(doc.render(), "a: 3  # again\nb: 2\n");
}

TEST(YamlTreeTest, NotesStayWhereTheyWereWrittenAndNeverBecomeValues) {
  YamlNode doc = YamlNode::map();
  YamlNode& items = doc.set("listeners", YamlNode::list());
  YamlNode& item = items.append(YamlNode::map());
  item.note("left out: exec = /bin/sh (stunnel.conf:4)");
  item.set("name", YamlNode::text("shell"));
  doc.child("empty").note("nothing here");
  const std::string text = doc.render();
  EXPECT_EQ(text,
            "listeners:\n"
            "    # left out: exec = /bin/sh (stunnel.conf:4)\n"
            "  - name: shell\n"
            "# nothing here\n"
            "empty: {}\n");
  const YAML::Node parsed = YAML::Load(text);
  EXPECT_EQ(parsed["listeners"][0]["name"].as<std::string>(), "shell");
  EXPECT_EQ(parsed["listeners"].size(), 1U);
  EXPECT_TRUE(parsed["empty"].IsMap());
}

TEST(YamlTreeTest, TextThatYamlWouldReadOtherwiseIsQuoted) {
  const std::vector<std::string> values = {
      "yes",       "Off",      "~",         "",         "[::1]:443",   "*.example.com",
      "a: b",      "a #b",     "-x",        "quote\"d", "back\\slash", "tab\there",
      "new\nline", "\x01\x7f", "trailing:", "{flow}",   "&anchor",     "!tag",
      "%percent",  "@at",      "`tick",     "|pipe",    ">fold",       "'single'",
      "100",       " padded ", "ünïcode",   "a,b",      "key:value",   "x=y"};
  for (const std::string& value : values) {
    YamlNode doc = YamlNode::map();
    doc.set("k", YamlNode::text(value));
    doc.set(value, YamlNode::text("as a key"));
    const YAML::Node parsed = YAML::Load(doc.render());
    EXPECT_EQ(parsed["k"].as<std::string>(), value) << doc.render();
    EXPECT_EQ(parsed[value].as<std::string>(), "as a key") << doc.render();
  }
}

TEST(YamlTreeTest, DollarSignsAreWrittenSoThatTlsgateReadsThemAsThemselves) {
  for (const std::string value : {"$", "a$b", "${HOME}", "$${X}", "x$"}) {
    YamlNode doc = YamlNode::map();
    doc.set("k", YamlNode::text(value));
    const auto read = expandEnv(YAML::Load(doc.render())["k"].as<std::string>());
    ASSERT_TRUE(read.isOk()) << doc.render() << read.error();
    EXPECT_EQ(read.value(), value) << doc.render();
  }
}

TEST(YamlTreeTest, SimpleTextStaysPlain) {
  YamlNode doc = YamlNode::map();
  doc.set("cert", YamlNode::text("/etc/stunnel/stunnel.pem"));
  doc.set("address", YamlNode::text("127.0.0.1:8080"));
  doc.set("unix", YamlNode::text("unix:/run/app.sock"));
  EXPECT_EQ(doc.render(),
            "cert: /etc/stunnel/stunnel.pem\naddress: 127.0.0.1:8080\nunix: unix:/run/app.sock\n");
}

TEST(YamlTreeTest, CommentsCannotEndTheirLine) {
  YamlNode doc = YamlNode::map();
  doc.set("k", YamlNode::plain("1"), "one\nk: 2");
  doc.note("two\rlines");
  EXPECT_EQ(doc.render(), "k: 1  # one k: 2\n# two lines\n");
  EXPECT_EQ(YAML::Load(doc.render())["k"].as<int>(), 1);
}

TEST(YamlTreeTest, ListsOfScalarsAndEmptyCollections) {
  YamlNode doc = YamlNode::map();
  YamlNode& alpn = doc.set("alpn", YamlNode::list());
  alpn.append(YamlNode::text("h2"), "hitch.conf:4");
  alpn.append(YamlNode::text("http/1.1"));
  doc.set("none", YamlNode::list());
  EXPECT_EQ(doc.render(), "alpn:\n  - h2  # hitch.conf:4\n  - http/1.1\nnone: []\n");
}

}  // namespace
}  // namespace tlsgate
