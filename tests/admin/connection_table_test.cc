#include "admin/connection_table.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "admin/admin_json.h"
#include "admin/fixed_admin_source.h"

namespace tlsgate {
namespace {

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::size_t columnsOf(const std::string& line) {
  std::size_t width = 0;
  for (char c : line) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

TEST(HumanBytesTest, ShortSizes) {
  EXPECT_EQ(humanBytes(0), "0");
  EXPECT_EQ(humanBytes(999), "999");
  EXPECT_EQ(humanBytes(1023), "1023");
  EXPECT_EQ(humanBytes(1024), "1.0K");
  EXPECT_EQ(humanBytes(1234), "1.2K");
  EXPECT_EQ(humanBytes(10188), "9.9K");
  EXPECT_EQ(humanBytes(10189), "10K");
  EXPECT_EQ(humanBytes(10240), "10K");
  EXPECT_EQ(humanBytes(348160), "340K");
  EXPECT_EQ(humanBytes(1048064), "1.0M");  // 1023.5K rounds up into M
  EXPECT_EQ(humanBytes(1234567), "1.2M");
  EXPECT_EQ(humanBytes(uint64_t{5} << 30), "5.0G");
  EXPECT_EQ(humanBytes(UINT64_MAX), "16E");
}

TEST(HumanAgeTest, MinutesAndSeconds) {
  EXPECT_EQ(humanAge(0), "0s");
  EXPECT_EQ(humanAge(-3), "0s");
  EXPECT_EQ(humanAge(0.7), "0s");
  EXPECT_EQ(humanAge(42.9), "42s");
  EXPECT_EQ(humanAge(60), "1m00s");
  EXPECT_EQ(humanAge(192.4), "3m12s");
  EXPECT_EQ(humanAge(7500), "2h05m");
  EXPECT_EQ(humanAge(273600), "3d04h");
}

TEST(ConnectionTableTest, SummaryThenHeaderThenRows) {
  const std::string table =
      formatConnectionTable(statusJson(sampleStatus()), connectionsJson(sampleConnections()));
  const std::vector<std::string> lines = linesOf(table);
  ASSERT_EQ(lines.size(), 4U) << table;
  EXPECT_EQ(lines[0], "tlsgate 0.1.0, generation 3, 2 listeners, 2 connections");
  // Two spaces between columns would make 127 columns; one space makes 118.
  EXPECT_EQ(lines[1],
            "ID LISTENER STATE         AGE CLIENT          BACKEND          UP DOWN "
            "ACCEPT                         PEER");
  EXPECT_EQ(lines[2],
            "17 web      OPEN        3m12s 127.0.0.1:53422 127.0.0.1:8080 1.2K 1.2M "
            "TLSv1.3/TLS_AES_256_GCM_SHA384 CN=client.example");
  EXPECT_EQ(lines[3],
            "18 origin   NEGOTIATING    0s 127.0.0.1:53500 -                 0    0 "
            "plaintext                      -");
}

TEST(ConnectionTableTest, TwoSpacesApartWhenThereIsRoom) {
  ConnectionListing listing = sampleConnections();
  listing.connections.pop_back();
  listing.connections[0].accept_tls->cipher = "TLS_AES_128_GCM_SHA256";
  listing.connections[0].accept_tls->peer->subject = "CN=c";
  const std::vector<std::string> lines =
      linesOf(formatConnectionTable(statusJson(sampleStatus()), connectionsJson(listing)));
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[1],
            "ID  LISTENER  STATE    AGE  CLIENT           BACKEND           UP  DOWN  "
            "ACCEPT                          PEER");
  EXPECT_EQ(lines[2],
            "17  web       OPEN   3m12s  127.0.0.1:53422  127.0.0.1:8080  1.2K  1.2M  "
            "TLSv1.3/TLS_AES_128_GCM_SHA256  CN=c");
}

TEST(ConnectionTableTest, StaysWithinTheWidth) {
  ConnectionListing listing = sampleConnections();
  listing.connections[0].accept_tls->peer->subject =
      "CN=a-very-long-client-name.department.example.org,OU=Engineering,O=Example Corporation";
  listing.connections[0].client = "[2001:db8:1234:5678:9abc:def0:1234:5678]:53422";
  const std::string table =
      formatConnectionTable(statusJson(sampleStatus()), connectionsJson(listing));
  for (const std::string& line : linesOf(table)) {
    EXPECT_LE(columnsOf(line), 120U) << line;
  }
  // The widest columns give way evenly.
  EXPECT_NE(table.find(" [2001:db8:1234:5678:… "), std::string::npos) << table;
  EXPECT_NE(table.find(" TLSv1.3/TLS_AES_256_… "), std::string::npos) << table;
  EXPECT_NE(table.find(" CN=a-very-long-clien…\n"), std::string::npos) << table;
}

TEST(ConnectionTableTest, NarrowsColumnsForANarrowWidth) {
  const std::string table =
      formatConnectionTable(statusJson(sampleStatus()), connectionsJson(sampleConnections()), 100);
  for (const std::string& line : linesOf(table)) {
    EXPECT_LE(columnsOf(line), 100U) << line;
  }
}

// The display column where `word` starts in `line`.
std::size_t columnOf(const std::string& line, const std::string& word) {
  return columnsOf(line.substr(0, line.find(word)));
}

TEST(ConnectionTableTest, CountsAUtf8CharacterAsOneColumn) {
  ConnectionListing listing = sampleConnections();
  listing.connections[0].listener = "wéb-ü";
  const std::vector<std::string> lines =
      linesOf(formatConnectionTable(statusJson(sampleStatus()), connectionsJson(listing)));
  ASSERT_EQ(lines.size(), 4U);
  EXPECT_EQ(columnOf(lines[2], "OPEN"), columnOf(lines[1], "STATE"));
  EXPECT_EQ(columnOf(lines[3], "NEGOTIATING"), columnOf(lines[1], "STATE"));
}

TEST(ConnectionTableTest, NoConnectionsIsTheSummaryAlone) {
  EXPECT_EQ(formatConnectionTable(statusJson(sampleStatus()), connectionsJson({})),
            "tlsgate 0.1.0, generation 3, 2 listeners, 0 connections\n");
}

TEST(ConnectionTableTest, SaysWhenDrainingOrNotReady) {
  StatusSnapshot status = sampleStatus();
  status.listeners.pop_back();
  status.draining = true;
  EXPECT_EQ(formatConnectionTable(statusJson(status), connectionsJson({})),
            "tlsgate 0.1.0, generation 3, 1 listener, 0 connections, draining\n");
  status.draining = false;
  status.ready = false;
  EXPECT_EQ(formatConnectionTable(statusJson(status), connectionsJson({})),
            "tlsgate 0.1.0, generation 3, 1 listener, 0 connections, not ready\n");
}

TEST(ConnectionTableTest, SaysWhichWorkersDidNotAnswer) {
  ConnectionListing listing;
  listing.workers_unanswered = 1;
  EXPECT_EQ(formatConnectionTable(statusJson(sampleStatus()), connectionsJson(listing)),
            "tlsgate 0.1.0, generation 3, 2 listeners, 0 connections\n"
            "1 worker did not answer in time; its connections are not listed\n");
}

TEST(ConnectionTableTest, MissingFieldsShowAsDashes) {
  const nlohmann::json connections = {{"connections", {{{"id", 5}}}}};
  const std::vector<std::string> lines =
      linesOf(formatConnectionTable(nlohmann::json::object(), connections));
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_EQ(lines[0], "tlsgate -, generation 0, 0 listeners, 1 connection");
  EXPECT_EQ(lines[2], " 5  -         -       0s  -       -         0     0  plaintext  -");
}

}  // namespace
}  // namespace tlsgate
