#include "core/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <c10/core/CPUAllocator.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>
#include <vector>

namespace camu {

namespace {

// Hints 2 MiB pages for the whole 2 MiB pages inside [data, data + bytes) (Linux THP in madvise
// mode); a refusal (THP off) just leaves 4 KiB pages.
void AdviseHugePages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t first = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t last = (begin + bytes) & ~(kHugePage - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
#endif
}

#if defined(__linux__)
// libtorch's CPU allocator with a cache of large blocks in front of it. Blocks of 1 MiB and more
// (a CNN step's activations, gradients and convolution workspaces; datasets) are mapped directly,
// hinted for huge pages and, when freed, kept for the next request of about the same size: the
// same sizes recur every step. This replaces glibc's behaviour for them, which on job threads
// (arenas of 64 MiB heaps, unmapped as soon as empty) faulted in fresh pages every step once a
// step's buffers crossed a heap boundary. Smaller blocks go to libtorch's allocator unchanged.
// Freed blocks are kept up to kCacheLimit bytes; beyond that they are unmapped. Each cached block
// carries the generation (one per job, StartCacheGeneration) in which it was freed: a request that
// no block fits unmaps blocks of earlier generations, oldest first, for at least the bytes it maps.
// So a job whose sizes differ from the last one's (a removal's batch of 32, then an evaluation's
// batch of 256) does not keep the old sizes mapped beside its own, while blocks of the running job
// are never given up for another of its requests.
class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(c10::Allocator* fallback) : fallback_(fallback) {}

  // libtorch 1.13 declares allocate const, 2.x non-const; defining both serves either.
  c10::DataPtr allocate(size_t bytes) const { return Allocate(bytes); }
  c10::DataPtr allocate(size_t bytes) { return Allocate(bytes); }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }
  // Pure virtual in libtorch 2.x; harmless in 1.13.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

 private:
  static constexpr size_t kMinCached = size_t(1) << 20;
  static constexpr size_t kGranule = size_t(64) << 10;
  static constexpr size_t kCacheLimit = size_t(1) << 30;

  struct CachedBlock {
    void* data;
    uint64_t generation;
  };

  c10::DataPtr Allocate(size_t bytes) const {
    if (bytes < kMinCached) {
      c10::DataPtr small = fallback_->allocate(bytes);
      return small;
    }
    const size_t size = (bytes + kGranule - 1) / kGranule * kGranule;
    void* data = nullptr;
    std::vector<std::pair<void*, size_t>> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // A cached block at most 1/8 larger than asked for.
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= size + size / 8) {
        data = it->second.data;
        live_[data] = it->first;
        cachedBytes_ -= it->first;
        free_.erase(it);
      } else {
        evicted = EvictEarlierGenerations(size);
      }
    }
    for (const auto& [block, blockSize] : evicted) munmap(block, blockSize);
    if (data == nullptr) {
      data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (data == MAP_FAILED) throw std::bad_alloc();
      AdviseHugePages(data, size);
#if defined(MADV_POPULATE_WRITE)
      // Map all pages in one call (huge ones where the kernel has them) rather than one fault per
      // 4 KiB on first write, which on a virtual machine costs more than zeroing the page. The
      // block is about to be written whole. A kernel without it (before 5.14) refuses: no harm.
      madvise(data, size, MADV_POPULATE_WRITE);
#endif
      std::lock_guard<std::mutex> lock(mutex_);
      live_[data] = size;
    }
    return {data, data, &Release, c10::Device(c10::DeviceType::CPU)};
  }

  static void Release(void* data) { Instance()->Free(data); }

  void Free(void* data) const {
    size_t size = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = live_.find(data);
      if (it == live_.end()) {
        // A small block that reached us through raw_deleter(): it is the fallback's.
        fallback_->raw_deleter()(data);
        return;
      }
      size = it->second;
      live_.erase(it);
      if (cachedBytes_ + size <= kCacheLimit) {
        free_.emplace(size, CachedBlock{data, generation_});
        cachedBytes_ += size;
        return;
      }
    }
    munmap(data, size);
  }

  // Takes cached blocks of earlier generations out of the cache, oldest first, until at least
  // `bytes` are taken or none is left; the caller unmaps them outside the lock. Under mutex_.
  std::vector<std::pair<void*, size_t>> EvictEarlierGenerations(size_t bytes) const {
    std::vector<std::multimap<size_t, CachedBlock>::iterator> earlier;
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->second.generation < generation_) earlier.push_back(it);
    }
    std::sort(earlier.begin(), earlier.end(),
              [](const auto& a, const auto& b) { return a->second.generation < b->second.generation; });
    std::vector<std::pair<void*, size_t>> evicted;
    size_t taken = 0;
    for (const auto& it : earlier) {
      if (taken >= bytes) break;
      evicted.emplace_back(it->second.data, it->first);
      taken += it->first;
      cachedBytes_ -= it->first;
      free_.erase(it);
    }
    return evicted;
  }

 public:
  void StartGeneration() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
  }

  CachedBlockStats Stats() const {
    std::lock_guard<std::mutex> lock(mutex_);
    CachedBlockStats stats;
    for (const auto& [block, size] : live_) stats.liveBytes += size;
    stats.cachedBytes = cachedBytes_;
    return stats;
  }

  static CachingCpuAllocator*& Instance() {
    static CachingCpuAllocator* instance = nullptr;
    return instance;
  }

 private:
  c10::Allocator* fallback_;
  mutable std::mutex mutex_;
  mutable std::multimap<size_t, CachedBlock> free_;
  mutable std::unordered_map<void*, size_t> live_;
  mutable size_t cachedBytes_ = 0;
  uint64_t generation_ = 0;
};
#endif

}  // namespace

bool InstallCachingAllocator() {
#if defined(__linux__)
  // Never destroyed: tensors may outlive every other static of camu.
  auto*& instance = CachingCpuAllocator::Instance();
  if (instance != nullptr) return true;
  instance = new CachingCpuAllocator(c10::GetCPUAllocator());
  c10::SetCPUAllocator(instance, /*priority=*/1);
  return true;
#else
  return false;
#endif
}

void StartCacheGeneration() {
#if defined(__linux__)
  if (auto* instance = CachingCpuAllocator::Instance()) instance->StartGeneration();
#endif
}

CachedBlockStats CachingAllocatorStats() {
#if defined(__linux__)
  if (auto* instance = CachingCpuAllocator::Instance()) return instance->Stats();
#endif
  return {};
}

// glibc serves blocks above its mmap threshold (128 KiB at start, raised only as such blocks are
// freed) with fresh mmaps and hands freed heap tops back to the OS, so a fresh process page-faults
// on every large tensor buffer (a CNN step's activations and gradients: ~2000 faults, 4-5x the
// step time) until the dynamic threshold has caught up. 32 MiB is the largest threshold glibc
// accepts on 64-bit; the trim threshold keeps up to 256 MiB of freed heap for reuse. (Blocks
// from 1 MiB go to the caching allocator below instead; this still serves the smaller ones.)
void ReuseLargeAllocations() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace camu
