#include "migrate/hitch_import.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fnmatch.h>
#include <netdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/host_name.h"
#include "migrate/cipher_default.h"
#include "migrate/converted_check.h"
#include "migrate/yaml_tree.h"
#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"

namespace tlsgate {
namespace {

// hitch's defaults (configuration.c, config_new) where tlsgate's differ.
constexpr std::string_view kHitchCiphers = "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH";
// hitch sets no TLS 1.3 suites of its own, so OpenSSL's default order holds.
constexpr std::string_view kOpenSslCiphersuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr int kHitchTimeoutSeconds = 30;  // backend-connect-timeout, ssl-handshake-timeout
constexpr std::string_view kHitchOcspDir = "/var/lib/hitch/";
constexpr std::string_view kHitchDefaultFrontend = "[*]:8443";
constexpr std::string_view kHitchDefaultBackend = "[127.0.0.1]:8000";
// OpenSSL's default verify depth, which hitch leaves as it is; tlsgate's
// own default is 4.
constexpr int kOpenSslVerifyDepth = 100;
constexpr int kMaxWorkers = 1024;
constexpr std::size_t kMaxUnixPath = 107;

[[noreturn]] void fail(const SourceLine& where, const std::string& reason) {
  throw ConfigError(where.str() + ": " + reason);
}

bool allDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// What hitch hands getaddrinfo as a host: an IPv6 or IPv4 literal, or a
// name. Anything else fails when hitch starts.
void checkHost(const std::string& host, const SourceLine& where, const std::string& what) {
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1 || isHostName(host)) {
    return;
  }
  fail(where, what + " host '" + host +
                  "' is neither an IP address nor a host name; hitch cannot listen or connect "
                  "there");
}

// "name = value" as the file has it, for notes and warnings.
std::string shown(const HitchOption& option) {
  if (option.block) {
    const HitchOption* cert = option.last("cert");
    return option.name + " = { cert = \"" + (cert ? cert->value : "") + "\" ... }";
  }
  return option.name + " = " + (option.quoted ? "\"" + option.value + "\"" : option.value);
}

// A comment ends with the source line, so that an error tlsgate finds in
// the YAML line can be traced back to it (converted_check.h).
std::string joined(const std::string& where, std::string_view extra) {
  return extra.empty() ? where : std::string(extra) + "; " + where;
}

struct HostPort {
  std::string host;  // empty: every address ("*")
  std::string port;  // as written
};

struct Certificate {
  std::string file;
  const HitchOption* key = nullptr;   // private-key
  const HitchOption* ocsp = nullptr;  // ocsp-resp-file
  const HitchOption* verify = nullptr;
  std::string comment;  // where it came from
  SourceLine where;
};

// The settings of one tls block, as the options that set them (nullptr:
// hitch's default, or the global one).
struct TlsOptions {
  const HitchOption* protocols = nullptr;  // tls-protos, tls or ssl
  const HitchOption* ciphers = nullptr;
  const HitchOption* ciphersuites = nullptr;
  const HitchOption* prefer_server_ciphers = nullptr;
  const HitchOption* client_verify = nullptr;
  const HitchOption* client_verify_ca = nullptr;
  const HitchOption* sni_nomatch_abort = nullptr;
};

class Importer {
 public:
  explicit Importer(const HitchConf& conf) : conf_(conf) {}

  ImportResult run() {
    root_.note("tlsgate configuration converted from " + conf_.file + " by tlsgate import hitch");
    YamlNode& global = root_.child("global");
    importGlobal(global);
    global_certs_ = globalCertificates(global);
    YamlNode& defaults = global.child("tls_defaults");
    global_tls_ = tlsOptionsOf(conf_.global, defaults);
    writePolicy(defaults, global_tls_, nullptr);
    importProxyOptions(global);
    YamlNode& listeners = root_.set("listeners", YamlNode::list());
    if (conf_.frontends.empty()) {
      importFrontend(listeners, nullptr, 0);
    }
    for (std::size_t i = 0; i < conf_.frontends.size(); ++i) {
      importFrontend(listeners, &conf_.frontends[i], i + 1);
    }
    for (const HitchStray& stray : conf_.stray) {
      root_.note("'" + std::string(1, stray.character) + "' (" + stray.where.str() +
                 "): hitch skips characters outside a value, and so does this conversion");
    }
    catchAll();
    ImportResult result;
    result.yaml = root_.render();
    checkConverted(result.yaml);
    result.warnings = report_.warnings();
    std::stable_sort(result.warnings.begin(), result.warnings.end(),
                     [](const ImportWarning& a, const ImportWarning& b) {
                       return a.where.line < b.where.line;  // one file: hitch has no includes
                     });
    return result;
  }

 private:
  // ---- bookkeeping ----

  void leaveOut(YamlNode& at, const HitchOption& option, const std::string& reason) {
    seen_.insert(&option);
    at.note("left out: " + shown(option) + " (" + option.where.str() + "): " + reason);
    report_.leftOut(option.where, shown(option), reason);
  }

  void changed(const HitchOption& option, const std::string& what) {
    seen_.insert(&option);
    report_.changed(option.where, shown(option) + ": " + what);
  }

  void noted(YamlNode& at, const HitchOption& option, const std::string& why) {
    seen_.insert(&option);
    at.note(shown(option) + " (" + option.where.str() + "): " + why);
  }

  std::string from(const HitchOption& option, std::string_view extra = {}) {
    seen_.insert(&option);
    return joined(option.where.str(), extra);
  }

  // The option in force for `name`: hitch keeps the last one. Empty
  // strings are no value to hitch and leave the one before in force, except
  // for the directories and the glob, which they reset.
  // The last option under either of two names for one setting (quiet and
  // log-level, write-proxy and write-proxy-v2); the earlier ones are noted
  // as replaced, as hitch replaces them.
  const HitchOption* pickEither(const std::vector<HitchOption>& options, std::string_view a,
                                std::string_view b, YamlNode& notes) {
    const HitchOption* chosen = nullptr;
    for (const HitchOption& option : options) {
      if (option.name != a && option.name != b) {
        continue;
      }
      if (chosen != nullptr) {
        noted(notes, *chosen,
              "replaced by the one at line " + std::to_string(option.where.line) + ", as in hitch");
      }
      chosen = &option;
    }
    return chosen;
  }

