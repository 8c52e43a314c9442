// tlsgate's entry point: the command line. All the work happens in lib/;
// `run` is app/service.h.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <optional>

#include "app/admin_target.h"
#include "app/import_command.h"
#include "app/info_commands.h"
#include "app/logging.h"
#include "app/service.h"
#include "app/startup.h"
#include "config/config_loader.h"
#include "util/config_error.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitConfig = 1;
constexpr int kExitUsage = 2;
constexpr const char* kDefaultConfig = "/etc/tlsgate/tlsgate.yaml";

int run(const std::string& path) {
  tlsgate::setupBootstrapLogging();
  tlsgate::Service service(path);
  return service.run();
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

int dispatch(int argc, char** argv) {
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
  std::optional<std::string> admin_address;
  std::optional<std::string> token_file;
  bool status_json = false;
  CLI::App* status_cmd = app.add_subcommand(
      "status", "live connections of a running instance (tls::status / tls::connection)");
  CLI::App* health_cmd =
      app.add_subcommand("health", "exit 0 when the instance serves, 1 otherwise");
  for (CLI::App* command : {status_cmd, health_cmd}) {
    command->add_option("--admin", admin_address,
                        "admin endpoint, host:port or unix:/path (default: admin.listen of the "
                        "config, else " +
                            std::string(tlsgate::kDefaultAdminAddress) + ")");
    command->add_option("--token-file", token_file,
                        "file holding the bearer token (default: admin.token_file of the config)");
    command->add_option("-c,--config", config_path, "configuration file to take the address from");
  }
  status_cmd->add_flag("--json", status_json, "print the /connections JSON as received");
  CLI::App* cert_info_cmd = app.add_subcommand("cert-info", "certificate fields (tls::status)");
  std::string cert_path;
  cert_info_cmd->add_option("file", cert_path, "PEM or DER certificate file")->required();
  CLI::App* import_cmd = app.add_subcommand(
      "import", "convert a stunnel.conf or hitch.conf to tlsgate YAML (exit 3: not equivalent)");
  std::string import_format;
  std::string import_input;
  std::optional<std::string> import_output;
  import_cmd->add_option("format", import_format, "stunnel or hitch")
      ->required()
      ->check(CLI::IsMember({"stunnel", "hitch"}));
  import_cmd->add_option("file", import_input, "the stunnel.conf or hitch.conf to convert")
      ->required();
  import_cmd->add_option("-o,--output", import_output, "write the YAML here (default: stdout)");

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
    if (*status_cmd || *health_cmd) {
      const tlsgate::AdminTarget target =
          tlsgate::resolveAdminTarget(admin_address, config_path, token_file);
      return *status_cmd ? tlsgate::runStatusCommand(target, status_json, std::cout, std::cerr)
                         : tlsgate::runHealthCommand(target, std::cerr);
    }
    if (*import_cmd) {
      return tlsgate::runImportCommand(import_format, import_input, import_output, std::cout,
                                       std::cerr);
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

}  // namespace

int main(int argc, char** argv) {
  // What escapes the commands is an exhausted resource or a bug: it is
  // reported as a startup failure instead of ending in std::terminate.
  try {
    return dispatch(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "tlsgate: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "tlsgate: unexpected error\n";
  }
  return kExitConfig;
}
