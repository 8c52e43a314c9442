#include "config/env_expansion.h"

#include <cctype>
#include <cstdlib>

namespace tlsgate {
namespace {

bool isNameChar(char c, bool first) {
  const auto u = static_cast<unsigned char>(c);
  return c == '_' || std::isalpha(u) != 0 || (!first && std::isdigit(u) != 0);
}

struct Reference {
  std::string name;
  std::optional<std::string> fallback;  // the text after ":-"
};

// Parses the inside of "${...}".
ParseResult<Reference> parseReference(std::string_view inside) {
  Reference ref;
  const auto separator = inside.find(":-");
  ref.name = std::string(inside.substr(0, separator));
  if (separator != std::string_view::npos) {
    ref.fallback = std::string(inside.substr(separator + 2));
  }
  if (!isEnvName(ref.name)) {
    return ParseResult<Reference>::fail(
        "'${" + std::string(inside) +
        "}' is not a variable reference; use ${NAME} or ${NAME:-default}, "
        "with a name of letters, digits and _ (write $$ for a literal $)");
  }
  return ParseResult<Reference>::ok(std::move(ref));
}

ParseResult<std::string> resolve(const Reference& ref, const EnvLookup& lookup) {
  std::optional<std::string> value = lookup(ref.name);
  if (ref.fallback && (!value || value->empty())) {
    return ParseResult<std::string>::ok(*ref.fallback);
  }
  if (!value) {
    return ParseResult<std::string>::fail("environment variable " + ref.name +
                                          " is not set (set it, or write ${" + ref.name +
                                          ":-default} to give a default)");
  }
  return ParseResult<std::string>::ok(*value);
}

}  // namespace

std::optional<std::string> processEnv(const std::string& name) {
  // tlsgate never changes its environment, so reading it from any thread is safe.
  const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe)
  if (value == nullptr) {
    return std::nullopt;
  }
  return std::string(value);
}

bool isEnvName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!isNameChar(name[i], i == 0)) {
      return false;
    }
  }
  return true;
}

ParseResult<std::string> expandEnv(std::string_view text, const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::string_view rest = text.substr(i);
    if (rest.starts_with("$$")) {
      out += '$';
      i += 2;
      continue;
    }
    if (!rest.starts_with("${")) {
      out += text[i];
      ++i;
      continue;
    }
    const auto close = rest.find('}');
    if (close == std::string_view::npos) {
      return ParseResult<std::string>::fail(
          "'${' without a closing '}' (write $$ for a literal $)");
    }
    auto ref = parseReference(rest.substr(2, close - 2));
    if (!ref.isOk()) {
      return ParseResult<std::string>::fail(ref.error());
    }
    auto value = resolve(ref.value(), lookup);
    if (!value.isOk()) {
      return value;
    }
    out += value.value();
    i += close + 1;
  }
  return ParseResult<std::string>::ok(std::move(out));
}

}  // namespace tlsgate
