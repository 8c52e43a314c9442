#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include "app/reopenable_file_sink.h"
#include "proxy/connection_log.h"
#include "util/config_error.h"
#include "util/structured_log.h"

namespace tlsgate {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l %v";
// %* is the message's own fields (JsonMessageFlag below).
constexpr const char* kJsonPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l",%*})";

// The current log file, for reopenLogFile(); null when logging elsewhere.
std::mutex g_file_sink_mutex;
std::shared_ptr<ReopenableFileSink> g_file_sink;

// A structured message (util/structured_log.h) contributes its fields as
// they are; any other message becomes "msg" with JSON string escaping.
class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (isStructured(payload) && payload.size() > 3) {
      // Between the object's braces: "msg":"connection closed","conn":7,…
      const std::string_view fields = payload.substr(2, payload.size() - 3);
      dest.append(fields.data(), fields.data() + fields.size());
      return;
    }
    static constexpr std::string_view kMsg = R"("msg":")";
    dest.append(kMsg.data(), kMsg.data() + kMsg.size());
    escape(payload, dest);
    dest.push_back('"');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }

 private:
  static void escape(std::string_view text, spdlog::memory_buf_t& dest) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(c);
      } else if (byte < 0x20) {
        const char escaped[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xF]};
        dest.append(escaped, escaped + sizeof(escaped));
      } else {
        dest.push_back(c);
      }
    }
  }
};

std::shared_ptr<spdlog::sinks::sink> makeSink(const LogConfig& log) {
  if (log.file == "stderr") {
    return std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  if (log.file == "syslog") {
    return std::make_shared<spdlog::sinks::syslog_sink_mt>("tlsgate", LOG_PID, LOG_DAEMON, false);
  }
  try {
    return std::make_shared<ReopenableFileSink>(log.file);
  } catch (const spdlog::spdlog_ex& e) {
    throw ConfigError("cannot open log file " + log.file + ": " + e.what());
  }
}

}  // namespace

void setupBootstrapLogging() {
  auto logger = std::make_shared<spdlog::logger>("tlsgate",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern(kTextPattern);
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void setupLogging(const LogConfig& log) {
  std::shared_ptr<spdlog::sinks::sink> sink = makeSink(log);
  auto logger = std::make_shared<spdlog::logger>("tlsgate", sink);
  // syslog lines are plain text: structured fields would arrive as one string.
  setConnectionLogFormat(log.file == "syslog" ? LogFormat::text : log.format);
  {
    std::lock_guard lock(g_file_sink_mutex);
    g_file_sink = std::dynamic_pointer_cast<ReopenableFileSink>(sink);
  }
  if (log.file == "syslog") {
    logger->set_pattern("%v");  // syslog adds time and level itself
  } else if (log.format == LogFormat::json) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonMessageFlag>('*').set_pattern(kJsonPattern);
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern(kTextPattern);
  }
  logger->set_level(spdlog::level::from_str(log.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace tlsgate

namespace tlsgate {

bool reopenLogFile(std::string* error) {
  std::shared_ptr<ReopenableFileSink> sink;
  {
    std::lock_guard lock(g_file_sink_mutex);
    sink = g_file_sink;
  }
  if (!sink) {
    return true;  // stderr and syslog have nothing to reopen
  }
  return sink->reopen(error);
}

}  // namespace tlsgate
