// A growable array of trivially copyable values in anonymous memory with transparent huge
// pages advised: large tables (unique keys) take one page fault and one TLB entry per 2 MiB
// instead of per 4 KiB, and growth remaps instead of copying. New memory reads as zeros.
// Internal to src/quality. Throws std::bad_alloc when the system has no memory left.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace fst::quality::internal {

template <typename T>
class HugeVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  HugeVector() = default;
  explicit HugeVector(size_t size) { Resize(size); }
  HugeVector(HugeVector&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        bytes_(std::exchange(other.bytes_, 0)) {}
  HugeVector& operator=(HugeVector&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(bytes_, other.bytes_);
    return *this;
  }
  ~HugeVector() {
    if (data_ != nullptr) munmap(data_, bytes_);
  }

  size_t size() const { return size_; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

  // New elements are zero.
  void Resize(size_t size) {
    Reserve(size);
    size_ = size;
  }
  void PushBack(const T& value) {
    if (size_ == bytes_ / sizeof(T)) Reserve(std::max<size_t>(size_ * 2, 1));
    data_[size_++] = value;
  }
  void Append(const T* values, size_t count) {
    if (size_ + count > bytes_ / sizeof(T)) Reserve(std::max(size_ * 2, size_ + count));
    std::memcpy(data_ + size_, values, count * sizeof(T));
    size_ += count;
  }

 private:
  static constexpr size_t kHugePage = size_t{2} << 20;

  void Reserve(size_t count) {
    const size_t wanted = count * sizeof(T);
    if (wanted <= bytes_) return;
    const size_t bytes = (std::max(wanted, kHugePage) + kHugePage - 1) / kHugePage * kHugePage;
    void* memory = data_ == nullptr
                       ? mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                              -1, 0)
                       : mremap(data_, bytes_, bytes, MREMAP_MAYMOVE);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    madvise(memory, bytes, MADV_HUGEPAGE);
    data_ = static_cast<T*>(memory);
    bytes_ = bytes;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
};

}  // namespace fst::quality::internal
