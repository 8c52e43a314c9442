#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include "util/config_error.h"

namespace tlsgate {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e%z %l %v";
// %* is the message escaped for a JSON string (JsonMessageFlag below).
constexpr const char* kJsonPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%*"})";

class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : msg.payload) {
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
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
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
    return std::make_shared<spdlog::sinks::basic_file_sink_mt>(log.file);
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
  auto logger = std::make_shared<spdlog::logger>("tlsgate", makeSink(log));
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
