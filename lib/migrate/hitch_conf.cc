#include "migrate/hitch_conf.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "util/config_error.h"
#include "util/errno_text.h"
#include "util/file_contents.h"
#include "util/text.h"

namespace tlsgate {
namespace {

[[noreturn]] void fail(const SourceLine& where, const std::string& reason) {
  throw ConfigError(where.str() + ": " + reason);
}

// ---- Tokens, as cfg_lex.l cuts them ----

enum class TokenKind {
  end,
  open_brace,
  close_brace,
  equals,
  number,   // [0-9]+
  integer,  // -[0-9]+: a number hitch's grammar never accepts
  keyword,  // an option name or one of the value words below
  boolean,
  string,  // a quoted string or a bare word
};

struct Token {
  TokenKind kind = TokenKind::end;
  std::string text;  // keyword, digits, "on"/"off", or the string's value
  bool quoted = false;
  SourceLine where;
};

// Every word cfg_lex.l returns as a token of its own. A bare word that is
// one of these is that token, never a string.
constexpr std::string_view kKeywords[] = {
    "frontend",
    "backend",
    "quiet",
    "ssl",
    "tls",
    "tls-protos",
    "SSLv3",
    "TLSv1.0",
    "TLSv1.1",
    "TLSv1.2",
    "TLSv1.3",
    "ciphers",
    "ciphersuites",
    "client-verify",
    "none",
    "optional",
    "required",
    "client-verify-ca",
    "ssl-engine",
    "prefer-server-ciphers",
    "workers",
    "backlog",
    "keepalive",
    "chroot",
    "user",
    "group",
    "syslog",
    "syslog-facility",
    "daemon",
    "write-ip",
    "write-proxy",
    "write-proxy-v1",
    "write-proxy-v2",
    "proxy-tlv",
    "proxy-authority",
    "proxy-client-cert",
    "pem-file",
    "proxy-proxy",
    "alpn-protos",
    "backend-connect-timeout",
    "ssl-handshake-timeout",
    "recv-bufsize",
    "send-bufsize",
    "log-filename",
    "log-level",
    "ring-slots",
    "ring-data-len",
    "pidfile",
    "sni-nomatch-abort",
    "host",
    "port",
    "match-global-certs",
    "cert",
    "ocsp-resp-file",
    "ocsp-verify-staple",
    "ocsp-resp-tmo",
    "ocsp-connect-tmo",
    "ocsp-refresh-interval",
    "ocsp-dir",
    "pem-dir",
    "pem-dir-glob",
    "session-cache",
    "shared-cache-listen",
    "shared-cache-peer",
    "shared-cache-if",
    "private-key",
    "backend-refresh",
    "tcp-fastopen",
    "ecdh-curve",
    "auto",
};

constexpr std::array<std::string_view, 5> kTrueWords = {"yes", "y", "on", "true", "t"};
constexpr std::array<std::string_view, 5> kFalseWords = {"no", "n", "off", "false", "f"};

// "on" or "off" for a word cfg_lex.l reads as a boolean, case aside.
std::optional<std::string> booleanWord(std::string_view word) {
  const std::string lower = lowerCase(word);
  if (std::find(kTrueWords.begin(), kTrueWords.end(), lower) != kTrueWords.end()) {
    return "on";
  }
  if (std::find(kFalseWords.begin(), kFalseWords.end(), lower) != kFalseWords.end()) {
    return "off";
  }
  return std::nullopt;
}

bool isWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
}

bool allDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

class Lexer {
 public:
  Lexer(std::string_view text, std::string file, std::vector<HitchStray>& stray)
      : text_(text), file_(std::move(file)), stray_(stray) {}

