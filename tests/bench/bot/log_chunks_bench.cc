// What appending stage-log chunks to the store costs (bot/store/artifact_store.h): W writers
// (stages running at once, each its own log) append chunks of B bytes as fast as they can
// for S seconds through the real SqlStore (group commit shared by all writers). Prints rows/s
// and MiB/s. A real runner appends at most one chunk per 0.5 s per running stage (or per
// 64 KiB of output), so rows/s here over 2 is how many busy stages one store keeps up with.
//
//   log_chunks_bench --driver sqlite|postgres [--url URL] [--writers W] [--bytes B] [--seconds S]
// postgres needs --url (a libpq string), e.g. from tests/pg/pg_lane.sh up DIR --durable.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "bot/store/sql_store.h"

int main(int argc, char** argv) {
  std::string driver = "sqlite", url;
  int writers = 1, seconds = 5;
  size_t bytes = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--driver")
      driver = v;
    else if (k == "--url")
      url = v;
    else if (k == "--writers")
      writers = std::atoi(v.c_str());
    else if (k == "--bytes")
      bytes = static_cast<size_t>(std::atol(v.c_str()));
    else if (k == "--seconds")
      seconds = std::atoi(v.c_str());
    else {
      fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  ccci::SetLogSink([](const std::string&) {});
  char dir[] = "/tmp/cc-ci-chunks.XXXXXX";
  if (!mkdtemp(dir)) return 1;
  ccci::SqlStore::Options o;
  o.driver = driver;
  o.path = std::string(dir) + "/cc-ci.db";
  o.url = url;
  auto store = ccci::SqlStore::Open(o);
  if (!store.ok()) {
    fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  // A unique log name per bench run, so a reused database takes no conflicts.
  std::string tag = std::to_string(getpid()) + "-" + std::to_string(time(nullptr));
  std::string chunk(bytes, 'x');
  for (size_t i = 0; i < chunk.size(); i += 80) chunk[i] = '\n';
  std::atomic<bool> stop{false};
  std::atomic<int64_t> rows{0}, errors{0};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::string log = "bench-" + tag + "-" + std::to_string(w) + ".log";
      int64_t seq = 0, offset = 0;
      while (!stop.load()) {
        ccci::Status s = (*store)->AppendLogChunk(1, log, seq, offset, chunk);
        if (!s.ok()) {
          ++errors;
          continue;
        }
        ++seq;
        offset += static_cast<int64_t>(chunk.size());
        ++rows;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double per_s = static_cast<double>(rows.load()) / secs;
  printf(
      "driver=%s writers=%d chunk_bytes=%zu rows=%ld errors=%ld rows_per_s=%.0f MiB_per_s=%.1f\n",
      driver.c_str(), writers, bytes, static_cast<long>(rows.load()),
      static_cast<long>(errors.load()), per_s, per_s * static_cast<double>(bytes) / (1 << 20));
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