  const HitchOption* pick(const std::vector<HitchOption>& options, std::string_view name,
                          YamlNode& notes) {
    const bool empty_resets = name == "ocsp-dir" || name == "pem-dir" || name == "pem-dir-glob";
    const HitchOption* chosen = nullptr;
    for (const HitchOption& option : options) {
      if (option.name != name) {
        continue;
      }
      if (!option.block && option.quoted && option.value.empty() && !empty_resets) {
        noted(notes, option, "an empty string has no effect in hitch");
        continue;
      }
      if (chosen != nullptr) {
        noted(notes, *chosen,
              "replaced by the one at line " + std::to_string(option.where.line) + ", as in hitch");
      }
      chosen = &option;
    }
    return chosen;
  }

  // Every option must have been converted, left out or noted by now; one
  // that was not is left out here rather than dropped.
  void catchAll() {
    const auto check = [&](const HitchOption& option) {
      if (seen_.count(&option) == 0) {
        leaveOut(root_, option, "tlsgate import has no conversion for it");
      }
    };
    for (const HitchOption& option : conf_.global) {
      check(option);
      for (const HitchOption& inner : option.options) {
        check(inner);
      }
    }
    for (const HitchFrontend& frontend : conf_.frontends) {
      for (const HitchOption& option : frontend.options) {
        check(option);
        for (const HitchOption& inner : option.options) {
          check(inner);
        }
      }
    }
  }

  // ---- global ----

  void importGlobal(YamlNode& global) {
    const std::vector<HitchOption>& g = conf_.global;
    if (const HitchOption* workers = pick(g, "workers", global)) {
      importWorkers(global, *workers);
    } else {
      global.set("workers", YamlNode::plain("1"),
                 "hitch's default: one worker process (tlsgate: threads)");
    }
    for (const HitchOption* frontend : conf_.all("frontend")) {
      noted(global, *frontend, "an empty string has no effect in hitch");
    }
    if (const HitchOption* user = pick(g, "user", global)) {
      global.set("user", YamlNode::text(user->value), from(*user));
    }
    if (const HitchOption* group = pick(g, "group", global)) {
      global.set("group", YamlNode::text(group->value), from(*group));
    }
    importLogging(global);
    importTimeouts(global);
    importLeftOutGlobals(global);
  }

  void importWorkers(YamlNode& global, const HitchOption& workers) {
    if (workers.value == "auto") {
      global.set("workers", YamlNode::plain("auto"), from(workers, "one per CPU, as in hitch"));
      return;
    }
    const std::string digits =
        workers.value.substr(std::min(workers.value.find_first_not_of('0'), workers.value.size()));
    const long count = digits.size() > 9 ? kMaxWorkers + 1 : digits.empty() ? 0 : std::stol(digits);
    if (count == 0) {
      leaveOut(global, workers, "tlsgate needs at least one worker");
      return;
    }
    if (count > kMaxWorkers) {
      global.set("workers", YamlNode::plain(std::to_string(kMaxWorkers)), from(workers));
      changed(workers, "tlsgate runs at most " + std::to_string(kMaxWorkers) + " workers");
      return;
    }
    global.set("workers", YamlNode::plain(std::to_string(count)),
               from(workers, "hitch: worker processes; tlsgate: threads"));
  }

  void importLogging(YamlNode& global) {
    const std::vector<HitchOption>& g = conf_.global;
    YamlNode& log = global.child("log");
    // quiet and log-level set the same thing; the later one wins.
    const HitchOption* level = pickEither(g, "quiet", "log-level", log);
    std::string number = "1";
    if (level != nullptr && level->name == "quiet") {
      number = level->value == "on" ? "0" : "1";
    } else if (level != nullptr) {
      number = level->value;
    }
    number = number.substr(std::min(number.find_first_not_of('0'), number.size()));
    if (number.empty()) {
      number = "0";
    }
    const std::string word = number == "0" ? "off" : number == "1" ? "error" : "info";
    log.set("level", YamlNode::plain(word),
            level ? from(*level, "hitch log level " + number)
                  : "hitch's default: log level 1, errors only");

    const HitchOption* syslog = pick(g, "syslog", log);
    const HitchOption* file = pick(g, "log-filename", log);
    const HitchOption* facility = pick(g, "syslog-facility", log);
    const bool to_syslog = syslog != nullptr && syslog->value == "on";
    if (file != nullptr) {
      log.set("file", YamlNode::text(file->value), from(*file));
      if (to_syslog) {
        changed(*syslog, "tlsgate logs to one place; it writes to " + file->value +
                             " and not to syslog as well");
      } else if (syslog != nullptr) {
        noted(log, *syslog, "the default, as in tlsgate");
      }
    } else if (to_syslog) {
      log.set("file", YamlNode::plain("syslog"), from(*syslog));
      changed(*syslog, "tlsgate logs to syslog only; hitch logs to syslog and to stderr");
    } else if (syslog != nullptr) {
      noted(log, *syslog, "the default, as in tlsgate");
    }
    if (facility != nullptr) {
      if (!to_syslog) {
        noted(log, *facility, "has no effect without syslog = on");
      } else if (facility->value == "daemon") {
        noted(log, *facility, "tlsgate logs to the daemon facility too");
      } else {
        leaveOut(log, *facility, "tlsgate always logs to the daemon facility");
      }
    }
  }

  void importTimeouts(YamlNode& global) {
    YamlNode& timeouts = global.child("timeouts");
    const auto timeout = [&](std::string_view hitch_name, std::string_view key) {
      const HitchOption* option = pick(conf_.global, hitch_name, timeouts);
      if (option == nullptr) {
        timeouts.set(key, YamlNode::plain(std::to_string(kHitchTimeoutSeconds) + "s"),
                     "hitch's default " + std::string(hitch_name));
        return;
      }
      const std::string seconds = option->value.substr(
          std::min(option->value.find_first_not_of('0'), option->value.size()));
      if (seconds.empty()) {
        leaveOut(timeouts, *option, "tlsgate's timeouts must be longer than zero");
        return;
      }
      if (seconds.size() > 9) {
        leaveOut(timeouts, *option, "more seconds than tlsgate takes");
        return;
      }
      timeouts.set(key, YamlNode::plain(seconds + "s"), from(*option));
    };
    timeout("ssl-handshake-timeout", "handshake");
    timeout("backend-connect-timeout", "connect");
    timeouts.set("idle", YamlNode::plain("8760h"),
                 "hitch closes no connection for being idle; a year stands for that");
  }