  Token next() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        pos_ = std::min(text_.find('\n', pos_), text_.size());
      } else if (c == '{' || c == '}' || c == '=') {
        ++pos_;
        return {c == '{'   ? TokenKind::open_brace
                : c == '}' ? TokenKind::close_brace
                           : TokenKind::equals,
                std::string(1, c), false, here()};
      } else if (c == '"') {
        return quoted();
      } else if (isWordChar(c)) {
        return word();
      } else {
        stray_.push_back({c, here()});
        ++pos_;
      }
    }
    return {TokenKind::end, "", false, here()};
  }

 private:
  SourceLine here() const { return SourceLine{file_, line_}; }

  // \"(\\.|[^\\"])*\": a backslash takes the next character with it (but
  // not a newline). The value hitch keeps ends at the first quote after the
  // opening one, escaped or not, and an empty string is no value at all.
  Token quoted() {
    const SourceLine start = here();
    std::size_t end = pos_ + 1;
    int lines = 0;
    while (true) {
      if (end >= text_.size()) {
        fail(start, "a quoted string is not closed");
      }
      const char c = text_[end];
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        if (end + 1 >= text_.size() || text_[end + 1] == '\n') {
          fail(start, "a quoted string is not closed");
        }
        end += 2;
        continue;
      }
      if (c == '\n') {
        ++lines;
      }
      ++end;
    }
    const std::string_view inside = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    line_ += lines;
    // "on", "off" and the other boolean words are booleans even in quotes.
    if (std::optional<std::string> boolean = booleanWord(inside)) {
      return {TokenKind::boolean, *boolean, true, start};
    }
    return {TokenKind::string, std::string(inside.substr(0, inside.find('"'))), true, start};
  }

  // The longest match among the keyword, number and bare-word rules; on a
  // tie, the rule cfg_lex.l lists first.
  Token word() {
    const SourceLine start = here();
    std::size_t run = 0;
    while (pos_ + run < text_.size() && isWordChar(text_[pos_ + run])) {
      ++run;
    }
    const std::string_view bare = text_.substr(pos_, run);
    std::string_view keyword;
    for (const std::string_view candidate : kKeywords) {
      if (!candidate.empty() && candidate.size() >= run && candidate.size() > keyword.size() &&
          text_.substr(pos_, candidate.size()) == candidate) {
        keyword = candidate;
      }
    }
    if (allDigits(bare) && keyword.size() <= run) {
      pos_ += run;
      return {TokenKind::number, std::string(bare), false, start};
    }
    if (bare.size() > 1 && bare.front() == '-' && allDigits(bare.substr(1))) {
      pos_ += run;
      return {TokenKind::integer, std::string(bare), false, start};
    }
    if (!keyword.empty()) {
      pos_ += keyword.size();
      return {TokenKind::keyword, std::string(keyword), false, start};
    }
    pos_ += run;
    if (std::optional<std::string> boolean = booleanWord(bare)) {
      return {TokenKind::boolean, *boolean, false, start};
    }
    return {TokenKind::string, std::string(bare), false, start};
  }

  std::string_view text_;
  std::string file_;
  std::vector<HitchStray>& stray_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

// ---- Records, as cfg_parser.y accepts them ----

enum class ValueType { text, boolean, number, workers, verify, protocols, frontend, pem_file };

enum BlockKind : unsigned { global_block = 1, frontend_block = 2, pem_block = 4 };

struct OptionRule {
  std::string_view name;
  ValueType type;
  unsigned scopes;
};

