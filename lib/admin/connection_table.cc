#include "admin/connection_table.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string_view>
#include <vector>

namespace tlsgate {
namespace {

constexpr std::string_view kMissing = "-";
constexpr std::string_view kEllipsis = "…";
// Two spaces between columns, or one when two would not fit the width.
constexpr std::size_t kWideGap = 2;
constexpr std::size_t kNarrowGap = 1;

std::string text(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) {
    return {};
  }
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) {
    return {};
  }
  return it->get<std::string>();
}

template <typename Number>
Number number(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) {
    return Number{};
  }
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) {
    return Number{};
  }
  return it->get<Number>();
}

bool flag(const nlohmann::json& object, const char* key, bool otherwise) {
  if (!object.is_object()) {
    return otherwise;
  }
  const auto it = object.find(key);
  if (it == object.end() || !it->is_boolean()) {
    return otherwise;
  }
  return it->get<bool>();
}

std::string orMissing(const std::string& value) {
  return value.empty() ? std::string(kMissing) : value;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// Terminal columns, counting each UTF-8 character as one (subjects may hold
// accented names).
std::size_t displayWidth(std::string_view cell) {
  std::size_t width = 0;
  for (char c : cell) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++width;
    }
  }
  return width;
}

// Cuts `cell` to `width` columns, ending in "…" when it was longer.
std::string fitted(const std::string& cell, std::size_t width) {
  if (displayWidth(cell) <= width) {
    return cell;
  }
  if (width == 0) {
    return {};
  }
  std::string out;
  std::size_t columns = 0;
  for (char c : cell) {
    const bool starts_character = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_character && ++columns > width - 1) {
      break;
    }
    out += c;
  }
  return out + std::string(kEllipsis);
}

enum class Align { left, right };

struct Column {
  const char* header = "";
  Align align = Align::left;
  std::size_t width = 0;
};

// The columns, in order.
constexpr std::size_t kId = 0;
constexpr std::size_t kListener = 1;
constexpr std::size_t kState = 2;
constexpr std::size_t kAge = 3;
constexpr std::size_t kClient = 4;
constexpr std::size_t kBackend = 5;
constexpr std::size_t kUp = 6;
constexpr std::size_t kDown = 7;
constexpr std::size_t kAccept = 8;
constexpr std::size_t kPeer = 9;
constexpr std::size_t kColumnCount = 10;

using Row = std::array<std::string, kColumnCount>;

std::string acceptCell(const nlohmann::json& connection) {
  if (!connection.contains("accept")) {
    return "plaintext";
  }
  const nlohmann::json& side = connection["accept"];
  const std::string protocol = text(side, "protocol");
  if (protocol.empty()) {
    return std::string(kMissing);  // still negotiating
  }
  const std::string cipher = text(side, "cipher");
  return cipher.empty() ? protocol : protocol + "/" + cipher;
}

std::string peerCell(const nlohmann::json& connection) {
  if (!connection.contains("accept")) {
    return std::string(kMissing);
  }
  const nlohmann::json& side = connection["accept"];
  if (!side.is_object() || !side.contains("peer")) {
    return std::string(kMissing);
  }
  return orMissing(text(side["peer"], "subject"));
}

Row rowOf(const nlohmann::json& connection) {
  Row row;
  row[kId] = connection.contains("id") ? connection["id"].dump() : std::string(kMissing);
  row[kListener] = orMissing(text(connection, "listener"));
  row[kState] = orMissing(text(connection, "state"));
  row[kAge] = humanAge(number<double>(connection, "age_seconds"));
  row[kClient] = orMissing(text(connection, "client"));
  row[kBackend] = orMissing(text(connection, "backend"));
  row[kUp] = humanBytes(number<uint64_t>(connection, "bytes_up"));
  row[kDown] = humanBytes(number<uint64_t>(connection, "bytes_down"));
  row[kAccept] = acceptCell(connection);
  row[kPeer] = peerCell(connection);
  return row;
}

std::size_t totalWidth(const std::array<Column, kColumnCount>& columns, std::size_t gap) {
  std::size_t total = gap * (kColumnCount - 1);
  for (const Column& column : columns) {
    total += column.width;
  }
  return total;
}

// Picks the gap, then narrows the widest text column by one, again and
// again, until the rows fit `limit`; a column never gets narrower than its
// header or 8.
std::size_t fitColumns(std::array<Column, kColumnCount>& columns, std::size_t limit) {
  if (totalWidth(columns, kWideGap) <= limit) {
    return kWideGap;
  }
  std::size_t total = totalWidth(columns, kNarrowGap);
  while (total > limit) {
    Column* widest = nullptr;
    for (std::size_t index : {kPeer, kAccept, kBackend, kClient, kListener}) {
      Column& column = columns.at(index);
      const std::size_t narrowest = std::max<std::size_t>(displayWidth(column.header), 8);
      if (column.width > narrowest && (widest == nullptr || column.width > widest->width)) {
        widest = &column;
      }
    }
    if (widest == nullptr) {
      break;  // as narrow as it gets; the terminal wraps
    }
    --widest->width;
    --total;
  }
  return kNarrowGap;
}

