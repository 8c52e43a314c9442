// A cursor over untrusted big-endian bytes that cannot read past its end.
// Each read reports whether the bytes were there, so a parser checks
// bounds once per field instead of doing offset arithmetic by hand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tlsgate {

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool empty() const { return offset_ == bytes_.size(); }
  // How far the cursor is from the start.
  std::size_t offset() const { return offset_; }

  bool u8(std::uint8_t& out) {
    if (remaining() < 1) {
      return false;
    }
    out = bytes_[offset_++];
    return true;
  }

  bool u16(std::uint16_t& out) {
    std::uint32_t value = 0;
    if (!number(2, value)) {
      return false;
    }
    out = static_cast<std::uint16_t>(value);
    return true;
  }

  bool u24(std::uint32_t& out) { return number(3, out); }
  bool u32(std::uint32_t& out) { return number(4, out); }

  // The next `n` bytes, as a view into the underlying buffer.
  bool bytes(std::size_t n, std::span<const std::uint8_t>& out) {
    if (remaining() < n) {
      return false;
    }
    out = bytes_.subspan(offset_, n);
    offset_ += n;
    return true;
  }

  bool skip(std::size_t n) {
    if (remaining() < n) {
      return false;
    }
    offset_ += n;
    return true;
  }

 private:
  bool number(std::size_t n, std::uint32_t& out) {
    if (remaining() < n) {
      return false;
    }
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < n; ++i) {
      value = (value << 8) | bytes_[offset_ + i];
    }
    offset_ += n;
    out = value;
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace tlsgate