constexpr OptionRule kRules[] = {
    {"frontend", ValueType::frontend, global_block},
    {"backend", ValueType::text, global_block},
    {"pem-file", ValueType::pem_file, global_block | frontend_block},
    {"ciphers", ValueType::text, global_block | frontend_block},
    {"ciphersuites", ValueType::text, global_block | frontend_block},
    {"tls", ValueType::boolean, global_block | frontend_block},
    {"ssl", ValueType::boolean, global_block | frontend_block},
    {"tls-protos", ValueType::protocols, global_block | frontend_block},
    {"prefer-server-ciphers", ValueType::boolean, global_block | frontend_block},
    {"ssl-engine", ValueType::text, global_block},
    {"workers", ValueType::workers, global_block},
    {"backlog", ValueType::number, global_block},
    {"keepalive", ValueType::number, global_block},
    {"chroot", ValueType::text, global_block},
    {"user", ValueType::text, global_block},
    {"group", ValueType::text, global_block},
    {"quiet", ValueType::boolean, global_block},
    {"syslog", ValueType::boolean, global_block},
    {"syslog-facility", ValueType::text, global_block},
    {"daemon", ValueType::boolean, global_block},
    {"write-ip", ValueType::boolean, global_block},
    {"write-proxy", ValueType::boolean, global_block},
    {"write-proxy-v1", ValueType::boolean, global_block},
    {"write-proxy-v2", ValueType::boolean, global_block},
    {"proxy-proxy", ValueType::boolean, global_block},
    {"alpn-protos", ValueType::text, global_block},
    {"proxy-tlv", ValueType::boolean, global_block},
    {"proxy-authority", ValueType::boolean, global_block},
    {"proxy-client-cert", ValueType::boolean, global_block},
    {"sni-nomatch-abort", ValueType::boolean, global_block | frontend_block},
    {"ocsp-verify-staple", ValueType::boolean, global_block | pem_block},
    {"ocsp-resp-tmo", ValueType::number, global_block},
    {"ocsp-connect-tmo", ValueType::number, global_block},
    {"ocsp-refresh-interval", ValueType::number, global_block},
    {"ocsp-dir", ValueType::text, global_block},
    {"pem-dir", ValueType::text, global_block},
    {"pem-dir-glob", ValueType::text, global_block},
    {"session-cache", ValueType::number, global_block},
    {"shared-cache-listen", ValueType::text, global_block},
    {"shared-cache-peer", ValueType::text, global_block},
    {"shared-cache-if", ValueType::text, global_block},
    {"log-filename", ValueType::text, global_block},
    {"log-level", ValueType::number, global_block},
    {"send-bufsize", ValueType::number, global_block},
    {"recv-bufsize", ValueType::number, global_block},
    {"backend-refresh", ValueType::number, global_block},
    {"backend-connect-timeout", ValueType::number, global_block},
    {"ssl-handshake-timeout", ValueType::number, global_block},
    {"tcp-fastopen", ValueType::boolean, global_block},
    {"ecdh-curve", ValueType::text, global_block},
    {"client-verify", ValueType::verify, global_block | frontend_block | pem_block},
    {"client-verify-ca", ValueType::text, global_block | frontend_block | pem_block},
    {"host", ValueType::text, frontend_block},
    {"port", ValueType::text, frontend_block},
    {"match-global-certs", ValueType::boolean, frontend_block},
    {"cert", ValueType::text, pem_block},
    {"ocsp-resp-file", ValueType::text, pem_block},
    {"private-key", ValueType::text, pem_block},
    // Words of cfg_lex.l that no record of cfg_parser.y takes: hitch reads
    // them from its command line only.
    {"pidfile", ValueType::text, 0},
    {"ring-slots", ValueType::number, 0},
    {"ring-data-len", ValueType::number, 0},
    // Value words, never option names.
    {"none", ValueType::text, 0},
    {"optional", ValueType::text, 0},
    {"required", ValueType::text, 0},
    {"auto", ValueType::text, 0},
    {"SSLv3", ValueType::text, 0},
    {"TLSv1.0", ValueType::text, 0},
};

const OptionRule* ruleFor(std::string_view name) {
  for (const OptionRule& rule : kRules) {
    if (rule.name == name) {
      return &rule;
    }
  }
  return nullptr;
}

bool isProtocolWord(const Token& token) {
  return token.kind == TokenKind::keyword &&
         (token.text == "SSLv3" || token.text.rfind("TLSv1.", 0) == 0);
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::end:
      return "the end of the file";
    case TokenKind::open_brace:
    case TokenKind::close_brace:
    case TokenKind::equals:
      return "'" + token.text + "'";
    case TokenKind::number:
    case TokenKind::integer:
      return "the number " + token.text;
    case TokenKind::keyword:
      return "the word '" + token.text + "'";
    case TokenKind::boolean:
      return "the boolean " + token.text;
    case TokenKind::string:
      return token.quoted ? "the string \"" + token.text + "\"" : "'" + token.text + "'";
  }
  return "'" + token.text + "'";
}

std::string scopeName(unsigned scope) {
  switch (scope) {
    case frontend_block:
      return "a frontend block";
    case pem_block:
      return "a pem-file block";
    default:
      return "the top level";
  }
}

