// Fuzzes ProxyHeaderParser. The input is parsed whole, split in two at a
// point chosen from its first byte, and (when short) one byte at a time;
// all three must agree. A header that parses is written back with both
// writers and parsed again, and must come back the same.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "protocol/proxy_header_parser.h"
#include "protocol/proxy_header_writer.h"

namespace tlsgate {
namespace {

// Byte-at-a-time parsing is quadratic in the worst case; longer inputs are
// covered by the split.
constexpr std::size_t kMaxByteByByte = 300;

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

struct Outcome {
  StepStatus status = StepStatus::need_input;
  ProxyHeader header;
  int version = 0;
  std::size_t left = 0;  // bytes of input the parser did not take
};

void put(ByteQueue& queue, std::span<const std::uint8_t> bytes) {
  queue.append(std::as_bytes(bytes));
}

Outcome finish(const ProxyHeaderParser& parser, StepStatus status, const ByteQueue& in) {
  return {status, parser.header(), parser.version(), in.size()};
}

Outcome parseInPieces(std::span<const std::uint8_t> data, std::span<const std::size_t> cuts) {
  BufferPool pool(32);
  ByteQueue in(pool);
  ProxyHeaderParser parser;
  StepResult result;
  std::size_t fed = 0;
  for (std::size_t cut : cuts) {
    put(in, data.subspan(fed, cut - fed));
    fed = cut;
    const std::size_t before = in.size();
    result = parser.parse(in);
    if (result.status == StepStatus::need_input) {
      check(in.size() == before);  // nothing is taken before the header is whole
      continue;
    }
    // Once answered, the answer stands and nothing more is taken.
    const std::size_t after = in.size();
    check(parser.parse(in).status == result.status);
    check(in.size() == after);
    if (result.isFailed()) {
      check(in.size() == before);
      check(!result.reason.empty());
    }
  }
  put(in, data.subspan(fed));
  return finish(parser, result.status, in);
}

void checkSame(const Outcome& a, const Outcome& b) {
  check(a.status == b.status);
  if (a.status == StepStatus::done) {
    check(a.header == b.header);
    check(a.version == b.version);
    check(a.left == b.left);
  }
}

ProxyHeader reparse(ByteQueue& bytes, int version) {
  static constexpr std::uint8_t kTrailer[] = {0x16, 0x03, 0x01};
  put(bytes, kTrailer);
  ProxyHeaderParser parser(kProxyV2MaxBytes);
  check(parser.parse(bytes).isDone());
  check(parser.version() == version);
  check(bytes.size() == sizeof(kTrailer));
  return parser.header();
}

void checkRoundTrips(const ProxyHeader& header) {
  BufferPool pool(4096);
  ByteQueue v2(pool);
  writeProxyHeaderV2(header, v2);
  const std::size_t v2_size = v2.size();
  const ProxyHeader back = reparse(v2, 2);
  check(back == header);
  // Writing what was read gives the same bytes again.
  ByteQueue again(pool);
  writeProxyHeaderV2(back, again);
  check(again.size() == v2_size);

  ByteQueue v1(pool);
  writeProxyHeaderV1(header, v1);
  const ProxyHeader line = reparse(v1, 1);
  const int family = header.source.ss_family;
  const bool says_addresses = !header.local && family == header.destination.ss_family &&
                              (family == AF_INET || family == AF_INET6);
  ProxyHeader expected;
  expected.local = !says_addresses;
  if (says_addresses) {
    expected.source = header.source;
    expected.destination = header.destination;
  }
  check(line == expected);
}

}  // namespace
}  // namespace tlsgate

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace tlsgate;
  const std::span<const std::uint8_t> input(data, size);
  const std::size_t whole_cut[] = {size};
  const Outcome whole = parseInPieces(input, whole_cut);

  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  const std::size_t split_cuts[] = {split, size};
  const Outcome two = parseInPieces(input, split_cuts);
  checkSame(whole, two);

  if (size <= kMaxByteByByte) {
    std::size_t each[kMaxByteByByte];
    for (std::size_t i = 0; i < size; ++i) {
      each[i] = i + 1;
    }
    checkSame(whole, parseInPieces(input, std::span(each, size)));
  }

  if (whole.status == StepStatus::done) {
    checkRoundTrips(whole.header);
  }
  return 0;
}
