#include "bot/store/memory_store.h"

namespace ccci {

Result<std::unique_ptr<SqlStore>> OpenMemoryStore(Clock* clock) {
  SqlStore::Options o;
  o.driver = "sqlite";
  o.path = ":memory:";
  o.clock = clock;
  return SqlStore::Open(o);
}

}  // namespace ccci
