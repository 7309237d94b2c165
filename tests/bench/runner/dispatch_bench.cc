// Runner speed (issue 4): dispatch latency from a committed queued run to its first stage,
// and the runner's own cost of a whole suite when every command returns at once.
//   build/bin/dispatch_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
// The store is real SQLite in a temp dir; the executor is the scripted fake (no processes),
// so what is measured is cc-ci's part only.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "bot/runner/scheduler.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/fake_executor.h"
#include "tests/fakes/wait_until.h"

namespace ccci::runner {
namespace {

struct Bench {
  std::string dir;
  std::unique_ptr<SqlStore> store;
  ccci::testing::FakeExecutor executor;
  OpenGate gate;
  int64_t next = 0;

  Bench() {
    char tmpl[] = "/tmp/ccci-dispatch-XXXXXX";
    dir = mkdtemp(tmpl);
    SqlStore::Options o;
    o.path = dir + "/cc-ci.db";
    store = std::move(SqlStore::Open(o).value());
  }
  ~Bench() {
    store.reset();
    std::string cmd = "rm -rf '" + dir + "'";
    if (system(cmd.c_str()) != 0) {
    }
  }
  SchedulerOptions Options() {
    SchedulerOptions o;
    o.data_dir = dir + "/data";
    o.poll =
        std::chrono::seconds(10);  // only Kick() wakes it: the latency measured is the kick path
    o.defaults.ready_timeout = std::chrono::seconds(1);
    o.defaults.app_url = "http://127.0.0.1:1{health_path}";  // nothing listens: install fails fast
    o.defaults.probe_interval = std::chrono::milliseconds(1);
    o.clone_sources = CloneSources("", {dir});  // the fake executor "clones" dir + "/repo"
    return o;
  }
  int64_t Queue() {
    Delivery d;
    d.id = "bench-" + std::to_string(++next);
    d.event = "pull_request";
    Work w;
    w.kind = Work::Kind::kQueueRun;
    w.run.repo = "coop-cloud/traefik";
    w.run.pr = next;
    w.run.head_sha = "0123456789abcdef0123456789abcdef01234567";
    w.run.clone_url = dir + "/repo";
    w.run.trigger = "opened";
    return store->RecordDelivery(d, w)->run_id;
  }
};

// Committed queued run -> Kick -> the install stage recorded as running.
void BM_DispatchToFirstStage(benchmark::State& state) {
  Bench b;
  // git rev-parse must answer something sha-like for the suite to go on; the rest exit 0.
  b.executor.AddRule(
      {{"git", "--no-pager", "-c", "color.ui=never", "-C"}, {}, "0123456789abcdef\n"});
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<int64_t> started{0};
  Scheduler s(b.store.get(), b.store.get(), &b.gate, &b.executor, b.Options(), {}, [&] {
    std::lock_guard<std::mutex> l(mu);
    started.fetch_add(1);
    cv.notify_all();
  });
  s.Start();
  for (auto _ : state) {
    int64_t before = started.load();
    auto t0 = std::chrono::steady_clock::now();
    b.Queue();
    s.Kick();
    std::unique_lock<std::mutex> l(mu);
    // on_change fires for the claim, then for the install stage starting.
    cv.wait(l, [&] { return started.load() >= before + 2; });
    auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    l.unlock();
    ccci::testing::WaitUntil([&] { return s.active() == 0; }, std::chrono::seconds(30),
                             std::chrono::milliseconds(1));
  }
  s.Stop();
}
BENCHMARK(BM_DispatchToFirstStage)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(50);

// A whole suite (8 stages, ~20 commands, every one returning at once, the readiness probe
// refused at once): the runner's own time per run.
void BM_SuiteOverhead(benchmark::State& state) {
  Bench b;
  b.executor.AddRule(
      {{"git", "--no-pager", "-c", "color.ui=never", "-C"}, {}, "0123456789abcdef\n"});
  SchedulerOptions o = b.Options();
  o.defaults.ready_timeout = std::chrono::seconds(0);
  for (auto _ : state) {
    SuiteSpec spec = o.defaults;
    spec.run_id = ++b.next;
    spec.recipe = "traefik";
    spec.source = "/nonexistent";
    spec.ref = "main";
    spec.domain = RunDomain("traefik", 1, spec.run_id, "ci.test");
    spec.work_dir = b.dir + "/work/" + std::to_string(spec.run_id);
    spec.log_dir = b.dir + "/runs/" + std::to_string(spec.run_id);
    SuiteDeps deps;
    deps.executor = &b.executor;
    deps.sleep = [](std::chrono::milliseconds) {};
    CancelToken cancel;
    benchmark::DoNotOptimize(RunSuite(spec, deps, cancel));
  }
}
BENCHMARK(BM_SuiteOverhead)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ccci::runner

BENCHMARK_MAIN();
