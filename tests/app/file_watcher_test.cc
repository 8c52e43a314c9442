#include "app/file_watcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/test_pki.h"

namespace tlsgate {
namespace {

namespace fs = std::filesystem;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

// Runs `loop` until `changes` reaches `wanted` or `bound_ms` pass.
class WatchedLoop {
 public:
  WatchedLoop() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &deadline_);
    watcher_ = std::make_unique<FileWatcher>(&loop_, 50, [this] {
      ++changes_;
      uv_stop(&loop_);
    });
  }
  ~WatchedLoop() {
    watcher_->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  WatchedLoop(const WatchedLoop&) = delete;
  WatchedLoop& operator=(const WatchedLoop&) = delete;
  WatchedLoop(WatchedLoop&&) = delete;
  WatchedLoop& operator=(WatchedLoop&&) = delete;

  FileWatcher& watcher() { return *watcher_; }
  // Runs the loop for up to `bound_ms`, or until a change is reported.
  int runFor(uint64_t bound_ms) {
    deadline_.data = &loop_;
    uv_timer_start(
        &deadline_, [](uv_timer_t* t) { uv_stop(static_cast<uv_loop_t*>(t->data)); }, bound_ms, 0);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_timer_stop(&deadline_);
    return changes_;
  }

 private:
  uv_loop_t loop_{};
  uv_timer_t deadline_{};
  std::unique_ptr<FileWatcher> watcher_;
  int changes_ = 0;
};

TEST(FileWatcherTest, SeesAFileReplacedByRename) {
  test::TestPki dir;
  const std::string cert = dir.dir() + "/site.pem";
  write(cert, "first");
  WatchedLoop loop;
  loop.watcher().watch(FileWatcher::fingerprints({cert}));
  write(cert + ".new", "second");
  ASSERT_EQ(std::rename((cert + ".new").c_str(), cert.c_str()), 0);
  EXPECT_EQ(loop.runFor(5000), 1);
}

TEST(FileWatcherTest, SeesAKubernetesSecretSymlinkSwap) {
  test::TestPki dir;
  const fs::path root = dir.dir();
  fs::create_directory(root / "..2026_a");
  write((root / "..2026_a" / "tls.crt").string(), "first");
  fs::create_directory_symlink("..2026_a", root / "..data");
  fs::create_symlink("..data/tls.crt", root / "tls.crt");
  WatchedLoop loop;
  loop.watcher().watch(FileWatcher::fingerprints({(root / "tls.crt").string()}));

  fs::create_directory(root / "..2026_b");
  write((root / "..2026_b" / "tls.crt").string(), "second");
  fs::create_directory_symlink("..2026_b", root / "..data_tmp");
  fs::rename(root / "..data_tmp", root / "..data");
  EXPECT_EQ(loop.runFor(5000), 1);
}

TEST(FileWatcherTest, SeesAChangeBetweenLoadingAndWatching) {
  test::TestPki dir;
  const std::string cert = dir.dir() + "/site.pem";
  write(cert, "loaded");
  FileWatcher::Baseline loaded = FileWatcher::fingerprints({cert});
  write(cert, "renewed before the watch began");
  WatchedLoop loop;
  loop.watcher().watch(std::move(loaded));
  EXPECT_EQ(loop.runFor(5000), 1);
}

TEST(FileWatcherTest, IgnoresOtherFilesAndUnchangedContents) {
  test::TestPki dir;
  const std::string cert = dir.dir() + "/site.pem";
  write(cert, "same");
  WatchedLoop loop;
  loop.watcher().watch(FileWatcher::fingerprints({cert}));
  write(dir.dir() + "/unrelated.txt", "noise");
  write(cert, "same");  // rewritten, not changed
  EXPECT_EQ(loop.runFor(400), 0);
  write(cert, "changed");
  EXPECT_EQ(loop.runFor(5000), 1);
}

}  // namespace
}  // namespace tlsgate