std::string allowedPlaces(unsigned scopes) {
  std::vector<std::string> places;
  for (const unsigned scope : {global_block, frontend_block, pem_block}) {
    if ((scopes & scope) != 0) {
      places.push_back(scopeName(scope));
    }
  }
  std::string out;
  for (std::size_t i = 0; i < places.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == places.size() ? " or " : ", ") + places[i];
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : lexer_(text, file, conf_.stray) {
    conf_.file = file;
    advance();
  }

  HitchConf parse() {
    if (token_.kind == TokenKind::end) {
      fail(token_.where, "the file holds no options; hitch refuses an empty configuration");
    }
    ProtocolScope scope{global_block, false};
    while (token_.kind != TokenKind::end) {
      HitchOption option = record(global_block, scope);
      if (option.name == "frontend" && (option.block || !option.value.empty())) {
        conf_.frontends.push_back(frontendOf(std::move(option)));
      } else {
        conf_.global.push_back(std::move(option));
      }
    }
    return std::move(conf_);
  }

 private:
  // tls, ssl and tls-protos each refuse to follow one another in the same
  // scope once one of them has chosen protocols.
  struct ProtocolScope {
    unsigned kind;
    bool protocols_chosen;
  };

  void advance() { token_ = lexer_.next(); }

  HitchOption record(unsigned where, ProtocolScope& scope) {
    if (token_.kind != TokenKind::keyword) {
      if (token_.kind == TokenKind::string && !token_.quoted) {
        fail(token_.where, "unknown option '" + token_.text + "'");
      }
      fail(token_.where, "expected an option name, found " + describe(token_));
    }
    const OptionRule* rule = ruleFor(token_.text);
    if (rule == nullptr || rule->scopes == 0) {
      if (rule != nullptr && rule->type == ValueType::text && token_.text == "pidfile") {
        fail(token_.where,
             "pidfile is an option of hitch's command line (--pidfile), not of "
             "hitch.conf; hitch refuses it here");
      }
      if (rule != nullptr && (token_.text == "ring-slots" || token_.text == "ring-data-len")) {
        fail(token_.where, token_.text + " is not an option of hitch.conf; hitch refuses it");
      }
      fail(token_.where, "expected an option name, found " + describe(token_));
    }
    if ((rule->scopes & where) == 0) {
      fail(token_.where, token_.text + " cannot be set in " + scopeName(where) +
                             "; hitch accepts it only in " + allowedPlaces(rule->scopes));
    }
    HitchOption option;
    option.name = token_.text;
    option.where = token_.where;
    advance();
    if (token_.kind != TokenKind::equals) {
      fail(token_.where, "expected '=' after " + option.name + ", found " + describe(token_));
    }
    advance();
    checkProtocolOrder(option, scope);
    value(option, *rule);
    return option;
  }

  void checkProtocolOrder(const HitchOption& option, ProtocolScope& scope) {
    if (option.name != "tls" && option.name != "ssl" && option.name != "tls-protos") {
      return;
    }
    if (scope.protocols_chosen) {
      fail(option.where, option.name + " cannot follow ssl, tls or tls-protos in " +
                             scopeName(scope.kind) + "; hitch refuses the file. Keep one of them");
    }
    if (option.name == "tls-protos" || token_.text == "on") {
      scope.protocols_chosen = true;
    }
  }

  void value(HitchOption& option, const OptionRule& rule) {
    switch (rule.type) {
      case ValueType::text:
        take(option, TokenKind::string, "a string");
        return;
      case ValueType::boolean:
        take(option, TokenKind::boolean, "on or off");
        return;
      case ValueType::number:
        take(option, TokenKind::number, "a number");
        return;
      case ValueType::workers:
        if (token_.kind == TokenKind::keyword && token_.text == "auto") {
          take(option, TokenKind::keyword, "");
          return;
        }
        take(option, TokenKind::number, "a number or auto");
        return;
      case ValueType::verify:
        if (token_.kind == TokenKind::keyword &&
            (token_.text == "none" || token_.text == "optional" || token_.text == "required")) {
          take(option, TokenKind::keyword, "");
          return;
        }
        fail(token_.where,
             option.name + " takes none, optional or required, found " + describe(token_));
      case ValueType::protocols:
        protocols(option);
        return;
      case ValueType::frontend:
        blockOrString(option, frontend_block);
        return;
      case ValueType::pem_file:
        blockOrString(option, pem_block);
        return;
    }
  }

  void take(HitchOption& option, TokenKind kind, const std::string& expected) {
    if (token_.kind != kind) {
      std::string hint;
      if (kind == TokenKind::string && token_.kind == TokenKind::number) {
        hint = " (hitch reads an unquoted number as a number here; write \"" + token_.text + "\")";
      } else if (kind == TokenKind::number && token_.kind == TokenKind::string && token_.quoted) {
        hint = " (hitch wants the number without quotes here)";
      } else if (kind == TokenKind::string && token_.kind == TokenKind::keyword) {
        hint = " ('" + token_.text + "' is a word of hitch's own; quoting it does not help)";
      }
      fail(token_.where, option.name + " takes " + expected + ", found " + describe(token_) + hint);
    }
    option.value = token_.text;
    option.quoted = token_.quoted;
    advance();
  }

  void protocols(HitchOption& option) {
    if (!isProtocolWord(token_)) {
      fail(token_.where,
           "tls-protos takes one or more of SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 and "
           "TLSv1.3, unquoted, found " +
               describe(token_));
    }
    while (isProtocolWord(token_)) {
      option.value += (option.value.empty() ? "" : " ") + token_.text;
      advance();
    }
  }

  void blockOrString(HitchOption& option, unsigned kind) {
    if (token_.kind != TokenKind::open_brace) {
      take(option, TokenKind::string, "a string or a { ... } block");
      return;
    }
    const SourceLine open = token_.where;
    advance();
    option.block = true;
    ProtocolScope scope{kind, false};
    while (token_.kind != TokenKind::close_brace) {
      if (token_.kind == TokenKind::end) {
        fail(open, "the " + option.name + " block opened here is not closed with '}'");
      }
      option.options.push_back(record(kind, scope));
    }
    if (option.options.empty()) {
      fail(open, "the " + option.name + " block is empty; hitch wants at least one option in it");
    }
    advance();
    if (kind == pem_block) {
      const HitchOption* cert = option.last("cert");
      if (cert == nullptr || cert->value.empty()) {
        fail(option.where, "a pem-file block needs cert = \"FILE\"");
      }
    }
  }

  // A frontend given as "[HOST]:PORT[+CERT]" (hitch's
  // config_param_host_port_wildcard), turned into the options of a block.
  HitchFrontend frontendOf(HitchOption option) {
    HitchFrontend frontend;
    frontend.where = option.where;
    if (option.block) {
      frontend.options = std::move(option.options);
      return frontend;
    }
    frontend.spec = option.value;
    const std::string& spec = option.value;
    const auto invalid = [&](const std::string& why) {
      fail(option.where, "frontend \"" + spec + "\": " + why +
                             "; hitch wants \"[HOST]:PORT\" or \"[HOST]:PORT+CERT\"");
    };
    if (spec.front() != '[') {
      invalid("the host must be in brackets");
    }
    const std::size_t close = spec.rfind(']');
    if (close == std::string::npos) {
      invalid("the ']' after the host is missing");
    }
    if (close + 1 >= spec.size() || spec[close + 1] != ':' || close + 2 >= spec.size()) {
      invalid("a ':' and a port must follow the ']'");
    }
    const std::string host = spec.substr(1, close - 1);
    const std::size_t plus = spec.find('+', close + 2);
    const std::string port =
        spec.substr(close + 2, plus == std::string::npos ? std::string::npos : plus - close - 2);
    const auto synthesized = [&](std::string name, std::string value) {
      HitchOption out;
      out.name = std::move(name);
      out.value = std::move(value);
      out.quoted = true;
      out.where = option.where;
      return out;
    };
    if (host != "*") {
      frontend.options.push_back(synthesized("host", host));
    }
    frontend.options.push_back(synthesized("port", port));
    if (plus != std::string::npos && plus + 1 < spec.size()) {
      frontend.options.push_back(synthesized("pem-file", spec.substr(plus + 1)));
    }
    return frontend;
  }

  HitchConf conf_;
  Lexer lexer_;
  Token token_;
};

