// tlsgate's entry point: the command line, signals and privileges. All the
// work happens in lib/.
#include <grp.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <iostream>
#include <optional>
#include <thread>

#include "app/info_commands.h"
#include "app/logging.h"
#include "app/startup.h"
#include "config/config_loader.h"
#include "proxy/server.h"
#include "util/config_error.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitConfig = 1;
constexpr int kExitUsage = 2;
constexpr const char* kDefaultConfig = "/etc/tlsgate/tlsgate.yaml";

void dropPrivileges(const tlsgate::GlobalConfig& global) {
  if (global.user.empty() && global.group.empty()) {
    return;
  }
  gid_t gid = getgid();
  uid_t uid = getuid();
  if (!global.group.empty()) {
    const group* g = getgrnam(global.group.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (g == nullptr) {
      throw tlsgate::ConfigError("global.group: no such group: " + global.group);
    }
    gid = g->gr_gid;
  }
  if (!global.user.empty()) {
    const passwd* p = getpwnam(global.user.c_str());  // NOLINT(concurrency-mt-unsafe)
    if (p == nullptr) {
      throw tlsgate::ConfigError("global.user: no such user: " + global.user);
    }
    uid = p->pw_uid;
    if (global.group.empty()) {
      gid = p->pw_gid;
    }
  }
  if (setgroups(0, nullptr) != 0 && errno != EPERM) {
    throw tlsgate::ConfigError(std::string("cannot drop supplementary groups: ") +
                               std::strerror(errno));
  }
  if (setgid(gid) != 0 || setuid(uid) != 0) {
    throw tlsgate::ConfigError(std::string("cannot switch to user/group: ") + std::strerror(errno));
  }
}

// Starts the server and serves until SIGTERM or SIGINT, then drains. A second
// signal exits at once. The handlers are in place before anything is
// accepted, so a signal right after "ready" still drains cleanly.
int serve(tlsgate::Server& server) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct State {
    explicit State(tlsgate::Server* s) : server(s) {}
    tlsgate::Server* server;
    uv_signal_t sigterm{};
    uv_signal_t sigint{};
    uv_async_t drained{};
    bool stopping = false;
    std::thread waiter;
  } state(&server);

  auto on_signal = [](uv_signal_t* handle, int signum) {
    auto* s = static_cast<State*>(handle->data);
    if (s->stopping) {
      spdlog::warn("{} again: exiting without waiting for connections", strsignal(signum));
      spdlog::default_logger()->flush();
      std::_Exit(kExitConfig);
    }
    s->stopping = true;
    spdlog::info("{}: no longer accepting; waiting for open connections", strsignal(signum));
    s->server->stop();
    s->waiter = std::thread([s] {
      s->server->wait();
      uv_async_send(&s->drained);
    });
  };
  for (auto [handle, signum] : {std::pair{&state.sigterm, SIGTERM}, {&state.sigint, SIGINT}}) {
    uv_signal_init(&loop, handle);
    handle->data = &state;
    uv_signal_start(handle, on_signal, signum);
  }
  uv_async_init(&loop, &state.drained, [](uv_async_t* handle) {
    auto* s = static_cast<State*>(handle->data);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->drained), nullptr);
  });
  state.drained.data = &state;

  server.start();
  spdlog::info("ready: {} listener(s), {} worker(s)", server.listeners().size(),
               server.workerCount());
  for (const auto& listener : server.listeners()) {
    spdlog::info("listener {}: {} {} -> {} {}", listener->config.name,
                 listener->accept_tls ? "tls" : "tcp", listener->listen_address.str(),
                 listener->connect_tls ? "tls" : "tcp", listener->backend_text);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  if (state.waiter.joinable()) {
    state.waiter.join();
  }
  uv_loop_close(&loop);
  spdlog::info("stopped");
  return kExitOk;
}

int run(const std::string& path) {
  tlsgate::setupBootstrapLogging();
  try {
    tlsgate::Config config = tlsgate::ConfigLoader::loadFile(path);
    tlsgate::setupLogging(config.global.log);
    tlsgate::raiseFileLimit();
    tlsgate::prepareSelfSignedCertificates(config);
    tlsgate::Server server(config);
    dropPrivileges(config.global);
    return serve(server);
  } catch (const tlsgate::ConfigError& e) {
    spdlog::error("{}", e.what());
    return kExitConfig;
  }
}

int check(const std::string& path) {
  tlsgate::setupBootstrapLogging();
  spdlog::set_level(spdlog::level::err);  // warnings belong to `run`
  try {
    tlsgate::Config config = tlsgate::ConfigLoader::loadFile(path);
    tlsgate::validateConfig(config);
    std::cout << path << ": ok (" << config.listeners.size() << " listener(s))\n";
    return kExitOk;
  } catch (const tlsgate::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return kExitConfig;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer that goes away is an error code, not a signal

  CLI::App app{"tlsgate: a TLS proxy daemon"};
  app.require_subcommand(0, 1);
  std::string config_path = kDefaultConfig;
  app.add_option("-c,--config", config_path, "configuration file");

  CLI::App* run_cmd = app.add_subcommand("run", "run in the foreground (the default)");
  run_cmd->add_option("-c,--config", config_path, "configuration file");
  CLI::App* check_cmd =
      app.add_subcommand("check", "validate the config and load every certificate, key and CA");
  check_cmd->add_option("-c,--config", config_path, "configuration file");
  CLI::App* version_cmd = app.add_subcommand("version", "tlsgate, OpenSSL and libuv versions");
  CLI::App* protocols_cmd = app.add_subcommand("protocols", "TLS versions this build can speak");
  CLI::App* ciphers_cmd = app.add_subcommand("ciphers", "cipher suites for a protocol");
  std::optional<std::string> protocol;
  bool verbose = false;
  ciphers_cmd->add_option("protocol", protocol, "tls1.2 or tls1.3 (default: all)");
  ciphers_cmd->add_flag("-v,--verbose", verbose, "one line per suite with its parameters");
  CLI::App* cert_info_cmd = app.add_subcommand("cert-info", "certificate fields (tls::status)");
  std::string cert_path;
  cert_info_cmd->add_option("file", cert_path, "PEM or DER certificate file")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  try {
    if (*check_cmd) {
      return check(config_path);
    }
    if (*version_cmd) {
      std::cout << tlsgate::versionText();
      return kExitOk;
    }
    if (*protocols_cmd) {
      std::cout << tlsgate::protocolsText();
      return kExitOk;
    }
    if (*ciphers_cmd) {
      std::cout << tlsgate::ciphersText(protocol, verbose);
      return kExitOk;
    }
    if (*cert_info_cmd) {
      std::cout << tlsgate::certInfoText(cert_path);
      return kExitOk;
    }
  } catch (const std::invalid_argument& e) {
    std::cerr << "tlsgate: " << e.what() << "\n";
    return kExitUsage;
  } catch (const tlsgate::ConfigError& e) {
    std::cerr << "tlsgate: " << e.what() << "\n";
    return kExitConfig;
  }
  return run(config_path);
}