  void importLeftOutGlobals(YamlNode& global) {
    const std::vector<HitchOption>& g = conf_.global;
    struct Rule {
      std::string_view name;
      std::string_view reason;
    };
    static constexpr Rule kLeftOut[] = {
        {"chroot",
         "tlsgate does not chroot; run it with systemd's RootDirectory= or in a container"},
        {"ssl-engine", "tlsgate uses no OpenSSL engine"},
        {"backlog", "tlsgate listens with a backlog of 4096"},
        {"keepalive", "tlsgate sets no TCP keepalive on client connections"},
        {"send-bufsize", "tlsgate leaves the socket buffer sizes to the system"},
        {"recv-bufsize", "tlsgate leaves the socket buffer sizes to the system"},
        {"session-cache",
         "tlsgate's workers share one session cache; between machines, share session.ticket_keys"},
        {"shared-cache-listen",
         "tlsgate shares no session cache between machines; share "
         "session.ticket_keys instead"},
        {"shared-cache-peer",
         "tlsgate shares no session cache between machines; share "
         "session.ticket_keys instead"},
        {"shared-cache-if",
         "tlsgate shares no session cache between machines; share "
         "session.ticket_keys instead"},
        {"ocsp-connect-tmo", "tlsgate fetches no OCSP responses"},
        {"ocsp-resp-tmo", "tlsgate fetches no OCSP responses"},
        {"ocsp-refresh-interval", "tlsgate fetches no OCSP responses"},
    };
    for (const Rule& rule : kLeftOut) {
      for (const HitchOption* option : conf_.all(rule.name)) {
        if (option->quoted && option->value.empty()) {
          noted(global, *option, "an empty string has no effect in hitch");
        } else {
          leaveOut(global, *option, std::string(rule.reason));
        }
      }
    }
    if (conf_.last("keepalive") == nullptr) {
      global.note("hitch turns on TCP keepalive (3600s) for client connections; tlsgate does not");
    }
    for (const HitchOption* daemon : conf_.all("daemon")) {
      if (daemon->value == "on") {
        noted(global, *daemon,
              "tlsgate always runs in the foreground; systemd (Type=notify) or the container "
              "runtime supervises it");
      } else {
        noted(global, *daemon, "tlsgate runs in the foreground too");
      }
    }
    for (const HitchOption* tfo : conf_.all("tcp-fastopen")) {
      if (tfo->value == "on") {
        leaveOut(global, *tfo, "tlsgate does not turn on TCP Fast Open");
      } else {
        noted(global, *tfo, "the default, as in tlsgate");
      }
    }
    for (const HitchOption* refresh : conf_.all("backend-refresh")) {
      noted(global, *refresh, "tlsgate looks the backend's name up again for every connection");
    }
    if (const HitchOption* ocsp_dir = pick(g, "ocsp-dir", global)) {
      if (ocsp_dir->value.empty()) {
        noted(global, *ocsp_dir, "turns hitch's OCSP fetching off; tlsgate fetches none either");
      } else {
        leaveOut(global, *ocsp_dir,
                 "tlsgate fetches no OCSP responses; fetch them with openssl ocsp and name the "
                 "file in ocsp_staple");
      }
    } else {
      global.note("hitch fetches OCSP responses into " + std::string(kHitchOcspDir) +
                  " for certificates that name a responder; tlsgate fetches none (see "
                  "ocsp_staple)");
    }
    for (const HitchOption* verify : conf_.all("ocsp-verify-staple")) {
      if (verify->value == "on") {
        leaveOut(global, *verify, "tlsgate staples the response file it is given, unverified");
      } else {
        noted(global, *verify, "the default");
      }
    }
  }

  // ---- certificates ----

  Certificate certificateOf(const HitchOption& pem, std::string origin) {
    seen_.insert(&pem);
    Certificate cert;
    cert.where = pem.where;
    cert.comment = std::move(origin);
    if (!pem.block) {
      cert.file = pem.value;
      return cert;
    }
    for (const HitchOption& inner : pem.options) {
      seen_.insert(&inner);
    }
    cert.file = pem.last("cert")->value;
    cert.key = pem.last("private-key");
    cert.ocsp = pem.last("ocsp-resp-file");
    cert.verify = pem.last("client-verify");
    if (const HitchOption* vfy = pem.last("ocsp-verify-staple"); vfy && vfy->value == "on") {
      report_.leftOut(vfy->where, shown(*vfy),
                      "tlsgate staples the response file it is given, unverified");
    }
    return cert;
  }

  // The order tlsgate should list hitch's certificates in. hitch serves
  // the last pem-file when no name matches, and a name claimed twice by
  // the one loaded last; tlsgate serves the first listed in both cases. So
  // the default goes first and the others follow in reverse.
  static std::vector<Certificate> tlsgateOrder(std::vector<Certificate> loaded,
                                               std::size_t default_index) {
    std::vector<Certificate> out;
    if (loaded.empty()) {
      return out;
    }
    out.push_back(loaded[default_index]);
    for (std::size_t i = loaded.size(); i-- > 0;) {
      if (i != default_index) {
        out.push_back(loaded[i]);
      }
    }
    return out;
  }

