// Fuzzes ClientHelloReader. The input is peeked whole and split in two at
// a point chosen from its first byte; both must agree, and neither may
// take a byte. A hello that parses is written back as a minimal
// ClientHello with the same server name and ALPN offer, which must read
// the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "protocol/client_hello_reader.h"

namespace tlsgate {
namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

void put(ByteQueue& queue, std::span<const std::uint8_t> bytes) {
  queue.append(std::as_bytes(bytes));
}

void put(ByteQueue& queue, const std::string& bytes) {
  queue.append(std::as_bytes(std::span(bytes)));
}

struct Outcome {
  StepStatus status = StepStatus::need_input;
  ClientHelloInfo info;
};

Outcome peekInTwo(std::span<const std::uint8_t> data, std::size_t cut) {
  BufferPool pool(64);
  ByteQueue in(pool);
  ClientHelloReader reader;
  put(in, data.first(cut));
  const StepResult first = reader.peek(in);
  check(in.size() == cut);
  put(in, data.subspan(cut));
  const StepResult second = reader.peek(in);
  check(in.size() == data.size());
  // An answer on part of the input stands once the rest arrives.
  if (first.status != StepStatus::need_input) {
    check(second.status == first.status && second.reason == first.reason);
  }
  if (second.isFailed()) {
    check(!second.reason.empty());
  }
  return {second.status, reader.info()};
}

std::string u16(std::size_t n) {
  return {static_cast<char>(n >> 8), static_cast<char>(n & 0xFF)};
}

std::string extension(std::uint16_t type, const std::string& data) {
  return u16(type) + u16(data.size()) + data;
}

// A ClientHello carrying only what `info` holds, in as many records as it
// needs.
std::string minimalHello(const ClientHelloInfo& info) {
  std::string extensions;
  if (!info.sni.empty()) {
    const std::string entry = std::string(1, '\0') + u16(info.sni.size()) + info.sni;
    extensions += extension(0, u16(entry.size()) + entry);
  }
  if (!info.alpn.empty()) {
    std::string list;
    for (const std::string& name : info.alpn) {
      list += static_cast<char>(name.size());
      list += name;
    }
    extensions += extension(16, u16(list.size()) + list);
  }
  std::string body = u16(info.legacy_version) + std::string(32, 'r') + std::string(1, '\0') +
                     u16(2) + "\x13\x01" + std::string("\x01\x00", 2);
  if (!extensions.empty()) {
    body += u16(extensions.size()) + extensions;
  }
  const std::string message = std::string(1, '\x01') + static_cast<char>(body.size() >> 16) +
                              u16(body.size() & 0xFFFF) + body;
  std::string records;
  for (std::size_t offset = 0; offset < message.size(); offset += 16384) {
    const std::string fragment = message.substr(offset, 16384);
    records += std::string{0x16, static_cast<char>(info.record_version >> 8),
                           static_cast<char>(info.record_version & 0xFF)} +
               u16(fragment.size()) + fragment;
  }
  return records;
}

void checkRoundTrip(const ClientHelloInfo& info) {
  for (char c : info.sni) {
    check(c > 0x20 && c < 0x7F && !(c >= 'A' && c <= 'Z'));
  }
  for (const std::string& name : info.alpn) {
    check(!name.empty() && name.size() < 256);
  }
  const std::string bytes = minimalHello(info);
  BufferPool pool(4096);
  ByteQueue in(pool);
  put(in, bytes);
  ClientHelloReader reader(bytes.size());
  check(reader.peek(in).isDone());
  check(reader.info() == info);
}

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  const std::span<const std::uint8_t> input(data, size);
  const Outcome whole = peekInTwo(input, size);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const Outcome split = peekInTwo(input, cut);
  check(whole.status == split.status);
  if (whole.status == StepStatus::done) {
    check(whole.info == split.info);
    checkRoundTrip(whole.info);
  }
  return 0;
}
