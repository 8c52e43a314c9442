#include "util/buffer_pool.h"

#include <new>

namespace tlsgate {

BufferPool::BufferPool(std::size_t chunk_size, std::size_t max_free)
    : chunk_size_(chunk_size), max_free_(max_free) {}

BufferPool::~BufferPool() {
  while (free_ != nullptr) {
    BufferChunk* next = free_->next_;
    destroy(free_);
    free_ = next;
  }
}

BufferChunk* BufferPool::acquire() {
  ++in_use_;
  if (free_ != nullptr) {
    BufferChunk* chunk = free_;
    free_ = chunk->next_;
    --free_count_;
    chunk->next_ = nullptr;
    chunk->begin_ = chunk->end_ = 0;
    return chunk;
  }
  // Header and bytes in one allocation; the bytes follow the header.
  void* raw = ::operator new(sizeof(BufferChunk) + chunk_size_);
  auto* bytes = static_cast<std::byte*>(raw) + sizeof(BufferChunk);
  return new (raw) BufferChunk(bytes, chunk_size_);
}

void BufferPool::release(BufferChunk* chunk) {
  --in_use_;
  if (free_count_ >= max_free_) {
    destroy(chunk);
    return;
  }
  chunk->next_ = free_;
  free_ = chunk;
  ++free_count_;
}

void BufferPool::destroy(BufferChunk* chunk) {
  chunk->~BufferChunk();
  ::operator delete(static_cast<void*>(chunk));
}

}  // namespace tlsgate