void checkText(std::string_view text, const std::string& file) {
  int line = 1;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view raw = text.substr(start, end - start);
    if (raw.find('\0') != std::string_view::npos) {
      fail(SourceLine{file, line}, "the line holds a NUL byte");
    }
    if (!isUtf8(raw)) {
      fail(SourceLine{file, line}, "the line is not valid UTF-8");
    }
    start = end + 1;
    ++line;
  }
}

template <typename Options>
const HitchOption* lastIn(const Options& options, std::string_view name) {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->name == name) {
      return &*it;
    }
  }
  return nullptr;
}

template <typename Options>
std::vector<const HitchOption*> allIn(const Options& options, std::string_view name) {
  std::vector<const HitchOption*> out;
  for (const HitchOption& option : options) {
    if (option.name == name) {
      out.push_back(&option);
    }
  }
  return out;
}

}  // namespace

const HitchOption* HitchOption::last(std::string_view wanted) const {
  return lastIn(options, wanted);
}

const HitchOption* HitchFrontend::last(std::string_view name) const {
  return lastIn(options, name);
}

std::vector<const HitchOption*> HitchFrontend::all(std::string_view name) const {
  return allIn(options, name);
}

const HitchOption* HitchConf::last(std::string_view name) const {
  return lastIn(global, name);
}

std::vector<const HitchOption*> HitchConf::all(std::string_view name) const {
  return allIn(global, name);
}

HitchConf parseHitchConf(std::string_view text, const std::string& file) {
  checkText(text, file);
  return Parser(text, file).parse();
}

HitchConf readHitchConf(const std::string& path) {
  FileContents contents = readWholeFile(path);
  if (!contents.ok()) {
    throw ConfigError(path + ": cannot read the file: " + errnoText(contents.error));
  }
  return parseHitchConf(contents.bytes, path);
}

}  // namespace tlsgate
