#include "migrate/stunnel_import.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>

#include "migrate/certificate_pins.h"
#include "migrate/cipher_default.h"
#include "migrate/converted_check.h"
#include "migrate/stunnel_values.h"
#include "migrate/yaml_tree.h"
#include "util/config_error.h"
#include "util/text.h"

namespace tlsgate {
namespace {

// stunnel's own defaults for what tlsgate also has, so that a converted
// file behaves as the original did where tlsgate's defaults differ.
constexpr int64_t kDefaultTimeoutBusy = 300;
constexpr int64_t kDefaultTimeoutClose = 60;
constexpr int64_t kDefaultTimeoutConnect = 10;
constexpr int64_t kDefaultTimeoutIdle = 43200;
// stunnel 5.68's TLS 1.2 cipher list when it has no ciphers line; the
// converted file keeps tlsgate's (cipher_default.h).
constexpr std::string_view kStunnelCipherDefault = "HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK";
// tlsgate's 0 turns the session cache off; stunnel's 0 means no limit.
constexpr uint64_t kUnlimitedSessionCache = 1000000;

// Options that only the global section can hold. Every other option of the
// global section is a default for every service.
const std::set<std::string, std::less<>> kGlobalOnly = {
    "chroot",     "compression", "egd",          "engine",   "enginectrl", "enginedefault", "fips",
    "foreground", "iconactive",  "iconerror",    "iconidle", "log",        "output",        "pid",
    "rndbytes",   "rndfile",     "rndoverwrite", "service",  "syslog",     "taskbar"};

struct Reason {
  std::string_view key;
  std::string_view text;
};

// Options that tlsgate has no equivalent of, and what to do instead.
constexpr std::array<Reason, 40> kNoEquivalent = {{
    {"exec",
     "tlsgate connects to network services only; run the program as a service and connect to it"},
    {"execargs", "tlsgate connects to network services only"},
    {"pty", "tlsgate connects to network services only"},
    {"retry", "tlsgate connects to network services only"},
    {"pskidentity", "tlsgate does not do TLS with pre-shared keys; use certificates"},
    {"psksecrets", "tlsgate does not do TLS with pre-shared keys; use certificates"},
    {"engine", "tlsgate loads keys from files only, not from OpenSSL engines"},
    {"enginectrl", "tlsgate loads keys from files only, not from OpenSSL engines"},
    {"enginedefault", "tlsgate loads keys from files only, not from OpenSSL engines"},
    {"engineid", "tlsgate loads keys from files only, not from OpenSSL engines"},
    {"enginenum", "tlsgate loads keys from files only, not from OpenSSL engines"},
    {"caengine", "tlsgate loads CA certificates from files only, not from OpenSSL engines"},
    {"transparent",
     "tlsgate is not a transparent proxy; connect.proxy_protocol passes the client address "
     "instead"},
    {"local", "tlsgate takes the source address of backend connections from the routing table"},
    {"ident", "tlsgate does not do IDENT (RFC 1413) lookups"},
    {"redirect", "tlsgate closes a connection whose client certificate fails its checks"},
    {"sessiond",
     "tlsgate shares sessions between instances with session.ticket_keys, not a cache server"},
    {"libwrap", "tlsgate does not read /etc/hosts.allow; filter client addresses with a firewall"},
    {"chroot",
     "tlsgate does not chroot itself; systemd's sandboxing does more (see docs/deployment.md)"},
    {"fips", "tlsgate has no FIPS mode of its own; configure OpenSSL's FIPS provider"},
    {"compression", "TLS compression is insecure (CRIME) and tlsgate never turns it on"},
    {"service", "tlsgate has no inetd mode; systemd socket activation does that job"},
    {"pid", "tlsgate writes no PID file: it runs in the foreground and systemd tracks it"},
    {"config", "tlsgate does not pass OpenSSL configuration commands through"},
    {"logid", "tlsgate numbers connections itself (the id field of each log line)"},
    {"ocsp", "tlsgate does not check peer certificates with OCSP"},
    {"ocspaia", "tlsgate does not check peer certificates with OCSP"},
    {"ocspflag", "tlsgate does not check peer certificates with OCSP"},
    {"ocspnonce", "tlsgate does not check peer certificates with OCSP"},
    {"ocsprequire", "tlsgate does not check peer certificates with OCSP"},
    {"timeoutocsp", "tlsgate does not check peer certificates with OCSP"},
    {"crlpath", "tlsgate reads CRLs from one file (client_certs.crl), not from a hashed directory"},
    {"protocolauthentication", "tlsgate authenticates to an HTTP proxy with Basic only"},
    {"protocoldomain", "tlsgate authenticates to an HTTP proxy with Basic only"},
    {"protocolheader", "tlsgate sends no extra headers to an HTTP proxy"},
    {"reset", "tlsgate ends failed connections with a TCP FIN, never an RST"},
    {"debug", "tlsgate has one log level for the whole process, global.log.level"},
    {"socket",
     "tlsgate sets SO_REUSEADDR on listening sockets and TCP_NODELAY on connections, and no "
     "other socket option"},
    {"ticketkeysecret",
     "tlsgate reads ticket keys from a file: write one base64 80-byte key per line and set "
     "session.ticket_keys"},
    {"ticketmacsecret",
     "tlsgate reads ticket keys from a file: write one base64 80-byte key per line and set "
     "session.ticket_keys"},
}};

// Options that change nothing in tlsgate: noted in a comment, no warning.
constexpr std::array<Reason, 10> kNothingToDo = {{
    {"rndbytes", "OpenSSL 3 seeds its random generator itself"},
    {"rndfile", "OpenSSL 3 seeds its random generator itself"},
    {"rndoverwrite", "OpenSSL 3 seeds its random generator itself"},
    {"egd", "OpenSSL 3 seeds its random generator itself"},
    {"stack", "tlsgate runs no thread per connection"},
    {"foreground",
     "tlsgate always runs in the foreground; systemd or the container runtime supervises it"},
    {"delay", "tlsgate resolves backend names at every connect"},
    {"taskbar", "a Windows option"},
    {"iconactive", "a Windows option"},
    {"iconerror", "a Windows option"},
}};

bool isOptionOf(const StunnelSection& section, const StunnelOption* option) {
  return std::any_of(section.options.begin(), section.options.end(),
                     [&](const StunnelOption& own) { return &own == option; });
}

const Reason* findReason(const auto& table, std::string_view key) {
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const Reason& reason) { return reason.key == key; });
  return it == table.end() ? nullptr : &*it;
}

