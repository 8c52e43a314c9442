#include "util/byte_queue.h"

#include <algorithm>
#include <cstring>

namespace tlsgate {

std::span<std::byte> ByteQueue::prepare(std::size_t min_bytes) {
  if (tail_ == nullptr || tail_->capacity_ - tail_->end_ < min_bytes) {
    BufferChunk* chunk = pool_->acquire();
    if (tail_ == nullptr) {
      head_ = chunk;
    } else {
      tail_->next_ = chunk;
    }
    tail_ = chunk;
  }
  return {tail_->data_ + tail_->end_, tail_->capacity_ - tail_->end_};
}

void ByteQueue::commit(std::size_t n) {
  tail_->end_ += n;
  size_ += n;
}

void ByteQueue::trimTail() {
  if (tail_ == nullptr || tail_->end_ != tail_->begin_) {
    return;
  }
  // An empty tail chunk: drop it (it is also the head only if the queue is empty).
  if (head_ == tail_) {
    pool_->release(tail_);
    head_ = tail_ = nullptr;
    return;
  }
  BufferChunk* before = head_;
  while (before->next_ != tail_) {
    before = before->next_;
  }
  pool_->release(tail_);
  before->next_ = nullptr;
  tail_ = before;
}

void ByteQueue::append(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    std::span<std::byte> room = prepare();
    std::size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    commit(n);
    bytes = bytes.subspan(n);
  }
}

std::span<const std::byte> ByteQueue::front() const {
  if (head_ == nullptr) {
    return {};
  }
  return {head_->data_ + head_->begin_, head_->end_ - head_->begin_};
}

std::size_t ByteQueue::gather(std::span<std::span<const std::byte>> out,
                              std::size_t max_bytes) const {
  std::size_t filled = 0;
  for (BufferChunk* c = head_; c != nullptr && filled < out.size() && max_bytes > 0; c = c->next_) {
    std::size_t n = std::min(c->end_ - c->begin_, max_bytes);
    if (n == 0) {
      continue;
    }
    out[filled++] = {c->data_ + c->begin_, n};
    max_bytes -= n;
  }
  return filled;
}

std::size_t ByteQueue::peek(std::span<std::byte> out) const {
  std::size_t copied = 0;
  for (BufferChunk* c = head_; c != nullptr && copied < out.size(); c = c->next_) {
    std::size_t n = std::min(c->end_ - c->begin_, out.size() - copied);
    std::memcpy(out.data() + copied, c->data_ + c->begin_, n);
    copied += n;
  }
  return copied;
}

std::size_t ByteQueue::read(std::span<std::byte> out) {
  std::size_t n = peek(out);
  consume(n);
  return n;
}

void ByteQueue::consume(std::size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    std::size_t available = head_->end_ - head_->begin_;
    std::size_t take = std::min(available, n);
    head_->begin_ += take;
    n -= take;
    if (head_->begin_ < head_->end_) {
      break;
    }
    // Drained chunks go straight back to the pool.
    BufferChunk* next = head_->next_;
    pool_->release(head_);
    head_ = next;
  }
  if (head_ == nullptr) {
    tail_ = nullptr;
  } else if (size_ == 0 && head_ == tail_) {
    // Keep nothing when empty, even a partly used chunk.
    pool_->release(head_);
    head_ = tail_ = nullptr;
  }
}

void ByteQueue::clear() {
  while (head_ != nullptr) {
    BufferChunk* next = head_->next_;
    pool_->release(head_);
    head_ = next;
  }
  tail_ = nullptr;
  size_ = 0;
}

}  // namespace tlsgate
