// Claim benchmark (issue 15): N queued runs, K workers claiming them at once through
// RunQueue::ClaimNext until none is left; prints claims/s and the claim latency percentiles,
// and checks that every run was claimed exactly once. Each worker has its own store (its own
// database connection), as `cc-ci worker` processes on different hosts do.
//
//   claim_bench sqlite PATH [RUNS] [WORKERS] [HISTORY]
//   claim_bench postgres URL [RUNS] [WORKERS] [HISTORY]
// HISTORY finished runs (default 0) are stored before the queued ones, as on a server that has
// run for a while: a claim must not have to walk past them.
// tests/bench/bot/claim.sh runs both, PostgreSQL on a throwaway durable server.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bot/store/sql_store.h"

namespace {

using Clock = std::chrono::steady_clock;

ccci::SqlStore::Options StoreOptions(const std::string& driver, const std::string& where) {
  ccci::SqlStore::Options o;
  o.driver = driver;
  if (driver == "postgres") {
    o.url = where;
  } else {
    o.path = where;
  }
  return o;
}

// Stores `runs` runs in `state` in one statement (a recursive CTE both drivers accept).
ccci::Status Seed(ccci::SqlStore& store, int runs, const std::string& state) {
  if (runs == 0) return ccci::Status::Ok();
  return store.Write([&](ccci::SqlDb& db) {
    return db.Exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
        std::to_string(runs) +
        ") INSERT INTO runs (repo, pr, head_sha, head_ref, base_ref, clone_url, title, author, "
        "trigger, delivery_id, state, created_at, updated_at) "
        "SELECT 'bench/claim', i, 'sha', 'head', 'main', 'https://example.invalid/r.git', 't', "
        "'a', 'opened', '" +
        state + "' || i, '" + state + "', 0, 0 FROM n");
  });
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: claim_bench sqlite|postgres PATH|URL [RUNS] [WORKERS] [HISTORY]\n");
    return 2;
  }
  std::string driver = argv[1], where = argv[2];
  int runs = argc > 3 ? std::stoi(argv[3]) : 10000;
  int workers = argc > 4 ? std::stoi(argv[4]) : 4;
  int history = argc > 5 ? std::stoi(argv[5]) : 0;
  if (runs < 1 || workers < 1 || history < 0) {
    std::fprintf(stderr, "claim_bench: RUNS and WORKERS must be at least 1, HISTORY at least 0\n");
    return 2;
  }

  std::vector<std::unique_ptr<ccci::SqlStore>> stores;
  for (int w = 0; w < workers; ++w) {
    auto s = ccci::SqlStore::Open(StoreOptions(driver, where));
    if (!s.ok()) {
      std::fprintf(stderr, "claim_bench: %s\n", s.status().message().c_str());
      return 1;
    }
    stores.push_back(std::move(*s));
  }
  ccci::Status seeded = Seed(*stores[0], history, "finished");
  if (seeded.ok()) seeded = Seed(*stores[0], runs, "queued");
  if (ccci::Status s = seeded; !s.ok()) {
    std::fprintf(stderr, "claim_bench: seeding: %s\n", s.message().c_str());
    return 1;
  }

  std::mutex mu;
  std::vector<double> latencies_ms;
  std::set<int64_t> claimed;
  int duplicates = 0, errors = 0;
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      std::string name = "worker-" + std::to_string(w);
      std::vector<double> mine;
      std::vector<int64_t> ids;
      int failed = 0;
      for (;;) {
        auto t0 = Clock::now();
        auto lease = stores[w]->ClaimNext(name, 600000, "default");
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!lease.ok()) {
          if (++failed > 100) break;
          continue;
        }
        if (!*lease) break;
        ids.push_back((*lease)->run.id);
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      errors += failed;
      for (int64_t id : ids) duplicates += claimed.insert(id).second ? 0 : 1;
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "%s: %d runs after %d finished, %d workers: %.0f claims/s, latency p50 %.2f ms, p99 %.2f ms, "
      "max %.2f ms; "
      "claimed %zu, twice %d, errors %d\n",
      driver.c_str(), runs, history, workers, static_cast<double>(claimed.size()) / secs,
      Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99), Percentile(latencies_ms, 1.0),
      claimed.size(), duplicates, errors);
  return claimed.size() == static_cast<size_t>(runs) && duplicates == 0 && errors == 0 ? 0 : 1;
}