  std::vector<Certificate> globalCertificates(YamlNode& global) {
    std::vector<Certificate> pem_files;
    for (const HitchOption& option : conf_.global) {
      if (option.name != "pem-file") {
        continue;
      }
      if (!option.block && option.value.empty()) {
        noted(global, option, "an empty string has no effect in hitch");
        continue;
      }
      pem_files.push_back(certificateOf(option, option.where.str()));
    }
    // hitch: the last pem-file is the default; pem-dir's files are loaded
    // after all pem-files, and the first of them is the default when there
    // is no pem-file.
    std::vector<Certificate> loaded;
    for (std::size_t i = 0; i + 1 < pem_files.size(); ++i) {
      loaded.push_back(pem_files[i]);
    }
    std::vector<Certificate> from_dir = pemDirCertificates(global);
    if (!pem_files.empty()) {
      loaded.insert(loaded.begin(), pem_files.back());
    }
    loaded.insert(loaded.end(), from_dir.begin(), from_dir.end());
    return tlsgateOrder(loaded, 0);
  }

  std::vector<Certificate> pemDirCertificates(YamlNode& global) {
    const HitchOption* dir = pick(conf_.global, "pem-dir", global);
    const HitchOption* glob = pick(conf_.global, "pem-dir-glob", global);
    if (dir == nullptr || dir->value.empty()) {
      if (dir != nullptr) {
        noted(global, *dir, "no directory, as in hitch");
      }
      if (glob != nullptr) {
        noted(global, *glob, "has no effect without pem-dir");
      }
      return {};
    }
    std::string path = dir->value;
    if (path.back() != '/') {
      path += '/';
    }
    std::unique_ptr<DIR, int (*)(DIR*)> handle(opendir(path.c_str()), closedir);
    if (!handle) {
      leaveOut(global, *dir,
               "cannot read the directory to list its certificates: " + errnoText(errno));
      if (glob != nullptr) {
        seen_.insert(glob);
      }
      return {};
    }
    std::vector<std::string> names;
    while (const dirent* entry = readdir(handle.get())) {
      const std::string name = entry->d_name;
      if (glob != nullptr && !glob->value.empty() &&
          fnmatch(glob->value.c_str(), name.c_str(), 0) != 0) {
        continue;
      }
      // hitch takes regular files only: no directories and no symbolic links.
      struct stat st {};
      if (lstat((path + name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        continue;
      }
      names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    const std::string origin =
        "pem-dir " + dir->where.str() + (glob ? ", pem-dir-glob " + glob->where.str() : "");
    changed(*dir, "its " + std::to_string(names.size()) +
                      " files are listed one by one; a certificate added to " + path +
                      " later needs another import");
    if (glob != nullptr) {
      seen_.insert(glob);
    }
    std::vector<Certificate> out;
    for (const std::string& name : names) {
      Certificate cert;
      cert.file = path + name;
      cert.comment = origin;
      cert.where = dir->where;
      out.push_back(cert);
    }
    return out;
  }

  // ---- TLS settings ----

  TlsOptions tlsOptionsOf(const std::vector<HitchOption>& options, YamlNode& notes) {
    TlsOptions out;
    for (const HitchOption& option : options) {
      if (option.name == "tls-protos" || option.name == "tls" || option.name == "ssl") {
        if (option.name != "tls-protos" && option.value == "off") {
          noted(notes, option, "has no effect (hitch deprecates it)");
          continue;
        }
        out.protocols = &option;
      }
    }
    out.ciphers = pick(options, "ciphers", notes);
    out.ciphersuites = pick(options, "ciphersuites", notes);
    out.prefer_server_ciphers = pick(options, "prefer-server-ciphers", notes);
    out.client_verify = pick(options, "client-verify", notes);
    out.client_verify_ca = pick(options, "client-verify-ca", notes);
    out.sni_nomatch_abort = pick(options, "sni-nomatch-abort", notes);
    return out;
  }

  // hitch's TLS 1.2 default admits CBC suites; tlsgate's does not, and that
  // default is kept, with one warning when TLS 1.2 is on.
  void noteCipherDefault(YamlNode& tls, const TlsOptions& own) {
    tls.note(cipherDefaultNote("hitch", kHitchCiphers));
    const std::string protocols = own.protocols != nullptr ? own.protocols->value : "TLSv1.2";
    if (protocols.find("TLSv1.2") == std::string::npos &&
        protocols.find("TLSv1.1") == std::string::npos &&
        protocols.find("TLSv1.0") == std::string::npos) {
      return;
    }
    const SourceLine where =
        conf_.frontends.empty() ? SourceLine{conf_.file, 1} : conf_.frontends.front().where;
    report_.changed(where, cipherDefaultWarning("hitch", kHitchCiphers, "", " in tls_defaults"));
  }

  // Writes the settings of `own` into `tls`. With `global` set, `tls` is a
  // listener's block and only what the frontend itself sets goes in; the
  // rest comes from tls_defaults.
  void writePolicy(YamlNode& tls, const TlsOptions& own, const TlsOptions* global) {
    const bool defaults = global == nullptr;
    if (own.protocols != nullptr) {
      writeProtocols(tls, *own.protocols);
    }
    if (own.ciphers != nullptr) {
      tls.set("cipher", YamlNode::text(own.ciphers->value), from(*own.ciphers));
    } else if (defaults) {
      noteCipherDefault(tls, own);
    }
    if (own.ciphersuites != nullptr) {
      tls.set("ciphersuites", YamlNode::text(own.ciphersuites->value), from(*own.ciphersuites));
    } else if (defaults) {
      tls.set("ciphersuites", YamlNode::text(kOpenSslCiphersuites),
              "OpenSSL's default, which hitch keeps");
    }
    if (own.prefer_server_ciphers != nullptr) {
      if (own.prefer_server_ciphers->value == "on") {
        tls.note(shown(*own.prefer_server_ciphers) + " (" + from(*own.prefer_server_ciphers) +
                 "): tlsgate always prefers its own order");
      } else {
        changed(*own.prefer_server_ciphers,
                "tlsgate always picks the cipher by its own order, not the client's");
      }
    } else if (defaults) {
      tls.note(
          "hitch lets the client's order pick the cipher by default (prefer-server-ciphers = "
          "off); tlsgate always uses its own order");
    }
    if (defaults) {
      writeGlobalOnlyTls(tls);
    }
    if (own.sni_nomatch_abort != nullptr) {
      tls.child("sni").set(
          "unknown", YamlNode::plain(own.sni_nomatch_abort->value == "on" ? "reject" : "default"),
          from(*own.sni_nomatch_abort));
    }
    writeClientCerts(tls, own, global);
  }

  void writeProtocols(YamlNode& tls, const HitchOption& option) {
    seen_.insert(&option);
    std::vector<bool> on(4, false);  // TLS 1.0 .. 1.3
    bool ssl3 = false;
    if (option.name == "tls" || option.name == "ssl") {
      on = {true, true, true, true};
      ssl3 = option.name == "ssl";
    } else {
      std::size_t start = 0;
      while (start < option.value.size()) {
        const std::size_t end = std::min(option.value.find(' ', start), option.value.size());
        const std::string word = option.value.substr(start, end - start);
        if (word == "SSLv3") {
          ssl3 = true;
        } else {
          on[static_cast<std::size_t>(word.back() - '0')] = true;
        }
        start = end + 1;
      }
    }
    if (ssl3) {
      report_.leftOut(option.where, "SSLv3 of " + shown(option), "tlsgate never speaks SSL 3.0");
      tls.note("left out: SSLv3 of " + shown(option) + " (" + option.where.str() +
               "): tlsgate never speaks SSL 3.0");
    }
    const auto lowest = std::find(on.begin(), on.end(), true);
    if (lowest == on.end()) {
      return;  // SSLv3 alone: nothing tlsgate can speak; its default stays
    }
    const auto first = static_cast<std::size_t>(lowest - on.begin());
    std::size_t last = first;
    while (last + 1 < on.size() && on[last + 1]) {
      ++last;
    }
    static constexpr std::string_view kNames[] = {"tls1", "tls1.1", "tls1.2", "tls1.3"};
    YamlNode list = YamlNode::list();
    for (std::size_t i = first; i <= last; ++i) {
      list.append(YamlNode::plain(kNames[i]));
    }
    if (std::find(on.begin() + static_cast<std::ptrdiff_t>(last) + 1, on.end(), true) != on.end()) {
      changed(option, "tlsgate takes one unbroken range of versions; it allows " +
                          std::string(kNames[first]) + " to " + std::string(kNames[last]));
    }
    tls.set("protocols", std::move(list), option.where.str());
    if (first < 2) {
      tls.set("security_level", YamlNode::plain("0"),
              "tlsgate allows TLS 1.0 and 1.1 only at level 0");
      changed(option,
              "tlsgate needs security_level 0 for TLS 1.0 and 1.1, which also "
              "allows keys and digests that level 2 (hitch's, from Debian's OpenSSL) "
              "refuses");
    }
  }

  // alpn-protos and ecdh-curve apply to every certificate of hitch.
  void writeGlobalOnlyTls(YamlNode& tls) {
    if (const HitchOption* curve = pick(conf_.global, "ecdh-curve", tls)) {
      if (curve->value == "auto") {
        noted(tls, *curve, "OpenSSL's default groups, as tlsgate's");
      } else {
        tls.set("groups", YamlNode::text(curve->value), from(*curve));
      }
    }
    if (const HitchOption* alpn = pick(conf_.global, "alpn-protos", tls)) {
      tls.set("alpn", alpnList(*alpn),
              from(*alpn, "tlsgate speaks ALPN only; hitch also offers these over NPN"));
      changed(*alpn,
              "a client that offers ALPN but none of these protocols: hitch closes the "
              "connection after the handshake, tlsgate goes on without ALPN");
    }
  }

  YamlNode alpnList(const HitchOption& option) {
    std::string squeezed;
    for (const char c : option.value) {
      if (std::isspace(static_cast<unsigned char>(c)) == 0) {
        squeezed += c;
      }
    }
    YamlNode list = YamlNode::list();
    std::size_t start = 0;
    while (start < squeezed.size()) {
      const std::size_t end = std::min(squeezed.find(',', start), squeezed.size());
      const std::string name = squeezed.substr(start, end - start);
      if (name.empty()) {
        fail(option.where, "alpn-protos \"" + option.value +
                               "\" has an empty protocol in the list; hitch refuses it");
      }
      if (name.size() > 255) {
        fail(option.where, "alpn-protos: a protocol name is longer than 255 bytes");
      }
      list.append(YamlNode::text(name));
      start = end + 1;
    }
    if (list.empty()) {
      fail(option.where, "alpn-protos names no protocol");
    }
    return list;
  }

  void writeClientCerts(YamlNode& tls, const TlsOptions& own, const TlsOptions* global) {
    const HitchOption* verify = own.client_verify;
    const HitchOption* ca = own.client_verify_ca;
    if (verify == nullptr && ca == nullptr) {
      return;
    }
    const HitchOption* effective_verify = verify   ? verify
                                          : global ? global->client_verify
                                                   : nullptr;
    const HitchOption* effective_ca = ca ? ca : global ? global->client_verify_ca : nullptr;
    const std::string mode = effective_verify == nullptr             ? "none"
                             : effective_verify->value == "required" ? "require"
                             : effective_verify->value == "optional" ? "request"
                                                                     : "none";
    if (effective_verify == nullptr || mode == "none") {
      if (verify != nullptr) {
        YamlNode& certs = tls.child("client_certs");
        certs.set("mode", YamlNode::plain("none"), from(*verify));
      }
      if (ca != nullptr) {
        noted(tls, *ca, "has no effect while client-verify is none");
      }
      return;
    }
    if (effective_ca == nullptr || effective_ca->value.empty()) {
      fail(effective_verify->where,
           "client-verify = " + effective_verify->value +
               " needs client-verify-ca; hitch refuses the file without it");
    }
    YamlNode& certs = tls.child("client_certs");
    certs.set("mode", YamlNode::plain(mode), from(*effective_verify));
    certs.set("cafile", YamlNode::text(effective_ca->value), from(*effective_ca));
    certs.set("verify_depth", YamlNode::plain(std::to_string(kOpenSslVerifyDepth)),
              "OpenSSL's default, which hitch keeps");
    warnIfRelative(*effective_ca, effective_ca->value);
  }

  void warnIfRelative(const HitchOption& option, const std::string& path) {
    if (!path.empty() && path.front() != '/' && warned_relative_.insert(&option).second) {
      report_.changed(option.where, shown(option) +
                                        ": tlsgate reads a relative path from the directory of "
                                        "its configuration file; hitch from the directory it "
                                        "starts in");
    }
  }

  // ---- PROXY protocol ----

  void importProxyOptions(YamlNode& global) {
    const std::vector<HitchOption>& g = conf_.global;
    write_ip_ = pick(g, "write-ip", global);
    proxy_proxy_ = pick(g, "proxy-proxy", global);
    write_v1_ = pick(g, "write-proxy-v1", global);
    write_v2_ = pickEither(g, "write-proxy", "write-proxy-v2", global);
    proxy_tlv_ = pick(g, "proxy-tlv", global);
    proxy_authority_ = pick(g, "proxy-authority", global);
    proxy_client_cert_ = pick(g, "proxy-client-cert", global);
    int on = 0;
    const HitchOption* second = nullptr;
    for (const HitchOption* option : {write_ip_, proxy_proxy_, write_v1_, write_v2_}) {
      if (option != nullptr && option->value == "on") {
        ++on;
        second = on == 2 ? option : second;
      }
      if (option != nullptr && option->value == "off") {
        noted(global, *option, "the default, as in tlsgate");
      }
    }
    if (on >= 2) {
      fail(second->where,
           "write-ip, proxy-proxy, write-proxy-v1 and write-proxy-v2 exclude one another; "
           "hitch refuses the file");
    }
    if (write_ip_ != nullptr && write_ip_->value == "on") {
      leaveOut(global, *write_ip_,
               "tlsgate cannot write the bare client address; the backend must read a PROXY "
               "header instead (connect.proxy_protocol: v1 or v2)");
    }
    const bool v2 = write_v2_ != nullptr && write_v2_->value == "on";
    for (const HitchOption* option : {proxy_tlv_, proxy_authority_}) {
      if (option == nullptr) {
        continue;
      }
      if (!v2) {
        noted(global, *option, "has no effect without write-proxy-v2");
      } else if (option->value == "off") {
        changed(*option,
                "tlsgate's PROXY v2 header always carries the TLS details "
                "(PP2_TYPE_SSL) and the server name (PP2_TYPE_AUTHORITY)");
      } else {
        noted(global, *option, "tlsgate's PROXY v2 header carries these too");
      }
    }
    if (proxy_client_cert_ != nullptr && (!v2 || proxy_client_cert_->value == "off")) {
      noted(global, *proxy_client_cert_,
            proxy_client_cert_->value == "off" ? "the default, as in tlsgate"
                                               : "has no effect without write-proxy-v2");
    }
  }

  void writeProxy(YamlNode& accept, YamlNode& connect, bool asks_client_cert) {
    if (proxy_proxy_ != nullptr && proxy_proxy_->value == "on") {
      accept.set("proxy_protocol", YamlNode::plain("true"), from(*proxy_proxy_));
      connect.set("proxy_protocol", YamlNode::plain("v2"), from(*proxy_proxy_));
      if (!proxy_proxy_changed_) {
        proxy_proxy_changed_ = true;
        changed(*proxy_proxy_,
                "tlsgate cannot pass the incoming PROXY header on as it is: it reads it "
                "(v1 or v2) and sends the backend a v2 header of its own with the same "
                "addresses, but not the incoming TLVs");
      }
      return;
    }
    if (write_v1_ != nullptr && write_v1_->value == "on") {
      connect.set("proxy_protocol", YamlNode::plain("v1"), from(*write_v1_));
      return;
    }
    if (write_v2_ == nullptr || write_v2_->value != "on") {
      return;
    }
    const bool client_cert = proxy_client_cert_ != nullptr && proxy_client_cert_->value == "on";
    if (!client_cert || !asks_client_cert) {
      connect.set("proxy_protocol", YamlNode::plain("v2"), from(*write_v2_));
      if (client_cert) {
        connect.note(shown(*proxy_client_cert_) + " (" + from(*proxy_client_cert_) +
                     "): this listener asks for no client certificate, so there is none to send");
      }
      return;
    }
    YamlNode& proxy = connect.child("proxy_protocol");
    proxy.set("version", YamlNode::plain("v2"), from(*write_v2_));
    proxy.set("client_cert", YamlNode::plain("true"), from(*proxy_client_cert_));
    if (!client_cert_changed_) {
      client_cert_changed_ = true;
      changed(*proxy_client_cert_,
              "tlsgate sends the certificate DER-encoded in TLV 0xE0; hitch sends it as PEM");
    }
  }

  // ---- frontends ----

  void importFrontend(YamlNode& listeners, const HitchFrontend* frontend, std::size_t number) {
    static const std::vector<HitchOption> kNoOptions;
    const std::vector<HitchOption>& options = frontend ? frontend->options : kNoOptions;
    YamlNode notes = YamlNode::map();
    HostPort address = frontendAddress(frontend, notes);
    std::vector<Certificate> own;
    for (const HitchOption& option : options) {
      if (option.name != "pem-file") {
        continue;
      }
      if (!option.block && option.value.empty()) {
        noted(notes, option, "an empty string has no effect in hitch");
        continue;
      }
      own.push_back(certificateOf(option, "this frontend's own; " + option.where.str()));
    }
    own = tlsgateOrder(own, own.empty() ? 0 : own.size() - 1);
    const HitchOption* match_global = pick(options, "match-global-certs", notes);
    const bool uses_global = match_global ? match_global->value == "on" : own.empty();
    if (match_global != nullptr) {
      seen_.insert(match_global);  // it shapes the certificate list below
    }
    const SourceLine where = frontend ? frontend->where : SourceLine{conf_.file, 0};
    std::vector<Certificate> certs = own;
    if (uses_global) {
      certs.insert(certs.end(), global_certs_.begin(), global_certs_.end());
    }
    if (certs.empty()) {
      fail(frontend ? where : SourceLine{conf_.file, 1},
           "no certificate for frontend " + describe(address) +
               ": hitch refuses to start without one (add pem-file" +
               (own.empty() && match_global ? ", or match-global-certs = on" : "") + ")");
    }
    dedupe(certs, notes);

    // A frontend's own TLS settings reach only its own pem-files in hitch:
    // a frontend without any serves the global certificates with the
    // global settings.
    TlsOptions frontend_tls = tlsOptionsOf(options, notes);
    if (own.empty()) {
      for (const HitchOption* option :
           {frontend_tls.protocols, frontend_tls.ciphers, frontend_tls.ciphersuites,
            frontend_tls.prefer_server_ciphers, frontend_tls.client_verify,
            frontend_tls.client_verify_ca}) {
        if (option != nullptr) {
          leaveOut(notes, *option,
                   "hitch applies a frontend's TLS settings to the frontend's own pem-files "
                   "only, and this frontend has none; it serves the global certificates with "
                   "the global settings");
        }
      }
      frontend_tls = TlsOptions{
          nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, frontend_tls.sni_nomatch_abort};
    } else if (uses_global && match_global != nullptr) {
      changed(*match_global,
              "tlsgate looks for an exact name among all the certificates before a wildcard; "
              "hitch looks through the frontend's own before the global ones");
    }
    const HitchOption* verify =
        frontend_tls.client_verify ? frontend_tls.client_verify : global_tls_.client_verify;
    const bool asks_client_cert = verify != nullptr && verify->value != "none";

    std::vector<std::string> addresses;
    if (address.host.empty()) {
      addresses = {"0.0.0.0:" + address.port, "[::]:" + address.port};
    } else if (address.host.find(':') != std::string::npos) {
      addresses = {"[" + address.host + "]:" + address.port};
    } else {
      addresses = {address.host + ":" + address.port};
    }
    const std::string base = frontend ? "frontend-" + std::to_string(number) : "frontend-default";
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      if (!used_addresses_.insert(addresses[i]).second) {
        listeners.note("left out: a listener on " + addresses[i] + " (" + where.str() +
                       "): an earlier frontend listens there already");
        report_.leftOut(where, "frontend on " + addresses[i],
                        "an earlier frontend listens there already, and tlsgate binds an "
                        "address once");
        continue;
      }
      const std::string name = addresses.size() == 1 ? base : base + (i == 0 ? "-ipv4" : "-ipv6");
      YamlNode& listener = listeners.append(YamlNode::map());
      for (const std::string& line : pendingNotes(notes, i == 0)) {
        listener.note(line);
      }
      listener.set("name", YamlNode::text(name));
      YamlNode& accept = listener.child("accept");
      accept.set("address", YamlNode::text(addresses[i]), addressComment(frontend, address));
      YamlNode& tls = accept.child("tls");
      writeCertificates(tls, certs);
      writePolicy(tls, frontend_tls, &global_tls_);
      YamlNode& connect = listener.child("connect");
      writeBackend(connect);
      writeProxy(accept, connect, asks_client_cert);
    }
  }

  // The notes gathered for a frontend go above its first listener only.
  static std::vector<std::string> pendingNotes(const YamlNode& notes, bool first) {
    if (!first) {
      return {};
    }
    std::vector<std::string> out;
    // The notes are the only entries of `notes`; render and strip "# ".
    const std::string text = notes.render();
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      const std::string line = text.substr(start, end - start);
      if (line.rfind("# ", 0) == 0) {
        out.push_back(line.substr(2));
      }
      start = end + 1;
    }
    return out;
  }

  static std::string describe(const HostPort& address) {
    return "[" + (address.host.empty() ? std::string("*") : address.host) + "]:" + address.port;
  }

  std::string addressComment(const HitchFrontend* frontend, const HostPort& address) {
    if (frontend == nullptr) {
      return "hitch's default frontend " + std::string(kHitchDefaultFrontend);
    }
    if (address.host.empty()) {
      return "\"*\": hitch listens on IPv4 and IPv6; " + frontend->where.str();
    }
    return frontend->where.str();
  }

  HostPort frontendAddress(const HitchFrontend* frontend, YamlNode& notes) {
    if (frontend == nullptr) {
      return {"", "8443"};
    }
    HostPort out;
    const HitchOption* host = pick(frontend->options, "host", notes);
    const HitchOption* port = pick(frontend->options, "port", notes);
    if (host != nullptr) {
      seen_.insert(host);
      out.host = host->value == "*" ? "" : host->value;
    }
    if (port == nullptr) {
      fail(frontend->where, "the frontend has no port; hitch refuses it");
    }
    seen_.insert(port);
    out.port = portNumber(*port, "frontend");
    if (!out.host.empty()) {
      checkHost(out.host, host->where, "frontend");
    }
    if (!out.host.empty() && out.host.find(':') == std::string::npos &&
        out.host.find_first_not_of("0123456789.") != std::string::npos) {
      changed(*host, "tlsgate listens on the first address " + out.host +
                         " resolves to; hitch listens on each of them");
    }
    return out;
  }

  // A port as hitch hands it to getaddrinfo: a number, or a service name.
  static std::string portNumber(const HitchOption& option, const std::string& what) {
    const std::string& text = option.value;
    if (allDigits(text)) {
      const long port = text.size() > 5 ? 65536 : std::stol(text);
      if (port == 0) {
        fail(option.where, what +
                               " port 0: hitch lets the system pick a port, tlsgate needs "
                               "a fixed one");
      }
      if (port > 65535) {
        fail(option.where, what + " port " + text + " is out of range");
      }
      return std::to_string(port);
    }
    const servent* service = getservbyname(text.c_str(), "tcp");
    if (service == nullptr || text.empty()) {
      fail(option.where, what + " port '" + text + "' is neither a number nor a TCP service");
    }
    return std::to_string(ntohs(static_cast<uint16_t>(service->s_port)));
  }

  void dedupe(std::vector<Certificate>& certs, YamlNode& notes) {
    std::set<std::string> files;
    std::vector<Certificate> out;
    for (Certificate& cert : certs) {
      if (!files.insert(cert.file).second) {
        notes.note("pem-file \"" + cert.file + "\" (" + cert.where.str() +
                   "): listed once more; hitch loads it once, and so does tlsgate");
        continue;
      }
      out.push_back(std::move(cert));
    }
    certs = std::move(out);
  }

  void writeCertificates(YamlNode& tls, const std::vector<Certificate>& certs) {
    YamlNode& list = tls.set("certificates", YamlNode::list());
    for (std::size_t i = 0; i < certs.size(); ++i) {
      const Certificate& cert = certs[i];
      YamlNode entry = YamlNode::map();
      entry.set("cert", YamlNode::text(cert.file));
      warnIfRelativeCert(cert);
      if (cert.key != nullptr) {
        entry.set("key", YamlNode::text(cert.key->value), from(*cert.key));
      }
      list.append(std::move(entry),
                  i == 0 ? "the default, hitch's last pem-file; " + cert.comment : cert.comment);
    }
    const Certificate& first = certs.front();
    if (first.ocsp != nullptr) {
      tls.set("ocsp_staple", YamlNode::text(first.ocsp->value), from(*first.ocsp));
    }
    for (std::size_t i = 1; i < certs.size(); ++i) {
      if (certs[i].ocsp != nullptr && stapled_.insert(certs[i].ocsp).second) {
        seen_.insert(certs[i].ocsp);
        report_.leftOut(certs[i].ocsp->where, shown(*certs[i].ocsp),
                        "tlsgate staples a response for the first certificate only");
        tls.note("left out: " + shown(*certs[i].ocsp) + " (" + certs[i].ocsp->where.str() +
                 "): tlsgate staples a response for the first certificate only");
      }
    }
    for (const Certificate& cert : certs) {
      if (cert.verify != nullptr && verify_changed_.insert(cert.verify).second) {
        changed(*cert.verify,
                "tlsgate asks for client certificates per listener, not per certificate; the "
                "frontend's client-verify applies");
      }
    }
    writeDhParams(tls, certs);
  }

  void warnIfRelativeCert(const Certificate& cert) {
    if (!cert.file.empty() && cert.file.front() != '/' &&
        warned_relative_files_.insert(cert.file).second) {
      report_.changed(cert.where, "pem-file \"" + cert.file +
                                      "\": tlsgate reads a relative path from the directory of "
                                      "its configuration file; hitch from the directory it "
                                      "starts in");
    }
  }

  // hitch takes DH parameters from each pem-file that has them; tlsgate
  // from one dhparams file for the whole block.
  void writeDhParams(YamlNode& tls, const std::vector<Certificate>& certs) {
    std::vector<bool> has(certs.size(), false);
    for (std::size_t i = 0; i < certs.size(); ++i) {
      const FileContents contents = readWholeFile(certs[i].file);
      has[i] = contents.ok() &&
               contents.bytes.find("-----BEGIN DH PARAMETERS-----") != std::string::npos;
    }
    if (has.front()) {
      tls.set("dhparams", YamlNode::text(certs.front().file),
              "hitch reads DH parameters from the pem-file");
    }
    if (std::any_of(has.begin() + 1, has.end(), [&](bool h) { return h != has.front(); })) {
      tls.note(
          "the pem-files differ in holding DH parameters: hitch offers DHE suites with those "
          "that do, tlsgate with every certificate or with none, after the first");
      report_.changed(certs.front().where,
                      "pem-file \"" + certs.front().file +
                          "\": the pem-files differ in holding DH parameters; tlsgate takes "
                          "the first certificate's for all of them");
    }
  }

  void writeBackend(YamlNode& connect) {
    if (backend_.empty()) {
      const HitchOption* backend = pick(conf_.global, "backend", root_);
      std::string spec = backend ? backend->value : std::string(kHitchDefaultBackend);
      backend_comment_ = backend ? from(*backend) : "hitch's default backend";
      backend_ = backendAddress(spec, backend);
    }
    connect.set("address", YamlNode::text(backend_), backend_comment_);
  }

  std::string backendAddress(const std::string& spec, const HitchOption* option) {
    const SourceLine where = option ? option->where : SourceLine{conf_.file, 0};
    if (spec.front() == '/') {
      if (spec.size() > kMaxUnixPath) {
        fail(where, "backend \"" + spec + "\": a unix socket path is at most 107 bytes");
      }
      return "unix:" + spec;
    }
    const auto invalid = [&](const std::string& why) {
      fail(where, "backend \"" + spec + "\": " + why +
                      "; hitch wants \"[HOST]:PORT\" or a unix socket path");
    };
    if (spec.front() != '[') {
      invalid("the host must be in brackets");
    }
    const std::size_t close = spec.rfind(']');
    if (close == std::string::npos) {
      invalid("the ']' after the host is missing");
    }
    if (close + 2 >= spec.size() || spec[close + 1] != ':') {
      invalid("a ':' and a port must follow the ']'");
    }
    const std::string host = spec.substr(1, close - 1);
    if (host.empty() || host == "*") {
      invalid("the host is missing");
    }
    HitchOption port;
    port.value = spec.substr(close + 2, spec.find('+', close + 2) - close - 2);
    port.where = where;
    const std::string number = portNumber(port, "backend");
    checkHost(host, where, "backend");
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + number;
  }

  const HitchConf& conf_;
  YamlNode root_ = YamlNode::map();
  ImportReport report_;
  std::set<const HitchOption*> seen_;
  std::set<const HitchOption*> warned_relative_;
  std::set<std::string> warned_relative_files_;
  std::set<const HitchOption*> stapled_;
  std::set<const HitchOption*> verify_changed_;
  std::set<std::string> used_addresses_;
  std::vector<Certificate> global_certs_;
  TlsOptions global_tls_;
  const HitchOption* write_ip_ = nullptr;
  const HitchOption* proxy_proxy_ = nullptr;
  const HitchOption* write_v1_ = nullptr;
  const HitchOption* write_v2_ = nullptr;
  const HitchOption* proxy_tlv_ = nullptr;
  const HitchOption* proxy_authority_ = nullptr;
  const HitchOption* proxy_client_cert_ = nullptr;
  bool proxy_proxy_changed_ = false;
  bool client_cert_changed_ = false;
  std::string backend_;
  std::string backend_comment_;
};

}  // namespace

ImportResult importHitch(const HitchConf& conf) {
  return Importer(conf).run();
}

}  // namespace tlsgate
