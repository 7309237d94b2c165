// Screenshot latency: a capture in the warm browser ChromiumScreenshotter keeps, against a cold
// `chromium --headless --screenshot` process per shot (what a naive runner would do), both of
// the same loopback page. Each repetition is one shot; read the medians:
//   build/bin/screenshot_bench --benchmark_repetitions=15 --benchmark_report_aggregates_only

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "renderer/screenshotter.h"
#include "tests/renderer/page_server.h"

namespace ccci::render {
namespace {

void BM_WarmScreenshot(benchmark::State& state) {
  static ChromiumScreenshotter shooter;
  static testing::PageServer page("#3366cc");
  if (!shooter.Capture(page.url(), std::chrono::seconds(60)).ok()) {  // start the browser
    state.SkipWithError("first capture failed");
    return;
  }
  for (auto _ : state) {
    auto png = shooter.Capture(page.url(), std::chrono::seconds(30));
    if (!png.ok()) state.SkipWithError(png.status().ToString().c_str());
    benchmark::DoNotOptimize(png);
  }
}
BENCHMARK(BM_WarmScreenshot)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

void BM_ColdChromiumScreenshot(benchmark::State& state) {
  static testing::PageServer page("#3366cc");
  const std::string cmd =
      "d=$(mktemp -d) && /usr/bin/chromium --headless --no-sandbox --disable-gpu "
      "--disable-background-networking "
      "--disable-component-update --disable-sync --disable-quic --no-first-run "
      "--hide-scrollbars --user-data-dir=$d --window-size=1280,800 "
      "--screenshot=/tmp/ccci-cold-shot.png " +
      page.url() + " >/dev/null 2>&1; rc=$?; rm -rf \"$d\"; exit $rc";
  for (auto _ : state) {
    if (std::system(cmd.c_str()) != 0) state.SkipWithError("chromium --screenshot failed");
  }
}
BENCHMARK(BM_ColdChromiumScreenshot)->Unit(benchmark::kMillisecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace ccci::render

BENCHMARK_MAIN();
