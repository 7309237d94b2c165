#include "bot/store/sqlite_malloc.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace ccci {
namespace {

// In front of every block: its usable size (what xSize reports) and its class (0: not cached).
// 16 bytes, so the block keeps malloc's 16-byte alignment.
struct alignas(16) Header {
  uint64_t size;
  uint64_t size_class;
};

constexpr size_t kSmallStep = 32;  // classes 1..32: 32 to 1,024 bytes
constexpr size_t kSmallMax = 1024;
constexpr size_t kLargeStep = 256;  // classes 33..60: 1,280 to 8,192 bytes
constexpr size_t kClasses = kSmallMax / kSmallStep + (kMaxCachedBytes - kSmallMax) / kLargeStep + 1;

size_t ClassOf(size_t n) {
  if (n == 0) n = 1;
  if (n <= kSmallMax) return (n + kSmallStep - 1) / kSmallStep;
  if (n <= kMaxCachedBytes)
    return kSmallMax / kSmallStep + (n - kSmallMax + kLargeStep - 1) / kLargeStep;
  return 0;
}

size_t SizeOfClass(size_t c) {
  if (c <= kSmallMax / kSmallStep) return c * kSmallStep;
  return kSmallMax + (c - kSmallMax / kSmallStep) * kLargeStep;
}

// What a request of n bytes gets: its class's size, or n rounded up to 16 past the classes.
size_t Rounded(size_t n) {
  size_t c = ClassOf(n);
  return c ? SizeOfClass(c) : (n + 15) & ~size_t{15};
}

Header* HeaderOf(void* p) { return static_cast<Header*>(p) - 1; }

// A thread's free blocks, a list per class linked through each block's first bytes.
struct ThreadCache {
  void* head[kClasses] = {};
  size_t bytes = 0;
  ~ThreadCache();
};

// Set once the thread's cache is gone: SQLite may still free a block from another thread-local
// object's destructor after it, and that block goes straight to free.
thread_local bool cache_gone = false;
thread_local ThreadCache cache;

ThreadCache::~ThreadCache() {
  cache_gone = true;
  for (void*& list : head) {
    while (list) {
      void* next = *static_cast<void**>(list);
      std::free(HeaderOf(list));
      list = next;
    }
  }
  bytes = 0;
}

void* Malloc(int n) {
  if (n < 0) return nullptr;
  size_t c = ClassOf(static_cast<size_t>(n));
  if (c && !cache_gone) {
    if (void* p = cache.head[c]) {
      cache.head[c] = *static_cast<void**>(p);
      cache.bytes -= HeaderOf(p)->size;
      return p;
    }
  }
  size_t size = Rounded(static_cast<size_t>(n));
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + size));
  if (!h) return nullptr;
  h->size = size;
  h->size_class = c;
  return h + 1;
}

void Free(void* p) {
  if (!p) return;
  Header* h = HeaderOf(p);
  if (h->size_class && !cache_gone && cache.bytes + h->size <= kMaxCachedBytesPerThread) {
    *static_cast<void**>(p) = cache.head[h->size_class];
    cache.head[h->size_class] = p;
    cache.bytes += h->size;
    return;
  }
  std::free(h);
}

void* Realloc(void* p, int n) {
  if (!p) return Malloc(n);
  if (n < 0) return nullptr;
  Header* h = HeaderOf(p);
  size_t want = Rounded(static_cast<size_t>(n));
  if (want == h->size) return p;  // the same class: the block already fits
  if (!h->size_class && !ClassOf(static_cast<size_t>(n))) {  // large to large: malloc's realloc
    auto* g = static_cast<Header*>(std::realloc(h, sizeof(Header) + want));
    if (!g) return nullptr;
    g->size = want;
    return g + 1;
  }
  void* q = Malloc(n);
  if (!q) return nullptr;
  std::memcpy(q, p, h->size < want ? h->size : want);
  Free(p);
  return q;
}

int Size(void* p) { return p ? static_cast<int>(HeaderOf(p)->size) : 0; }

int Roundup(int n) { return n < 0 ? n : static_cast<int>(Rounded(static_cast<size_t>(n))); }

int Init(void*) { return SQLITE_OK; }

void Shutdown(void*) {}

const sqlite3_mem_methods kMethods = {Malloc,  Free, Realloc,  Size,
                                      Roundup, Init, Shutdown, nullptr};

}  // namespace

const sqlite3_mem_methods& SqliteAllocator() { return kMethods; }

size_t SqliteAllocatorCachedBytes() { return cache_gone ? 0 : cache.bytes; }

bool InstallSqliteAllocator() {
#if defined(__SANITIZE_ADDRESS__)
  return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return false;
#endif
#endif
  return sqlite3_config(SQLITE_CONFIG_MALLOC, &kMethods) == SQLITE_OK;
}

}  // namespace ccci
