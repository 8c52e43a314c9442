// Fixed-size byte chunks recycled through a free list.
//
// Each event-loop worker owns one pool, so no locking is needed. Chunks are
// allocated only while the free list is empty; in steady state reads and
// writes reuse them. A connection returns its chunks as soon as its buffers
// drain, which is why an idle connection holds no data buffers.
#pragma once

#include <cstddef>
#include <span>

namespace tlsgate {

class BufferChunk {
 public:
  std::span<std::byte> storage() { return {data_, capacity_}; }
  std::size_t capacity() const { return capacity_; }

 private:
  friend class BufferPool;
  friend class ByteQueue;

  BufferChunk(std::byte* data, std::size_t capacity) : data_(data), capacity_(capacity) {}

  std::byte* data_;
  std::size_t capacity_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last written byte
  BufferChunk* next_ = nullptr;
};

class BufferPool {
 public:
  // `max_free` bounds the memory kept for reuse after a burst.
  explicit BufferPool(std::size_t chunk_size = std::size_t{16} * 1024, std::size_t max_free = 1024);
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;
  BufferPool(BufferPool&&) = delete;
  BufferPool& operator=(BufferPool&&) = delete;

  BufferChunk* acquire();
  void release(BufferChunk* chunk);

  std::size_t chunkSize() const { return chunk_size_; }
  std::size_t chunksInUse() const { return in_use_; }
  std::size_t chunksFree() const { return free_count_; }

 private:
  static void destroy(BufferChunk* chunk);

  std::size_t chunk_size_;
  std::size_t max_free_;
  BufferChunk* free_ = nullptr;
  std::size_t free_count_ = 0;
  std::size_t in_use_ = 0;
};

}  // namespace tlsgate
