// Group-commit batch benchmark (issue 15): what recording a batch of B deliveries costs the
// PostgreSQL server, per delivery, with B fixed (under ingest.sh the batch size follows the
// load, so it moves with everything else on the machine). Each delivery is a push with a new
// body to one of PRS pull requests, so it queues a run and supersedes the PR's previous one,
// as in ingest.sh. Prints, per B, the server backend's CPU (utime + stime of the write
// connection's backend, read from /proc: run it on the server's host) and the wall time.
//
//   batch_bench URL [DELIVERIES] [PRS] [B...]   (default: 3000 500 1 5 20)

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bot/store/sql_store.h"

namespace {

// utime + stime of process `pid`, in clock ticks.
long long CpuTicks(int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  long long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14) utime = std::stoll(f);
    if (i == 15) {
      stime = std::stoll(f);
      break;
    }
  }
  return utime + stime;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: batch_bench URL [DELIVERIES] [PRS] [B...]\n");
    return 2;
  }
  int deliveries = argc > 2 ? std::stoi(argv[2]) : 3000;
  int prs = argc > 3 ? std::stoi(argv[3]) : 500;
  std::vector<int> sizes;
  for (int i = 4; i < argc; ++i) sizes.push_back(std::stoi(argv[i]));
  if (sizes.empty()) sizes = {1, 5, 20};
  ccci::SqlStore::Options o;
  o.driver = "postgres";
  o.url = argv[1];
  o.max_batch = 1000;
  auto store = ccci::SqlStore::Open(o);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  ccci::SqlStore& s = **store;
  int64_t backend = 0;
  ccci::Status got = s.Write([&](ccci::SqlDb& db) -> ccci::Status {
    auto q = db.Prepare("SELECT pg_backend_pid()");
    if (!q.ok()) return q.status();
    auto row = (*q)->Step();
    if (!row.ok()) return row.status();
    backend = (*q)->Int(0);
    return ccci::Status::Ok();
  });
  if (!got.ok() || backend == 0) {
    std::fprintf(stderr, "backend pid: %s\n", got.ToString().c_str());
    return 1;
  }
  int64_t n = 0;  // deliveries made so far: each one's id, body and head
  for (int b : sizes) {
    long long ticks0 = CpuTicks(backend);
    auto t0 = std::chrono::steady_clock::now();
    std::atomic<int> failed = 0;
    for (int done = 0; done < deliveries; done += b) {
      // One batch of b: a first write holds the lead until all b wait behind it.
      std::vector<std::thread> threads;
      ccci::Status lead = s.Write([&](ccci::SqlDb&) -> ccci::Status {
        if (!threads.empty()) return ccci::Status::Ok();
        for (int i = 0; i < b; ++i) {
          int64_t k = n++;
          threads.emplace_back([&s, &failed, k, prs] {
            ccci::Delivery d;
            d.id = "bench-" + std::to_string(k);
            d.body_digest = "body-" + std::to_string(k);
            d.event = "pull_request";
            d.repo = "bench/batch";
            d.pr = k % prs + 1;
            ccci::Work w;
            w.kind = ccci::Work::Kind::kQueueRun;
            w.run.repo = d.repo;
            w.run.pr = d.pr;
            w.run.head_sha = "sha-" + std::to_string(k);
            w.run.title = "a title";
            w.run.trigger = "synchronized";
            w.freshness = ccci::PrFreshness{k, "open", false, false};
            if (!s.RecordDelivery(d, w).ok()) ++failed;
          });
          while (s.QueuedWrites() < static_cast<size_t>(i + 1)) std::this_thread::yield();
        }
        return ccci::Status::Ok();
      });
      for (auto& t : threads) t.join();
      if (!lead.ok()) ++failed;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu_us = static_cast<double>(CpuTicks(backend) - ticks0) * 1e6 /
                    static_cast<double>(sysconf(_SC_CLK_TCK));
    std::printf(
        "B=%-3d %6d deliveries: server backend %5.0f us CPU/delivery, %5.0f us wall/delivery%s\n",
        b, deliveries, cpu_us / deliveries, secs * 1e6 / deliveries,
        failed.load() ? " (some failed)" : "");
  }
  return 0;
}