void appendRow(std::string& out, const std::array<Column, kColumnCount>& columns, std::size_t gap,
               const Row& cells) {
  std::string line;
  for (std::size_t i = 0; i < kColumnCount; ++i) {
    const Column& column = columns.at(i);
    const std::string cell = fitted(cells.at(i), column.width);
    const std::string padding(column.width - displayWidth(cell), ' ');
    if (i > 0) {
      line.append(gap, ' ');
    }
    line += column.align == Align::right ? padding + cell : cell + padding;
  }
  line.erase(line.find_last_not_of(' ') + 1);
  out += line;
  out += '\n';
}

std::string summary(const nlohmann::json& status, std::size_t connections) {
  std::string out = "tlsgate " + orMissing(text(status, "version"));
  out += ", generation " + std::to_string(number<uint64_t>(status, "generation"));
  const std::size_t listeners = status.contains("listeners") && status["listeners"].is_array()
                                    ? status["listeners"].size()
                                    : 0;
  out += ", " + plural(listeners, "listener");
  out += ", " + plural(connections, "connection");
  if (flag(status, "draining", false)) {
    out += ", draining";
  } else if (!flag(status, "ready", true)) {
    out += ", not ready";
  }
  return out + "\n";
}

std::string twoDigits(uint64_t n) {
  std::string out = n < 10 ? "0" : "";
  out += std::to_string(n);
  return out;
}

}  // namespace

std::string formatConnectionTable(const nlohmann::json& status, const nlohmann::json& connections,
                                  std::size_t width) {
  std::vector<Row> rows;
  if (connections.contains("connections") && connections["connections"].is_array()) {
    for (const nlohmann::json& connection : connections["connections"]) {
      rows.push_back(rowOf(connection));
    }
  }

  std::string out = summary(status, rows.size());
  if (!rows.empty()) {
    std::array<Column, kColumnCount> columns = {{
        {"ID", Align::right},
        {"LISTENER", Align::left},
        {"STATE", Align::left},
        {"AGE", Align::right},
        {"CLIENT", Align::left},
        {"BACKEND", Align::left},
        {"UP", Align::right},
        {"DOWN", Align::right},
        {"ACCEPT", Align::left},
        {"PEER", Align::left},
    }};
    Row headers;
    for (std::size_t i = 0; i < kColumnCount; ++i) {
      headers.at(i) = columns.at(i).header;
      columns.at(i).width = displayWidth(headers.at(i));
    }
    for (const Row& row : rows) {
      for (std::size_t i = 0; i < kColumnCount; ++i) {
        columns.at(i).width = std::max(columns.at(i).width, displayWidth(row.at(i)));
      }
    }
    const std::size_t gap = fitColumns(columns, width);
    appendRow(out, columns, gap, headers);
    for (const Row& row : rows) {
      appendRow(out, columns, gap, row);
    }
  }

  const auto unanswered = number<std::size_t>(connections, "workers_unanswered");
  if (unanswered > 0) {
    out += plural(unanswered, "worker") + " did not answer in time; " +
           (unanswered == 1 ? "its" : "their") + " connections are not listed\n";
  }
  return out;
}

std::string humanBytes(uint64_t bytes) {
  if (bytes < 1024) {
    return std::to_string(bytes);
  }
  constexpr std::array<char, 6> kUnits = {'K', 'M', 'G', 'T', 'P', 'E'};
  auto value = static_cast<double>(bytes);
  for (char unit : kUnits) {
    value /= 1024;
    // The limits are what rounds to 10.0 and 1024, so 1023.9K shows as 1.0M.
    if (value < 9.95) {
      char buffer[8];
      auto [end, error] =
          std::to_chars(std::begin(buffer), std::end(buffer), value, std::chars_format::fixed, 1);
      return std::string(std::begin(buffer), end) + unit;
    }
    if (value < 1023.5 || unit == kUnits.back()) {
      return std::to_string(static_cast<uint64_t>(std::round(value))) + unit;
    }
  }
  return {};
}

std::string humanAge(double seconds) {
  if (!(seconds > 0)) {
    return "0s";
  }
  const auto total = static_cast<uint64_t>(seconds);
  const uint64_t days = total / 86400;
  const uint64_t hours = total / 3600 % 24;
  const uint64_t minutes = total / 60 % 60;
  if (days > 0) {
    return std::to_string(days) + "d" + twoDigits(hours) + "h";
  }
  if (hours > 0) {
    return std::to_string(hours) + "h" + twoDigits(minutes) + "m";
  }
  if (minutes > 0) {
    return std::to_string(minutes) + "m" + twoDigits(total % 60) + "s";
  }
  return std::to_string(total) + "s";
}

}  // namespace tlsgate
