// Micro-benchmarks of the intake path's parts on the real ~16 KB payload: HMAC, parse, the
// whole Intake::Handle against an in-memory and an on-disk SQLite store.

#include <benchmark/benchmark.h>

#include "base/log.h"
#include "bot/intake/gitea_event.h"
#include "bot/intake/intake.h"
#include "bot/intake/signature.h"
#include "bot/store/sql_store.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

const std::string& Body() {
  static const std::string body =
      testing::ReadShared("gitea/payloads/pull_request_synchronized.json");
  return body;
}

void BM_HmacSha256(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(HmacSha256Hex("secret", Body()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(Body().size()));
}
BENCHMARK(BM_HmacSha256);

// What the intake does: the signature checked with a verifier keyed once.
void BM_VerifySignature(benchmark::State& state) {
  SignatureVerifier verifier({"secret"});
  std::string signature = HmacSha256Hex("secret", Body()), digest;
  for (auto _ : state) benchmark::DoNotOptimize(verifier.Verify(Body(), signature, "", &digest));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(Body().size()));
}
BENCHMARK(BM_VerifySignature);

void BM_ParsePullRequest(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(ParseGiteaEvent("pull_request", Body()));
}
BENCHMARK(BM_ParsePullRequest);

void HandleLoop(benchmark::State& state, const std::string& path) {
  SetLogSink([](const std::string&) {});
  SqlStore::Options o;
  o.path = path;
  auto store = std::move(SqlStore::Open(o).value());
  Intake intake(store.get(), Intake::Options{{"s"}, "cc-ci", RealClock(), {}});
  int64_t i = 0;
  for (auto _ : state) {
    ++i;
    char sha[41];
    snprintf(sha, sizeof(sha), "%040ld", static_cast<long>(i));
    state.PauseTiming();
    WebhookRequest r;
    r.event = "pull_request";
    r.delivery = "b-" + std::to_string(i);
    r.body = testing::SyncBody(Body(), static_cast<int>(i % 500 + 1), sha);
    r.signature = HmacSha256Hex("s", r.body);
    state.ResumeTiming();
    IntakeResponse out = intake.Handle(r);
    if (out.status != 202) state.SkipWithError(out.message.c_str());
  }
  SetLogSink(nullptr);
}

void BM_HandleMemoryStore(benchmark::State& state) { HandleLoop(state, ":memory:"); }
BENCHMARK(BM_HandleMemoryStore);

// BENCH_ITERATIONS=N: also runs it exactly N times (BM_HandleMemoryStoreFixed), for an
// instruction count that a busy machine cannot disturb: tests/bench/bot/handle_ir.sh runs it
// under callgrind, counting only inside Intake::Handle.
[[maybe_unused]] benchmark::internal::Benchmark* const kFixed =
    getenv("BENCH_ITERATIONS")
        ? benchmark::RegisterBenchmark("BM_HandleMemoryStoreFixed", BM_HandleMemoryStore)
              ->Iterations(atoi(getenv("BENCH_ITERATIONS")))
        : nullptr;

void BM_HandleSqliteFile(benchmark::State& state) {
  testing::TempDir dir;
  HandleLoop(state, dir.File("bench.db"));
}
BENCHMARK(BM_HandleSqliteFile);

}  // namespace
}  // namespace ccci

BENCHMARK_MAIN();
