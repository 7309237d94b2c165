// Badge rendering speed: SVG (compare with badge_maker_bench.js on the same labels) and PNG.

#include <benchmark/benchmark.h>

#include "renderer/badge.h"
#include "renderer/card.h"

namespace ccci::render {
namespace {

const BadgeSpec kSpecs[] = {BadgeForLevel(0), BadgeForLevel(3), BadgeForLevel(5),
                            BadgeForState("running"), BadgeForState("ci error")};

void BM_BadgeSvg(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(RenderBadgeSvg(kSpecs[i++ % 5]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BadgeSvg);

void BM_BadgePng(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(RenderBadgePng(kSpecs[i++ % 5]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BadgePng);

void BM_BadgePng2x(benchmark::State& state) {
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(RenderBadgePng(kSpecs[i++ % 5], 2));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BadgePng2x);

// range(0): the default branch's runs drawn in the level history under the level block.
void BM_SummaryCard(benchmark::State& state) {
  RunSummary r;
  r.recipe = "nextcloud";
  r.repo = "coop-cloud/nextcloud";
  r.pr = 17;
  r.short_sha = "c3a1f7e";
  r.state = "finished";
  r.previous_level = 3;
  for (const char* n : {"install", "upgrade", "backup", "restore", "functional", "lint",
                        "screenshot", "teardown"}) {
    domain::StageResult s;
    s.name = n;
    s.status = domain::StageStatus::kPass;
    s.duration_ms = 12345;
    r.stages.push_back(s);
  }
  for (int64_t i = 0; i < state.range(0); ++i) {
    r.history.push_back({i + 1, static_cast<int>(i % 9), false, false, false});
  }
  if (!r.history.empty()) r.history.back().current = true;
  for (auto _ : state) benchmark::DoNotOptimize(RenderCardPng(r));
}
BENCHMARK(BM_SummaryCard)->Arg(0)->Arg(30)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ccci::render

BENCHMARK_MAIN();
