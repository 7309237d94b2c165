#pragma once
// The headless Chromium a ChromiumScreenshotter keeps running: its process group (the
// browser leads it; its zygote and renderers are in it), its temporary profile dir, its
// DevTools connection and the tab kept between captures. Destroying it kills the whole
// group, reaps the browser, removes the profile dir and forgets the pid file's record.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/subprocess.h"
#include "renderer/devtools_client.h"
#include "renderer/screenshotter.h"

namespace ccci::render {

class BrowserProcess {
 public:
  // Kills a browser a killed cc-ci left behind (options.pid_file) and removes its profile,
  // then starts one with a new profile, waits (until `deadline`) for it to print its
  // DevTools address and connects to it. Errors: kDeadlineExceeded, kUnavailable when it
  // exits during start or cannot be connected to.
  static Result<std::unique_ptr<BrowserProcess>> Start(
      const ChromiumOptions& options, std::chrono::steady_clock::time_point deadline);
  ~BrowserProcess();
  BrowserProcess(const BrowserProcess&) = delete;
  BrowserProcess& operator=(const BrowserProcess&) = delete;

  // False once the connection broke or the browser exited (it is reaped then).
  bool Alive();
  pid_t pid() const { return pid_; }  // 0 once reaped
  DevToolsConnection& devtools() { return devtools_; }

  // The tab kept between captures (a new tab costs a renderer start and a viewport setup,
  // hundreds of milliseconds); empty when there is none.
  std::string target_id;
  std::string session_id;

 private:
  explicit BrowserProcess(std::string pid_file) : pid_file_(std::move(pid_file)) {}
  // Waits for "DevTools listening on ws://..." in the browser's stderr log; its address.
  Result<std::string> WaitForDevTools(const std::string& log_path,
                                      std::chrono::steady_clock::time_point deadline);

  std::string pid_file_;
  std::string profile_dir_;
  std::optional<Subprocess> process_;
  pid_t pid_ = 0;
  DevToolsConnection devtools_;
};

}  // namespace ccci::render