// One service's options: its own lines, and for what it does not set, the
// defaults of the global section.
class Service {
 public:
  Service(const StunnelSection& global, const StunnelSection& section) : section_(&section) {
    for (const StunnelOption& option : global.options) {
      if (kGlobalOnly.count(option.key) == 0 && section.last(option.key) == nullptr &&
          option.key != "setuid" && option.key != "setgid" && option.key != "debug") {
        options_[option.key].push_back(&option);
      }
    }
    for (const StunnelOption& option : section.options) {
      options_[option.key].push_back(&option);
    }
  }

  const StunnelSection& section() const { return *section_; }

  // The last value of `key`; the option counts as converted.
  const StunnelOption* take(std::string_view key) {
    const std::vector<const StunnelOption*> values = takeAll(key);
    return values.empty() ? nullptr : values.back();
  }

  std::vector<const StunnelOption*> takeAll(std::string_view key) {
    const auto it = options_.find(key);
    if (it == options_.end()) {
      return {};
    }
    taken_.insert(std::string(key));
    return it->second;
  }

  bool has(std::string_view key) const { return options_.find(key) != options_.end(); }

  // The options no one took, in file order.
  std::vector<const StunnelOption*> rest() const {
    std::vector<const StunnelOption*> out;
    for (const auto& [key, values] : options_) {
      if (taken_.count(key) == 0) {
        out.insert(out.end(), values.begin(), values.end());
      }
    }
    std::sort(out.begin(), out.end(), [](const StunnelOption* a, const StunnelOption* b) {
      return std::tie(a->where.file, a->where.line) < std::tie(b->where.file, b->where.line);
    });
    return out;
  }

 private:
  const StunnelSection* section_;
  std::map<std::string, std::vector<const StunnelOption*>, std::less<>> options_;
  std::set<std::string, std::less<>> taken_;
};

// The four stunnel timeouts, which tlsgate has once for all listeners.
struct TimeoutSetting {
  std::string_view key;      // stunnel's option, lower-case
  std::string_view name;     // as stunnel writes it
  std::string_view tlsgate;  // the key of global.timeouts
  int64_t stunnel_default;
};

constexpr std::array<TimeoutSetting, 4> kTimeouts = {{
    {"timeoutbusy", "TIMEOUTbusy", "handshake", kDefaultTimeoutBusy},
    {"timeoutconnect", "TIMEOUTconnect", "connect", kDefaultTimeoutConnect},
    {"timeoutidle", "TIMEOUTidle", "idle", kDefaultTimeoutIdle},
    {"timeoutclose", "TIMEOUTclose", "close", kDefaultTimeoutClose},
}};

class Importer {
 public:
  Importer(const StunnelConf& conf, const std::string& source_name)
      : conf_(conf), source_name_(source_name) {}

  ImportResult run() {
    if (conf_.services.empty()) {
      throw ConfigError(source_name_ + ": no [service] section: there is nothing to listen on");
    }
    doc_.note("tlsgate configuration converted from " + source_name_ +
              " by `tlsgate import stunnel`.");
    doc_.note("Each key names the line it came from; \"left out\" marks what has no equivalent.");
    YamlNode& global = doc_.child("global");
    convertGlobal(global);
    YamlNode& listeners = doc_.set("listeners", YamlNode::list());
    collectSecondaries();
    std::vector<Service> services;
    for (const StunnelSection& section : conf_.services) {
      if (secondary_of_.count(&section) == 0) {
        services.emplace_back(conf_.global, section);
      }
    }
    for (const auto& [secondary, primary] : secondary_of_) {
      if (secondary_of_.count(primary) != 0) {
        throw ConfigError(secondary->where.str() + ": [" + secondary->name + "] names [" +
                          primary->name + "] as its primary, which is itself the secondary of [" +
                          secondary_of_.at(primary)->name + "]");
      }
    }
    if (services.empty()) {
      throw ConfigError(source_name_ +
                        ": every service is an sni secondary; there is nothing to "
                        "listen on");
    }
    convertTimeouts(global, services);
    for (Service& service : services) {
      convertService(listeners, service);
    }
    reportGlobalRest(global);
    ImportResult result{doc_.render(), report_.warnings()};
    checkConverted(result.yaml);
    return result;
  }

 private:
  // -- global options -------------------------------------------------------

  void convertGlobal(YamlNode& global) {
    const StunnelSection& options = conf_.global;
    if (const StunnelOption* user = options.last("setuid")) {
      global.set("user", YamlNode::text(user->value), user->where.str());
      taken_global_.insert(user);
    }
    if (const StunnelOption* group = options.last("setgid")) {
      global.set("group", YamlNode::text(group->value), group->where.str());
      taken_global_.insert(group);
    }
    convertLogging(global);
  }

  // stunnel logs to syslog unless told not to, to `output` when set, and to
  // stderr as well in the foreground; tlsgate writes to one of them.
  void convertLogging(YamlNode& global) {
    const StunnelSection& options = conf_.global;
    YamlNode log = YamlNode::map();
    if (const StunnelOption* debug = options.last("debug")) {
      log.set("level", YamlNode::text(stunnelLogLevel(*debug)), debug->where.str());
      taken_global_.insert(debug);
    }
    const StunnelOption* output = options.last("output");
    const StunnelOption* syslog = options.last("syslog");
    const StunnelOption* foreground = options.last("foreground");
    const bool to_syslog = syslog == nullptr || stunnelYesNo(*syslog);
    const bool in_foreground = foreground != nullptr && lowerCase(foreground->value) != "no";
    if (output != nullptr) {
      log.set("file", YamlNode::text(output->value), output->where.str());
      taken_global_.insert(output);
      if (syslog != nullptr && to_syslog) {
        report_.changed(syslog->where, "syslog = yes: tlsgate logs to one place, the output file");
      }
    } else if (to_syslog && !in_foreground) {
      log.set("file", YamlNode::text("syslog"),
              syslog != nullptr ? syslog->where.str() : "stunnel's default: syslog = yes");
    } else {
      log.set("file", YamlNode::text("stderr"),
              foreground != nullptr ? foreground->where.str() : "");
      if (foreground != nullptr && to_syslog && syslog != nullptr) {
        report_.changed(syslog->where, "syslog = yes with foreground: tlsgate logs to stderr only");
      }
    }
    if (syslog != nullptr) {
      taken_global_.insert(syslog);
    }
    if (const StunnelOption* mode = options.last("log")) {
      taken_global_.insert(mode);
      if (lowerCase(mode->value) == "overwrite") {
        report_.changed(mode->where, "log = overwrite: tlsgate appends to its log file");
      } else {
        log.note(optionText(*mode) + " (" + mode->where.str() + "): tlsgate appends too");
      }
    }
    global.set("log", std::move(log));
  }

