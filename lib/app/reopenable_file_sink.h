// A log file that can be reopened under the same name, for logrotate: it
// renames the file, then sends SIGUSR1 (postrotate), and tlsgate goes on in
// a new file of the old name. spdlog's basic_file_sink cannot do that.
#pragma once

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <mutex>
#include <string>

namespace tlsgate {

class ReopenableFileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Opens `path` for appending; throws spdlog::spdlog_ex when it cannot.
  explicit ReopenableFileSink(std::string path);
  ~ReopenableFileSink() override;
  ReopenableFileSink(const ReopenableFileSink&) = delete;
  ReopenableFileSink& operator=(const ReopenableFileSink&) = delete;
  ReopenableFileSink(ReopenableFileSink&&) = delete;
  ReopenableFileSink& operator=(ReopenableFileSink&&) = delete;

  // Thread-safe. Closes the file and opens the path again, creating it.
  // Returns false (and keeps writing to the old file) when it cannot.
  bool reopen(std::string* error);
  const std::string& path() const { return path_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace tlsgate
