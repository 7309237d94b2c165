// The cost of one command through the real PtyExecutor (fork, pty, exec, reap): the runner
// pays it some 90 times a suite (abra, docker, git, checks).
//   build/bin/executor_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include "bot/runner/executor.h"

namespace ccci::runner {
namespace {

class NullSink : public OutputSink {
 public:
  void Write(std::string_view) override {}
};

void BM_PtyExecutorRunsTrue(benchmark::State& state) {
  PtyExecutor executor;
  CancelToken cancel;
  NullSink sink;
  Command cmd;
  cmd.argv = {"true"};
  for (auto _ : state) {
    auto r = executor.Run(cmd, sink, cancel);
    if (!r.ok() || !r->ok()) state.SkipWithError("true did not run");
  }
}
BENCHMARK(BM_PtyExecutorRunsTrue)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace ccci::runner

BENCHMARK_MAIN();
