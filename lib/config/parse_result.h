// The result of parsing one config value: the value, or the reason it could
// not be parsed. The reason is meant for ConfigError, which adds the
// position, so the small parsers stay free of YAML and exceptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tlsgate {

template <typename T>
class ParseResult {
 public:
  static ParseResult ok(T value) { return ParseResult(std::move(value), {}); }
  static ParseResult fail(std::string reason) {
    return ParseResult(std::nullopt, std::move(reason));
  }

  bool isOk() const { return value_.has_value(); }
  const T& value() const { return *value_; }
  const std::string& error() const { return error_; }

 private:
  ParseResult(std::optional<T> value, std::string error)
      : value_(std::move(value)), error_(std::move(error)) {}

  std::optional<T> value_;
  std::string error_;
};

// How a reason shows the text it refused: 'text'.
inline std::string quoted(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out += text;
  out += '\'';
  return out;
}

}  // namespace tlsgate
