#include "app/reopenable_file_sink.h"

#include <spdlog/common.h>

#include <cerrno>
#include <system_error>

namespace tlsgate {
namespace {

std::FILE* openForAppend(const std::string& path) {
  // "e": close-on-exec, so no child inherits the log.
  return std::fopen(path.c_str(), "ae");
}

}  // namespace

ReopenableFileSink::ReopenableFileSink(std::string path) : path_(std::move(path)) {
  file_ = openForAppend(path_);
  if (file_ == nullptr) {
    throw spdlog::spdlog_ex(std::generic_category().message(errno));
  }
}

ReopenableFileSink::~ReopenableFileSink() {
  if (file_ != nullptr) {
    std::fclose(file_);
  }
}

bool ReopenableFileSink::reopen(std::string* error) {
  std::lock_guard lock(mutex_);
  std::FILE* next = openForAppend(path_);
  if (next == nullptr) {
    if (error != nullptr) {
      *error = std::generic_category().message(errno);
    }
    return false;
  }
  std::fclose(file_);
  file_ = next;
  return true;
}

void ReopenableFileSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  std::fwrite(formatted.data(), 1, formatted.size(), file_);
}

void ReopenableFileSink::flush_() {
  std::fflush(file_);
}

}  // namespace tlsgate
