// A FIFO of bytes made of pooled chunks.
//
// Writers either copy in with append() or fill the tail in place with
// prepare()/commit() (a socket read lands there directly). Readers look at
// the head with front() or gather() and drop bytes with consume(). Chunks go
// back to the pool as soon as they are drained, so an empty queue holds no
// memory.
#pragma once

#include <cstddef>
#include <span>

#include "util/buffer_pool.h"

namespace tlsgate {

class ByteQueue {
 public:
  explicit ByteQueue(BufferPool& pool) : pool_(&pool) {}
  ~ByteQueue() { clear(); }
  ByteQueue(const ByteQueue&) = delete;
  ByteQueue& operator=(const ByteQueue&) = delete;
  ByteQueue(ByteQueue&&) = delete;
  ByteQueue& operator=(ByteQueue&&) = delete;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Free space at the tail. A new chunk is taken when the tail chunk has
  // fewer than `min_bytes` left, so the span is at least that large (up to
  // the chunk size).
  std::span<std::byte> prepare(std::size_t min_bytes = 1);
  // Marks `n` bytes of the last prepare() span as written.
  void commit(std::size_t n);
  // Gives back an unused prepare() chunk, so a read that brought nothing
  // leaves the queue holding no memory.
  void trimTail();

  void append(std::span<const std::byte> bytes);

  // The contiguous bytes at the head (empty when the queue is).
  std::span<const std::byte> front() const;
  // Up to out.size() contiguous pieces from the head, at most `max_bytes`
  // in all; returns how many pieces were filled.
  std::size_t gather(std::span<std::span<const std::byte>> out,
                     std::size_t max_bytes = static_cast<std::size_t>(-1)) const;
  // Copies up to out.size() bytes from the head without consuming them.
  std::size_t peek(std::span<std::byte> out) const;
  // Copies and consumes up to out.size() bytes.
  std::size_t read(std::span<std::byte> out);
  void consume(std::size_t n);
  void clear();

 private:
  BufferPool* pool_;
  BufferChunk* head_ = nullptr;
  BufferChunk* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tlsgate