  void reportGlobalRest(YamlNode& global) {
    for (const StunnelOption& option : conf_.global.options) {
      if (taken_global_.count(&option) != 0 || reported_.count(&option) != 0) {
        continue;
      }
      if (kGlobalOnly.count(option.key) != 0 || option.key == "setuid" || option.key == "setgid" ||
          option.key == "debug") {
        leaveOut(global, option);
      }
    }
  }

  // -- timeouts -------------------------------------------------------------

  // Each timeout takes the value of the services; where they differ, the
  // longest, with a warning for each service that had another.
  void convertTimeouts(YamlNode& global, std::vector<Service>& services) {
    YamlNode& timeouts = global.child("timeouts");
    for (const TimeoutSetting& setting : kTimeouts) {
      std::vector<std::pair<int64_t, const StunnelOption*>> values;
      for (Service& service : services) {
        const StunnelOption* option = service.take(setting.key);
        values.emplace_back(option != nullptr ? stunnelSeconds(*option) : setting.stunnel_default,
                            option);
      }
      const auto longest =
          std::max_element(values.begin(), values.end(),
                           [](const auto& a, const auto& b) { return a.first < b.first; });
      int64_t seconds = longest->first;
      std::string comment = longest->second != nullptr
                                ? longest->second->where.str()
                                : "stunnel's default " + std::string(setting.name) + " = " +
                                      std::to_string(setting.stunnel_default);
      if (seconds == 0) {
        // tlsgate's timeouts are longer than zero; stunnel's TIMEOUTclose = 0
        // means not waiting at all.
        seconds = 1;
        report_.changed(longest->second->where,
                        std::string(setting.name) + " = 0: tlsgate waits at least 1s");
      }
      timeouts.set(setting.tlsgate, YamlNode::plain(durationText(seconds)), comment);
      // One warning for each line that set another value, naming the
      // services it set it for: a global default is one line for many.
      std::map<const StunnelOption*, std::string> shorter;
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto& [value, option] = values[i];
        if (value != longest->first && option != nullptr) {
          std::string& names = shorter[option];
          names += (names.empty() ? "[" : ", [") + services[i].section().name + "]";
        }
      }
      for (const auto& [option, names] : shorter) {
        report_.changed(option->where, std::string(setting.name) + " = " + option->value + " for " +
                                           names +
                                           ": tlsgate's timeouts are the same for every "
                                           "listener, and the longest one, " +
                                           durationText(seconds) + ", applies");
      }
    }
  }

  // -- sni secondaries --------------------------------------------------------

  // client = yes in the section, or else in the global section.
  bool isClient(const StunnelSection& section) const {
    const StunnelOption* client = section.last("client");
    if (client == nullptr) {
      client = conf_.global.last("client");
    }
    return client != nullptr && stunnelYesNo(*client);
  }

  void collectSecondaries() {
    for (const StunnelSection& section : conf_.services) {
      if (isClient(section)) {
        continue;
      }
      for (const StunnelOption* sni : section.all("sni")) {
        const std::size_t colon = sni->value.find(':');
        if (colon == std::string::npos) {
          continue;
        }
        const std::string primary = sni->value.substr(0, colon);
        const auto it = std::find_if(conf_.services.begin(), conf_.services.end(),
                                     [&](const StunnelSection& s) { return s.name == primary; });
        if (it == conf_.services.end()) {
          throw ConfigError(sni->where.str() + ": sni: no service is called [" + primary + "]");
        }
        if (&*it == &section) {
          throw ConfigError(sni->where.str() + ": sni: [" + primary +
                            "] cannot be its own primary service");
        }
        if (isClient(*it)) {
          throw ConfigError(sni->where.str() + ": sni: [" + primary +
                            "] is a client service; the primary of an sni secondary accepts TLS");
        }
        secondary_of_[&section] = &*it;
        secondaries_[&*it].push_back(&section);
        break;
      }
    }
  }

  // -- services ---------------------------------------------------------------

  void convertService(YamlNode& listeners, Service& service) {
    const StunnelSection& section = service.section();
    const StunnelOption* client = service.take("client");
    const bool is_client = client != nullptr && stunnelYesNo(*client);
    std::vector<const StunnelOption*> accepts = service.takeAll("accept");
    if (accepts.empty()) {
      throw ConfigError(section.where.str() + ": [" + section.name +
                        "] has no accept address; tlsgate listens on addresses only (for "
                        "inetd mode, use systemd socket activation)");
    }
    YamlNode listener = YamlNode::map();
    listener.set("name", YamlNode::text(section.name), section.where.str());
    YamlNode& accept = listener.child("accept");
    accept.set("address", YamlNode::text(stunnelAddress(*accepts.front(), "0.0.0.0")),
               accepts.front()->where.str());
    convertUnixSocketOwner(accept, service, *accepts.front());
    YamlNode& connect = listener.child("connect");
    if (is_client) {
      convertConnectAddresses(connect, service);
      convertClientProtocol(connect, service);
      convertClientTls(connect.child("tls"), service);
    } else {
      convertServerTls(accept.child("tls"), service);
      convertConnectAddresses(connect, service);
      convertServerProtocol(accept, connect, service);
      convertSecondaries(listener, service);
    }
    service.take("sni");  // the client side's and a primary's are converted above
    reportRest(listener, service);
    listeners.append(std::move(listener));
    for (std::size_t i = 1; i < accepts.size(); ++i) {
      report_.changed(accepts[i]->where,
                      "a second accept address: tlsgate listens on one address per listener; "
                      "copy the listener [" +
                          section.name + "] with this address and another name");
    }
  }

  // setuid/setgid in a service set the owner of its unix accept socket.
  void convertUnixSocketOwner(YamlNode& accept, Service& service, const StunnelOption& address) {
    const StunnelOption* owner = service.take("setuid");
    const StunnelOption* group = service.take("setgid");
    if (owner == nullptr && group == nullptr) {
      return;
    }
    if (address.value.empty() || address.value.front() != '/') {
      for (const StunnelOption* option : {owner, group}) {
        if (option != nullptr) {
          leaveOut(accept, *option, "only a unix accept socket has an owner");
        }
      }
      return;
    }
    YamlNode& unix_socket = accept.child("unix_socket");
    if (owner != nullptr) {
      unix_socket.set("owner", YamlNode::text(owner->value), owner->where.str());
    }
    if (group != nullptr) {
      unix_socket.set("group", YamlNode::text(group->value), group->where.str());
    }
  }

  void convertConnectAddresses(YamlNode& connect, Service& service) {
    const std::vector<const StunnelOption*> targets = service.takeAll("connect");
    const StunnelOption* failover = service.take("failover");
    if (targets.empty()) {
      throw ConfigError(service.section().where.str() + ": [" + service.section().name +
                        "] has no connect address" +
                        (service.has("exec") ? "; tlsgate cannot run programs (exec)" : ""));
    }
    if (targets.size() == 1) {
      connect.set("address", YamlNode::text(stunnelAddress(*targets.front(), "localhost")),
                  targets.front()->where.str());
    } else {
      YamlNode& list = connect.set("address", YamlNode::list(), targets.front()->where.str());
      std::set<std::string> seen;
      for (const StunnelOption* target : targets) {
        const std::string address = stunnelAddress(*target, "localhost");
        if (!seen.insert(address).second) {
          report_.changed(target->where, "connect = " + target->value +
                                             " again: tlsgate lists each backend once, so it "
                                             "gets no larger share of the connections");
          continue;
        }
        list.append(YamlNode::text(address), target->where.str());
      }
      // stunnel's default is prio: the first backend that answers.
      const bool round_robin = failover != nullptr && lowerCase(failover->value) == "rr";
      if (failover != nullptr && !round_robin && lowerCase(failover->value) != "prio") {
        throw ConfigError(failover->where.str() + ": failover: expected rr or prio, found '" +
                          failover->value + "'");
      }
      connect.set(
          "balance", YamlNode::text(round_robin ? "round_robin" : "failover"),
          failover != nullptr ? failover->where.str() : "stunnel's default: failover = prio");
    }
  }

  // -- the TLS policy both sides share ------------------------------------------

  void convertPolicy(YamlNode& tls, Service& service, bool server) {
    const StunnelOption* ciphers = service.take("ciphers");
    if (ciphers != nullptr) {
      tls.set("cipher", YamlNode::text(ciphers->value), ciphers->where.str());
    }
    if (const StunnelOption* suites = service.take("ciphersuites")) {
      tls.set("ciphersuites", YamlNode::text(suites->value), suites->where.str());
    }
    if (const StunnelOption* curves = service.take("curves")) {
      tls.set("groups", YamlNode::text(curves->value), curves->where.str());
    }
    const StunnelOption* level = service.take("securitylevel");
    const uint64_t security_level = level != nullptr ? stunnelNumber(*level) : 2;
    if (level != nullptr) {
      if (security_level > 5) {
        throw ConfigError(level->where.str() + ": securityLevel: expected 0 to 5, found '" +
                          level->value + "'");
      }
      tls.set("security_level", YamlNode::plain(std::to_string(security_level)),
              level->where.str());
    }
    convertOptions(tls, service, server);
    if (convertProtocols(tls, service, security_level) && ciphers == nullptr) {
      noteCipherDefault(tls, service);
    }
    if (const StunnelOption* renegotiation = service.take("renegotiation")) {
      if (stunnelYesNo(*renegotiation)) {
        report_.changed(renegotiation->where,
                        "renegotiation = yes: tlsgate never renegotiates (TLS 1.3 has no "
                        "renegotiation; for TLS 1.2 it is a denial-of-service risk)");
      } else {
        tls.note(optionText(*renegotiation) + " (" + renegotiation->where.str() +
                 "): tlsgate never renegotiates");
      }
    }
  }

  // stunnel's TLS 1.2 default admits CBC suites; tlsgate's does not, and
  // that default is kept. Said in each tls block it applies to, and warned
  // about once: it is one difference, however many services share it.
  void noteCipherDefault(YamlNode& tls, const Service& service) {
    tls.note(cipherDefaultNote("stunnel", kStunnelCipherDefault));
    if (cipher_default_noted_) {
      return;
    }
    cipher_default_noted_ = true;
    report_.changed(service.section().where,
                    cipherDefaultWarning("stunnel", kStunnelCipherDefault,
                                         ", for this and every other service without ciphers", ""));
  }

  // Returns whether the versions include TLS 1.2 or an earlier one, to
  // which `ciphers` applies.
  bool convertProtocols(YamlNode& tls, Service& service, uint64_t security_level) {
    const StunnelOption* exact = service.take("sslversion");
    const StunnelOption* min = service.take("sslversionmin");
    const StunnelOption* max = service.take("sslversionmax");
    auto version = [](const StunnelOption* option, StunnelTlsVersion all) {
      return lowerCase(option->value) == "all" ? all : stunnelTlsVersion(*option);
    };
    StunnelTlsVersion low = StunnelTlsVersion::tls1_0;  // stunnel's default sslVersionMin
    StunnelTlsVersion high = StunnelTlsVersion::tls1_3;
    if (exact != nullptr) {
      low = high = version(exact, StunnelTlsVersion::tls1_3);
      if (lowerCase(exact->value) == "all") {
        low = StunnelTlsVersion::sslv3;
      }
    }
    if (min != nullptr) {
      low = version(min, StunnelTlsVersion::sslv3);
    }
    if (max != nullptr) {
      high = version(max, StunnelTlsVersion::tls1_3);
    }
    std::vector<std::string> names;
    const StunnelOption* written = exact != nullptr ? exact : (min != nullptr ? min : max);
    for (auto v = static_cast<int>(low); v <= static_cast<int>(high); ++v) {
      const auto current = static_cast<StunnelTlsVersion>(v);
      if (disabled_.count(current) != 0) {
        continue;
      }
      switch (current) {
        case StunnelTlsVersion::sslv2:
        case StunnelTlsVersion::sslv3:
          // OpenSSL 3 refuses SSLv3 at every security level above 0 as
          // stunnel runs it; tlsgate refuses it at all of them.
          if (security_level == 0 && written != nullptr) {
            report_.leftOut(written->where, "SSLv3", "tlsgate never speaks SSL");
          }
          break;
        case StunnelTlsVersion::tls1_0:
          if (security_level == 0) {
            names.emplace_back("tls1.0");
          }
          break;
        case StunnelTlsVersion::tls1_1:
          if (security_level == 0) {
            names.emplace_back("tls1.1");
          }
          break;
        case StunnelTlsVersion::tls1_2:
          names.emplace_back("tls1.2");
          break;
        case StunnelTlsVersion::tls1_3:
          names.emplace_back("tls1.3");
          break;
      }
    }
    const bool below_tls13 = std::any_of(names.begin(), names.end(),
                                         [](const std::string& name) { return name != "tls1.3"; });
    if (written == nullptr && disabled_.empty() &&
        names == std::vector<std::string>{"tls1.2", "tls1.3"}) {
      return below_tls13;  // tlsgate's default: what OpenSSL 3 lets stunnel speak
    }
    if (names.empty()) {
      throw ConfigError(
          (written != nullptr ? written->where.str() : service.section().where.str()) + ": [" +
          service.section().name +
          "] allows no TLS version that OpenSSL 3 speaks at this security level");
    }
    YamlNode& list = tls.set("protocols", YamlNode::list(),
                             written != nullptr ? written->where.str() : "from options = NO_...");
    for (const std::string& name : names) {
      list.append(YamlNode::text(name));
    }
    return below_tls13;
  }

  // options = NAME / -NAME lines: the protocol switches become protocols,
  // NO_TICKET a session setting; OpenSSL 3's defaults need nothing.
  void convertOptions(YamlNode& tls, Service& service, bool server) {
    disabled_.clear();
    for (const StunnelOption* option : service.takeAll("options")) {
      const std::string name = lowerCase(option->value);
      if (name == "no_sslv2" || name == "no_sslv3" || name == "no_compression" ||
          name == "single_dh_use" || name == "single_ecdh_use" ||
          name == "dont_insert_empty_fragments" || name == "no_renegotiation" ||
          name == "cipher_server_preference") {
        tls.note(optionText(*option) + " (" + option->where.str() +
                 "): what OpenSSL 3 and tlsgate do anyway");
        continue;
      }
      if (name == "no_tlsv1" || name == "no_tlsv1.0" || name == "no_tlsv1_0") {
        disabled_.insert(StunnelTlsVersion::tls1_0);
      } else if (name == "no_tlsv1_1" || name == "no_tlsv1.1") {
        disabled_.insert(StunnelTlsVersion::tls1_1);
      } else if (name == "no_tlsv1_2" || name == "no_tlsv1.2") {
        disabled_.insert(StunnelTlsVersion::tls1_2);
      } else if (name == "no_tlsv1_3" || name == "no_tlsv1.3") {
        disabled_.insert(StunnelTlsVersion::tls1_3);
      } else if (name == "no_ticket" && server) {
        tls.child("session").set("tickets", YamlNode::plain("false"), option->where.str());
      } else if (name == "no_ticket") {
        tls.note(optionText(*option) + " (" + option->where.str() +
                 "): tlsgate's connect side resumes the last session of each backend");
      } else if (name == "-no_sslv3" || name == "-no_sslv2") {
        leaveOut(tls, *option, "tlsgate never speaks SSL");
      } else {
        leaveOut(tls, *option, "tlsgate does not set this OpenSSL option");
      }
    }
  }

  void convertCertificate(YamlNode& node, Service& service) {
    const StunnelOption* cert = service.take("cert");
    const StunnelOption* key = service.take("key");
    if (cert == nullptr) {
      if (key != nullptr) {
        leaveOut(node, *key, "a key without cert is not used");
      }
      return;
    }
    node.set("cert", YamlNode::text(cert->value), cert->where.str());
    if (key != nullptr) {
      node.set("key", YamlNode::text(key->value), key->where.str());
    }
    const std::string lower = lowerCase(cert->value);
    if (lower.ends_with(".p12") || lower.ends_with(".pfx")) {
      report_.changed(cert->where,
                      "cert is PKCS#12: tlsgate reads PEM or DER; convert it with "
                      "`openssl pkcs12 -in FILE -nodes -out FILE.pem`");
    }
  }

  // -- the server side ------------------------------------------------------------

  void convertServerTls(YamlNode& tls, Service& service) {
    YamlNode& certificates = tls.set("certificates", YamlNode::list());
    YamlNode certificate = YamlNode::map();
    convertCertificate(certificate, service);
    if (certificate.empty()) {
      throw ConfigError(service.section().where.str() + ": [" + service.section().name +
                        "] is a server service without cert; stunnel needs one too");
    }
    certificates.append(std::move(certificate));
    convertPolicy(tls, service, true);
    convertServerVerification(tls, service);
    convertServerSessions(tls, service);
  }

  void convertServerVerification(YamlNode& tls, Service& service) {
    const Verification verification = readVerification(service);
    const StunnelOption* cafile = service.take("cafile");
    const StunnelOption* capath = service.take("capath");
    const StunnelOption* crl = service.take("crlfile");
    std::vector<const StunnelOption*> hosts = service.takeAll("checkhost");
    std::vector<const StunnelOption*> ips = service.takeAll("checkip");
    std::vector<const StunnelOption*> emails = service.takeAll("checkemail");
    if (!verification.chain && !verification.peer && !verification.optional) {
      // verify = 0 asks for a certificate and ignores it: the same clients
      // get in when tlsgate does not ask.
      if (verification.request_ignored) {
        tls.note(optionText(*verification.source) + " (" + verification.where().str() +
                 "): stunnel asked for a client certificate and ignored it; tlsgate does not ask");
      }
      for (const StunnelOption* unused : {cafile, capath, crl}) {
        if (unused != nullptr) {
          tls.note(optionText(*unused) + " (" + unused->where.str() +
                   "): not used, as stunnel does not verify clients here either");
        }
      }
      return;
    }
    YamlNode& clients = tls.child("client_certs");
    const bool require = verification.require();
    clients.set("mode", YamlNode::text(require ? "require" : "request"),
                verification.where().str());
    if (cafile != nullptr) {
      clients.set("cafile", YamlNode::text(cafile->value), cafile->where.str());
    }
    if (capath != nullptr) {
      clients.set("cadir", YamlNode::text(capath->value), capath->where.str());
    }
    if (cafile == nullptr && capath == nullptr) {
      report_.changed(verification.where(),
                      "no CAfile or CApath: tlsgate verifies client certificates against the "
                      "system trust store");
    }
    if (crl != nullptr) {
      clients.set("crl", YamlNode::text(crl->value), crl->where.str());
    }
    YamlNode allow = YamlNode::map();
    if (!hosts.empty()) {
      YamlNode& names = allow.set("san_dns", YamlNode::list(), hosts.front()->where.str());
      for (const StunnelOption* host : hosts) {
        names.append(YamlNode::text(lowerCase(host->value)), host->where.str());
      }
    }
    if (!ips.empty()) {
      YamlNode& addresses = allow.set("san_ip", YamlNode::list(), ips.front()->where.str());
      for (const StunnelOption* ip : ips) {
        addresses.append(YamlNode::text(ip->value), ip->where.str());
      }
    }
    for (const StunnelOption* email : emails) {
      leaveOut(clients, *email,
               "tlsgate cannot admit client certificates by e-mail address; pin them "
               "(allow.sha256) or name them (allow.subject_cn)");
    }
    if (verification.peer) {
      convertPeerPins(allow, "sha256", cafile, capath, verification);
      if (!verification.chain) {
        report_.changed(verification.where(),
                        "verifyPeer without verifyChain: tlsgate also verifies the chain to "
                        "CAfile/CApath; a self-signed client certificate in CAfile passes");
      }
    }
    if (!allow.empty()) {
      clients.set("allow", std::move(allow));
    }
  }

  void convertServerSessions(YamlNode& tls, Service& service) {
    const StunnelOption* size = service.take("sessioncachesize");
    const StunnelOption* timeout = service.take("sessioncachetimeout");
    const StunnelOption* resume = service.take("sessionresume");
    if (size == nullptr && timeout == nullptr && resume == nullptr) {
      return;
    }
    YamlNode& session = tls.child("session");
    if (resume != nullptr && !stunnelYesNo(*resume)) {
      session.set("tickets", YamlNode::plain("false"), resume->where.str());
      session.set("cache_size", YamlNode::plain("0"), resume->where.str());
      return;
    }
    if (size != nullptr) {
      const uint64_t entries = stunnelNumber(*size);
      if (entries == 0) {
        session.set("cache_size", YamlNode::plain(std::to_string(kUnlimitedSessionCache)),
                    size->where.str());
        report_.changed(size->where, "sessionCacheSize = 0 (no limit): tlsgate keeps at most " +
                                         std::to_string(kUnlimitedSessionCache) + " sessions");
      } else {
        session.set("cache_size", YamlNode::plain(std::to_string(entries)), size->where.str());
      }
    }
    if (timeout != nullptr) {
      const int64_t seconds = stunnelSeconds(*timeout);
      if (seconds == 0) {
        throw ConfigError(timeout->where.str() + ": sessionCacheTimeout: must be longer than 0");
      }
      session.set("timeout", YamlNode::plain(durationText(seconds)), timeout->where.str());
    }
  }

  // accept.starttls for the mail protocols; the PROXY header for `proxy`.
  void convertServerProtocol(YamlNode& accept, YamlNode& connect, Service& service) {
    const StunnelOption* protocol = service.take("protocol");
    if (protocol == nullptr) {
      return;
    }
    const std::string name = lowerCase(protocol->value);
    if (name == "smtp" || name == "imap" || name == "pop3") {
      accept.set("starttls", YamlNode::text(name), protocol->where.str());
    } else if (name == "proxy") {
      connect.set("proxy_protocol", YamlNode::text("v1"), protocol->where.str());
    } else {
      leaveOut(accept, *protocol,
               "tlsgate's accept side offers STARTTLS for smtp, imap and pop3 only");
    }
    for (const char* unused : {"protocolhost", "protocolusername", "protocolpassword"}) {
      if (const StunnelOption* option = service.take(unused)) {
        leaveOut(accept, *option, "used by client services only");
      }
    }
  }

  // Services with `sni = THIS:PATTERN`: a certificate and a route each.
  void convertSecondaries(YamlNode& listener, Service& primary) {
    const auto it = secondaries_.find(&primary.section());
    if (it == secondaries_.end()) {
      return;
    }
    YamlNode& certificates = *listener.child("accept").child("tls").find("certificates");
    YamlNode& routes = listener.set("routes", YamlNode::list());
    for (const StunnelSection* section : it->second) {
      Service secondary(conf_.global, *section);
      YamlNode certificate = YamlNode::map();
      convertCertificate(certificate, secondary);
      if (!certificate.empty()) {
        certificates.append(std::move(certificate),
                            "[" + section->name + "] " + section->where.str());
      }
      YamlNode route = YamlNode::map();
      const std::string origin = "[" + section->name + "] " + section->where.str();
      YamlNode& names =
          route.set("match", YamlNode::map(), origin).set("sni", YamlNode::list(), origin);
      for (const StunnelOption* sni : secondary.takeAll("sni")) {
        const std::size_t colon = sni->value.find(':');
        if (colon != std::string::npos) {
          names.append(YamlNode::text(lowerCase(sni->value.substr(colon + 1))), sni->where.str());
        }
      }
      if (secondary.has("connect")) {
        convertConnectAddresses(route.child("connect"), secondary);
      } else {
        convertConnectAddresses(route.child("connect"), primary);
      }
      routes.append(std::move(route), origin);
      secondary.takeAll("accept");
      secondary.take("client");
      // The secondary's own options beyond these; the global defaults it
      // inherits are the primary's too.
      for (const StunnelOption* option : secondary.rest()) {
        if (isOptionOf(*section, option)) {
          report_.changed(option->where, optionText(*option) +
                                             ": tlsgate applies the TLS "
                                             "settings of [" +
                                             primary.section().name + "] to every name");
        }
      }
    }
  }

  // -- the client side --------------------------------------------------------------

  void convertClientTls(YamlNode& tls, Service& service) {
    if (const StunnelOption* sni = service.take("sni")) {
      if (sni->value.empty()) {
        leaveOut(tls, *sni, "tlsgate sends SNI whenever the backend is a name");
      } else {
        tls.set("servername", YamlNode::text(sni->value), sni->where.str());
      }
    }
    convertClientVerification(tls, service);
    convertCertificate(tls, service);
    convertPolicy(tls, service, false);
    if (const StunnelOption* resume = service.take("sessionresume")) {
      if (!stunnelYesNo(*resume)) {
        tls.child("session").set("resume", YamlNode::plain("false"), resume->where.str());
      }
    }
    for (const char* server_only : {"sessioncachesize", "sessioncachetimeout"}) {
      if (const StunnelOption* option = service.take(server_only)) {
        tls.note(optionText(*option) + " (" + option->where.str() +
                 "): tlsgate keeps the last session of each backend");
      }
    }
  }

  void convertClientVerification(YamlNode& tls, Service& service) {
    const Verification verification = readVerification(service);
    const StunnelOption* cafile = service.take("cafile");
    const StunnelOption* capath = service.take("capath");
    const std::vector<const StunnelOption*> hosts = service.takeAll("checkhost");
    const std::vector<const StunnelOption*> ips = service.takeAll("checkip");
    if (const StunnelOption* crl = service.take("crlfile")) {
      leaveOut(tls, *crl, "tlsgate's connect side does not check CRLs");
    }
    for (const StunnelOption* email : service.takeAll("checkemail")) {
      leaveOut(tls, *email, "tlsgate verifies a backend by its name or IP address");
    }
    if (cafile != nullptr) {
      tls.set("cafile", YamlNode::text(cafile->value), cafile->where.str());
    }
    if (capath != nullptr) {
      tls.set("cadir", YamlNode::text(capath->value), capath->where.str());
    }
    const std::string host = backendHost(service);
    // verify = 0 on a client asks for nothing that a server does not send anyway.
    if (!verification.chain && !verification.peer && host.empty() && hosts.empty() && ips.empty()) {
      tls.set("verify", YamlNode::plain("false"), service.section().where.str());
      report_.changed(service.section().where,
                      "[" + service.section().name +
                          "] did not verify the server's certificate, and its unix socket has no "
                          "name to verify it by: verify: false, as before. Add checkHost = NAME "
                          "to verify it");
      return;
    }
    const std::vector<const StunnelOption*> names = hosts.empty() ? ips : hosts;
    if (!verification.chain && !verification.peer) {
      tls.set("verify", YamlNode::plain("true"),
              "tlsgate's default; stunnel verified nothing: " + service.section().where.str());
      // stunnel checks no name without verification; for a unix socket,
      // which has none, checkHost's is the one to verify.
      if (host.empty()) {
        convertPeerName(tls, hosts, ips);
      }
      report_.changed(
          service.section().where,
          "[" + service.section().name +
              "] did not verify the server's certificate; tlsgate verifies it " +
              (cafile != nullptr || capath != nullptr ? "against CAfile/CApath"
                                                      : "against the system trust store") +
              " and the name '" + (host.empty() ? names.front()->value : host) +
              "'. To keep the old behaviour, set verify: false");
      return;
    }
    if (names.empty() && host.empty()) {
      throw ConfigError(verification.where().str() +
                        ": a unix-socket backend has no name, and tlsgate verifies a name as well "
                        "as the chain: add checkHost = NAME, the name in its certificate");
    }
    tls.set("verify", YamlNode::plain("true"), verification.where().str());
    if (!verification.chain) {
      // verifyPeer alone trusts the certificates of CAfile whatever their
      // chain; tlsgate checks pins after the chain and the name.
      report_.changed(verification.where(),
                      "verifyPeer without verifyChain: tlsgate also verifies the chain to "
                      "CAfile/CApath and the name '" +
                          (names.empty() ? host : names.front()->value) +
                          "'; a self-signed peer certificate in CAfile passes both");
    }
    if (!names.empty()) {
      convertPeerName(tls, hosts, ips);
    } else if (verification.chain && !verification.peer) {
      report_.changed(verification.where(),
                      "stunnel checked the chain only; tlsgate also checks that the certificate "
                      "names '" +
                          host + "' (set peer_name to check another name)");
    }
    if (verification.peer) {
      convertPeerPins(tls, "pin_sha256", cafile, capath, verification);
    }
  }

  // checkHost, else checkIP: tlsgate verifies one name, the first.
  void convertPeerName(YamlNode& tls, const std::vector<const StunnelOption*>& hosts,
                       const std::vector<const StunnelOption*>& ips) {
    const std::vector<const StunnelOption*>& names = hosts.empty() ? ips : hosts;
    tls.set("peer_name", YamlNode::text(names.front()->value), names.front()->where.str());
    for (std::size_t i = 1; i < names.size(); ++i) {
      leaveOut(tls, *names[i], "tlsgate verifies one name, " + names.front()->value);
    }
    if (!hosts.empty()) {
      for (const StunnelOption* ip : ips) {
        leaveOut(tls, *ip, "tlsgate verifies one name, " + names.front()->value);
      }
    }
  }

  // The name tlsgate verifies the backend by unless checkHost says another:
  // the SNI name, else the host of the TLS server's address (behind an HTTP
  // proxy, protocolHost's). Empty for a unix socket.
  static std::string backendHost(Service& service) {
    if (const StunnelOption* sni = service.take("sni"); sni != nullptr && !sni->value.empty()) {
      return sni->value;
    }
    const StunnelOption* protocol = service.take("protocol");
    const std::vector<const StunnelOption*> targets =
        protocol != nullptr && lowerCase(protocol->value) == "connect"
            ? service.takeAll("protocolhost")
            : service.takeAll("connect");
    // One unix socket among the backends leaves no name for all of them.
    const bool any_unix =
        std::any_of(targets.begin(), targets.end(), [](const StunnelOption* target) {
          return target->value.empty() || target->value.front() == '/';
        });
    if (targets.empty() || any_unix) {
      return "";
    }
    const std::string host = stunnelHost(targets.back()->value);
    return host.empty() ? "localhost" : host;
  }

  // STARTTLS towards the backend, or an HTTP proxy in between.
  void convertClientProtocol(YamlNode& connect, Service& service) {
    const StunnelOption* protocol = service.take("protocol");
    const StunnelOption* host = service.take("protocolhost");
    const StunnelOption* user = service.take("protocolusername");
    const StunnelOption* password = service.take("protocolpassword");
    if (protocol == nullptr) {
      return;
    }
    const std::string name = lowerCase(protocol->value);
    if (name == "smtp" || name == "imap" || name == "pop3" || name == "pgsql") {
      connect.set("starttls", YamlNode::text(name == "pgsql" ? "postgres" : name),
                  protocol->where.str());
      if (host != nullptr) {
        leaveOut(connect, *host, "tlsgate sends its own host name in EHLO");
      }
    } else if (name == "proxy") {
      connect.set("proxy_protocol", YamlNode::text("v1"), protocol->where.str());
    } else if (name == "connect") {
      convertHttpProxy(connect, *protocol, host);
    } else {
      leaveOut(
          connect, *protocol,
          "tlsgate's connect side speaks STARTTLS for smtp, imap, pop3, ftp and postgres only");
    }
    for (const StunnelOption* option : {user, password}) {
      if (option != nullptr) {
        leaveOut(connect, *option,
                 "tlsgate reads proxy credentials from a file: put 'user:password' on its first "
                 "line and set via.auth_file");
      }
    }
  }

  // protocol = connect: `connect` is the proxy, protocolHost the backend.
  static void convertHttpProxy(YamlNode& connect, const StunnelOption& protocol,
                               const StunnelOption* host) {
    if (host == nullptr) {
      throw ConfigError(protocol.where.str() +
                        ": protocol = connect needs protocolHost, the backend behind the proxy");
    }
    YamlNode* proxy = connect.find("address");
    YamlNode& via = connect.child("via");
    via.set("http_connect", std::move(*proxy), protocol.where.str());
    connect.set("address", YamlNode::text(stunnelAddress(*host, "localhost")), host->where.str());
  }

  // -- verification levels ------------------------------------------------------------

  struct Verification {
    bool chain = false;            // verifyChain, verify >= 2 (but 4)
    bool peer = false;             // verifyPeer, verify >= 3
    bool optional = false;         // verify = 1, or requireCert = no
    bool request_ignored = false;  // verify = 0
    const StunnelOption* source = nullptr;

    bool any() const { return chain || peer || optional || request_ignored; }
    bool require() const { return (chain || peer) && !optional; }
    SourceLine where() const { return source->where; }
  };

  static Verification readVerification(Service& service) {
    Verification out;
    if (const StunnelOption* level = service.take("verify")) {
      const uint64_t value = stunnelNumber(*level);
      out.source = level;
      switch (value) {
        case 0:
          out.request_ignored = true;
          break;
        case 1:
          out.chain = true;
          out.optional = true;
          break;
        case 2:
          out.chain = true;
          break;
        case 3:
          out.chain = true;
          out.peer = true;
          break;
        case 4:
          out.peer = true;
          break;
        default:
          throw ConfigError(level->where.str() + ": verify: expected 0 to 4, found '" +
                            level->value + "'");
      }
    }
    if (const StunnelOption* chain = service.take("verifychain"); chain != nullptr) {
      out.chain = stunnelYesNo(*chain);
      out.source = chain;
    }
    if (const StunnelOption* peer = service.take("verifypeer"); peer != nullptr) {
      out.peer = stunnelYesNo(*peer);
      out.source = out.source != nullptr ? out.source : peer;
    }
    if (const StunnelOption* require = service.take("requirecert"); require != nullptr) {
      if (!stunnelYesNo(*require) && (out.chain || out.peer)) {
        out.optional = true;
      }
    }
    if (out.source == nullptr) {
      out = Verification{};
    }
    return out;
  }

  // verifyPeer: the peer's own certificate must be one of CAfile's.
  void convertPeerPins(YamlNode& node, std::string_view key, const StunnelOption* cafile,
                       const StunnelOption* capath, const Verification& verification) {
    if (cafile == nullptr) {
      report_.changed(capath != nullptr ? capath->where : verification.where(),
                      "verifyPeer with " + std::string(capath != nullptr ? "CApath" : "no CAfile") +
                          ": pin the peer certificates by hand (" + std::string(key) +
                          ", as `tlsgate cert-info` prints them)");
      return;
    }
    const PinReading& pins = pinsOf(cafile->value);
    if (!pins.error.empty()) {
      report_.changed(cafile->where, "verifyPeer: " + pins.error + "; pin the peer certificates " +
                                         "by hand (" + std::string(key) + ")");
      return;
    }
    YamlNode& list = node.set(key, YamlNode::list(), "the certificates of " + cafile->where.str());
    for (const std::string& pin : pins.sha256) {
      list.append(YamlNode::text(pin));
    }
  }

  // Each CAfile is read once, however many verifyPeer services name it: a
  // file of every service's peers, or a whole CA bundle, can be large.
  const PinReading& pinsOf(const std::string& path) {
    auto it = pins_.find(path);
    if (it == pins_.end()) {
      it = pins_.emplace(path, certificatePins(path)).first;
    }
    return it->second;
  }

  // -- what is left -------------------------------------------------------------------

  void reportRest(YamlNode& listener, Service& service) {
    for (const StunnelOption* option : service.rest()) {
      if (reported_.count(option) != 0) {
        continue;
      }
      leaveOut(listener, *option);
    }
  }

  void leaveOut(YamlNode& node, const StunnelOption& option) {
    if (const std::string done = whatTlsgateDoesAnyway(option); !done.empty()) {
      node.note(optionText(option) + " (" + option.where.str() + "): " + done);
      reported_.insert(&option);
      return;
    }
    if (const Reason* nothing = findReason(kNothingToDo, option.key)) {
      node.note(optionText(option) + " (" + option.where.str() +
                "): " + std::string(nothing->text));
      reported_.insert(&option);
      return;
    }
    const Reason* reason = findReason(kNoEquivalent, option.key);
    leaveOut(node, option,
             reason != nullptr ? std::string(reason->text)
                               : "tlsgate has no equivalent of stunnel's " + option.name);
  }

  // Values of pid and socket that say what tlsgate does without being told;
  // empty for any other.
  static std::string whatTlsgateDoesAnyway(const StunnelOption& option) {
    if (option.key == "pid" && option.value.empty()) {
      return "no PID file, as tlsgate writes none";
    }
    if (option.key == "reset" && lowerCase(option.value) == "no") {
      return "tlsgate ends failed connections with a FIN too";
    }
    // Switches that tlsgate has no equivalent of, turned off.
    const std::string value = lowerCase(option.value);
    for (const char* key : {"ocspaia", "ocspnonce", "ocsprequire", "fips", "libwrap", "retry",
                            "pty", "compression"}) {
      if (option.key == key && value == "no") {
        return "off, as in tlsgate";
      }
    }
    if (option.key == "transparent" && (value == "none" || value == "no")) {
      return "off, as in tlsgate";
    }
    if (option.key != "socket") {
      return "";
    }
    for (const char* done : {"a:so_reuseaddr=yes", "a:so_reuseaddr=1"}) {
      if (value == done) {
        return "tlsgate sets SO_REUSEADDR on listening sockets";
      }
    }
    for (const char* done :
         {"l:tcp_nodelay=yes", "l:tcp_nodelay=1", "r:tcp_nodelay=yes", "r:tcp_nodelay=1"}) {
      if (value == done) {
        return "tlsgate sets TCP_NODELAY on both sides of every connection";
      }
    }
    return "";
  }

  // A global default that several services inherit is noted in each, and
  // warned about once.
  void leaveOut(YamlNode& node, const StunnelOption& option, const std::string& reason) {
    node.note("left out: " + optionText(option) + " (" + option.where.str() + "): " + reason);
    if (reported_.insert(&option).second) {
      report_.leftOut(option.where, optionText(option), reason);
    }
  }

  const StunnelConf& conf_;
  const std::string& source_name_;
  YamlNode doc_ = YamlNode::map();
  ImportReport report_;
  std::set<const StunnelOption*> taken_global_;
  std::set<const StunnelOption*> reported_;
  std::set<StunnelTlsVersion> disabled_;
  bool cipher_default_noted_ = false;
  std::map<const StunnelSection*, const StunnelSection*> secondary_of_;
  std::map<const StunnelSection*, std::vector<const StunnelSection*>> secondaries_;
  std::map<std::string, PinReading, std::less<>> pins_;  // by CAfile path
};

}  // namespace

ImportResult importStunnel(const StunnelConf& conf, const std::string& source_name) {
  return Importer(conf, source_name).run();
}

}  // namespace tlsgate
