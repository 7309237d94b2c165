// Badge rendering speed: SVG (compare with badge_maker_bench.js on the same labels) and PNG.

#include <benchmark/benchmark.h>

#include "renderer/badge.h"

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

}  // namespace
}  // namespace ccci::render

BENCHMARK_MAIN();
