#pragma once
// From the [runner] configuration to what the scheduler (serve) and `cc-ci check` need:
// scheduler options, suite defaults, and the screenshot function (one warm headless
// Chromium, started on the first capture, when runner.screenshots is on and Chromium is
// installed).

#include <memory>
#include <string>

#include "bot/config/config.h"
#include "bot/runner/scheduler.h"
#include "renderer/screenshotter.h"

namespace ccci {

// The browser the screenshot stage drives (Debian's chromium).
inline constexpr const char* kChromiumBinary = "/usr/bin/chromium";

class RunnerSetup {
 public:
  explicit RunnerSetup(const Config& config);
  const runner::SchedulerOptions& options() const { return options_; }
  runner::SuiteDeps deps() const;
  // One line for the start-up banner.
  std::string Describe() const;

 private:
  runner::SchedulerOptions options_;
  std::string browser_binary_;  // empty: no screenshots
  std::shared_ptr<render::ChromiumScreenshotter> browser_;
};

}  // namespace ccci
