#include "app/file_watcher.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <set>

#include "util/file_contents.h"

namespace tlsgate {

struct FileWatcher::Directory {
  FileWatcher* owner = nullptr;
  std::string path;
  uv_fs_event_t handle{};
};

FileWatcher::FileWatcher(uv_loop_t* loop, uint64_t debounce_ms, std::function<void()> on_change)
    : loop_(loop), debounce_ms_(debounce_ms), on_change_(std::move(on_change)) {
  uv_timer_init(loop_, &debounce_);
  debounce_.data = this;
}

FileWatcher::~FileWatcher() {
  close();
}

void FileWatcher::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  closeDirectories();
  uv_close(reinterpret_cast<uv_handle_t*>(&debounce_), nullptr);
}

void FileWatcher::unwatch() {
  if (closed_) {
    return;
  }
  uv_timer_stop(&debounce_);
  closeDirectories();
  baseline_.clear();
}

void FileWatcher::closeDirectories() {
  for (Directory* directory : directories_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&directory->handle),
             [](uv_handle_t* handle) { delete static_cast<Directory*>(handle->data); });
  }
  directories_.clear();
}

FileWatcher::Baseline FileWatcher::fingerprints(const std::vector<std::string>& files) {
  Baseline out;
  for (const std::string& file : files) {
    out[file] = fingerprint(file);
  }
  return out;
}

void FileWatcher::watch(Baseline baseline) {
  if (closed_) {
    return;
  }
  closeDirectories();
  baseline_ = std::move(baseline);
  std::set<std::string> parents;
  for (const auto& [file, known] : baseline_) {
    std::error_code ignored;
    std::filesystem::path parent = std::filesystem::absolute(file, ignored).parent_path();
    parents.insert(parent.string());
  }
  for (const std::string& parent : parents) {
    auto* directory = new Directory{this, parent, {}};
    uv_fs_event_init(loop_, &directory->handle);
    directory->handle.data = directory;
    int rc = uv_fs_event_start(
        &directory->handle,
        [](uv_fs_event_t* handle, const char* /*name*/, int /*events*/, int status) {
          auto* dir = static_cast<Directory*>(handle->data);
          if (status == 0) {
            dir->owner->onEvent();
          }
        },
        parent.c_str(), 0);
    if (rc != 0) {
      spdlog::warn("watch: cannot watch {}: {}; changes there need a SIGHUP", parent,
                   uv_strerror(rc));
      uv_close(reinterpret_cast<uv_handle_t*>(&directory->handle),
               [](uv_handle_t* handle) { delete static_cast<Directory*>(handle->data); });
      continue;
    }
    directories_.push_back(directory);
  }
  onEvent();  // one comparison now, for what changed before the watches began
}

void FileWatcher::onEvent() {
  // Every event restarts the wait: one reload per burst.
  uv_timer_start(
      &debounce_, [](uv_timer_t* timer) { static_cast<FileWatcher*>(timer->data)->onSettled(); },
      debounce_ms_, 0);
}

void FileWatcher::onSettled() {
  for (const auto& [file, known] : baseline_) {
    if (fingerprint(file) != known) {
      spdlog::info("watch: {} changed; reloading", file);
      on_change_();
      return;
    }
  }
}

// A hash of the contents (through any symlinks), or of the listing for a
// directory (cadir); 0 when it cannot be read.
uint64_t FileWatcher::fingerprint(const std::string& path) {
  std::error_code error;
  std::string contents;
  if (std::filesystem::is_directory(path, error)) {
    for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
      contents += entry.path().filename().string();
      contents += '\n';
    }
  } else {
    FileContents file = readWholeFile(path);
    if (!file.ok()) {
      return 0;
    }
    contents = std::move(file.bytes);
  }
  // Never 0 for a readable file, so that "now readable" counts as a change.
  return std::hash<std::string>{}(contents) | 1;
}

}  // namespace tlsgate
