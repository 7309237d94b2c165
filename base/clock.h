#pragma once
// Time comes from a Clock so that tests of timeouts, stalls and backoff advance a fake
// clock instead of sleeping. Real code uses RealClock(); tests use tests/fakes/fake_clock.h.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccci {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps that people read and that are stored.
  virtual std::chrono::system_clock::time_point Now() = 0;
  // Monotonic time, for measuring durations and deadlines.
  virtual std::chrono::steady_clock::time_point SteadyNow() = 0;

  int64_t NowUnixMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch())
        .count();
  }
};

// The process-wide real clock. Thread-safe; never destroyed.
Clock* RealClock();

// RFC 3339 UTC with milliseconds: 2026-07-20T09:14:03.120Z.
std::string FormatRfc3339Millis(int64_t unix_millis);

// Unix millis of an RFC 3339 time as Gitea writes them ("2026-07-20T11:02:47Z",
// "2026-07-20T13:02:47+02:00", fractions of a second allowed); nullopt for anything else.
std::optional<int64_t> ParseRfc3339Millis(std::string_view text);

}  // namespace ccci
