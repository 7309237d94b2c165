#include "bot/store/sqlite_page_cache.h"

#include <mutex>
#include <new>

namespace ccci {
namespace {

constexpr unsigned kPendingByte = 0x40000000;  // PENDING_BYTE (sqlite3PendingByte's default)

sqlite3_pcache_methods2 g_default;  // SQLite's own, as it was before ours

// One of SQLite's caches (a connection's database, a temporary table, ...), pcache1's behind.
struct Cache {
  const sqlite3_pcache_methods2* m;  // the cache behind's methods
  sqlite3_pcache* under;
  unsigned pending;     // the pending-byte page's number: balance_nonroot's parking place
  unsigned max_key;     // no key above this is in the cache (an upper bound)
  sqlite3_pcache_page* parked = nullptr;  // the page parked, and where it really is
  unsigned parked_at = 0;
};

Cache* Of(sqlite3_pcache* p) { return reinterpret_cast<Cache*>(p); }

// Where a page SQLite puts at the pending-byte page goes instead: just above every page, a
// number no page has, so the walk at the commit is a bucket or two.
unsigned Park(Cache* c, sqlite3_pcache_page* page) {
  c->parked = page;
  c->parked_at = c->max_key + 1;
  return c->parked_at;
}

int Init(void*) { return g_default.xInit(g_default.pArg); }
void Shutdown(void*) {
  if (g_default.xShutdown) g_default.xShutdown(g_default.pArg);
}

sqlite3_pcache* Create(int page_size, int extra, int purgeable) {
  return CreatePageCacheOver(g_default, page_size, extra, purgeable);
}

void Cachesize(sqlite3_pcache* p, int n) { Of(p)->m->xCachesize(Of(p)->under, n); }
int Pagecount(sqlite3_pcache* p) { return Of(p)->m->xPagecount(Of(p)->under); }

sqlite3_pcache_page* Fetch(sqlite3_pcache* p, unsigned key, int create) {
  Cache* c = Of(p);
  if (key == c->pending) {
    // Asked before a page is parked (is anything there to drop?) or after: where it is.
    if (c->parked) return c->m->xFetch(c->under, c->parked_at, create);
    // Nothing is there. (SQLite makes no page there but to swap one: should it make one, it
    // is parked as one swapped, so what comes after it finds it.)
    sqlite3_pcache_page* page = c->m->xFetch(c->under, c->max_key + 1, create);
    if (page) Park(c, page);
    return page;
  }
  sqlite3_pcache_page* page = c->m->xFetch(c->under, key, create);
  if (page && key > c->max_key) c->max_key = key;
  return page;
}

void Unpin(sqlite3_pcache* p, sqlite3_pcache_page* page, int discard) {
  Cache* c = Of(p);
  if (page == c->parked && discard) c->parked = nullptr;
  c->m->xUnpin(c->under, page, discard);
}

void Rekey(sqlite3_pcache* p, sqlite3_pcache_page* page, unsigned from, unsigned to) {
  Cache* c = Of(p);
  if (to == c->pending) {
    c->m->xRekey(c->under, page, from, Park(c, page));
    return;
  }
  if (from == c->pending && page == c->parked) {
    from = c->parked_at;
    c->parked = nullptr;
  }
  c->m->xRekey(c->under, page, from, to);
  if (to > c->max_key) c->max_key = to;
}

void Truncate(sqlite3_pcache* p, unsigned limit) {
  Cache* c = Of(p);
  c->m->xTruncate(c->under, limit);
  if (c->parked && c->parked_at >= limit) c->parked = nullptr;
  if (limit == 0) {
    c->max_key = 0;
  } else if (c->max_key >= limit) {
    c->max_key = limit - 1;
  }
}

void Destroy(sqlite3_pcache* p) {
  Cache* c = Of(p);
  c->m->xDestroy(c->under);
  delete c;
}

void Shrink(sqlite3_pcache* p) { Of(p)->m->xShrink(Of(p)->under); }

const sqlite3_pcache_methods2 kMethods = {1,         nullptr,  Init,   Shutdown, Create,
                                          Cachesize, Pagecount, Fetch, Unpin,    Rekey,
                                          Truncate,  Destroy,  Shrink};

}  // namespace

const sqlite3_pcache_methods2& SqlitePageCache() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &g_default); });
  return kMethods;
}

bool InstallSqlitePageCache() {
  static std::once_flag once;
  static bool installed = false;
  std::call_once(once, [] {
    const sqlite3_pcache_methods2& ours = SqlitePageCache();
    installed = g_default.xCreate != nullptr &&
                sqlite3_config(SQLITE_CONFIG_PCACHE2, &ours) == SQLITE_OK;
  });
  return installed;
}

sqlite3_pcache* CreatePageCacheOver(const sqlite3_pcache_methods2& under, int page_size, int extra,
                                    int purgeable) {
  sqlite3_pcache* inner = under.xCreate(page_size, extra, purgeable);
  if (!inner) return nullptr;
  auto* c = new (std::nothrow)
      Cache{&under, inner, kPendingByte / static_cast<unsigned>(page_size) + 1, 0};
  if (!c) {
    under.xDestroy(inner);
    return nullptr;
  }
  return reinterpret_cast<sqlite3_pcache*>(c);
}

}  // namespace ccci
