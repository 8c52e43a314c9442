// Reloads when a file the config names changes (global.watch).
//
// It watches the directories that hold the files, not the files: certbot
// renews by writing a new file and renaming it over the old one, and a
// Kubernetes Secret volume swaps a `..data` symlink, and neither changes the
// old file's inode that a watch on the file would follow. Any event in a
// watched directory starts a short debounce; when it ends, the files are
// read again and compared with what was loaded, so bursts of events cause
// one reload, and unrelated files in the same directory cause none.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tlsgate {

class FileWatcher {
 public:
  // `on_change` runs on `loop` once the files differ from the last watch().
  FileWatcher(uv_loop_t* loop, uint64_t debounce_ms, std::function<void()> on_change);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;
  FileWatcher(FileWatcher&&) = delete;
  FileWatcher& operator=(FileWatcher&&) = delete;

  // What each file held: take it right after the config is parsed and
  // before its files are loaded, so that a change while they load is seen.
  using Baseline = std::map<std::string, uint64_t>;
  static Baseline fingerprints(const std::vector<std::string>& files);

  // Watches the files of `baseline` from now on, and compares them with it
  // once at once: a file replaced between loading and watching is not
  // missed. Call again after each reload.
  void watch(Baseline baseline);
  // Stops watching until the next watch().
  void unwatch();
  // Closes the handles for good; the loop can then end. The watcher must
  // outlive the loop's next run, which finishes the closing.
  void close();

  static constexpr uint64_t kDefaultDebounceMs = 300;

 private:
  struct Directory;

  void onEvent();
  void onSettled();
  static uint64_t fingerprint(const std::string& path);
  void closeDirectories();

  uv_loop_t* loop_;
  uint64_t debounce_ms_;
  std::function<void()> on_change_;
  uv_timer_t debounce_{};
  bool closed_ = false;
  Baseline baseline_;  // file -> fingerprint of its contents
  std::vector<Directory*> directories_;
};

}  // namespace tlsgate
