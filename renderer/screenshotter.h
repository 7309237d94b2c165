#pragma once
// Screenshots of a deployed app's front page, for the summary card and the run page.
//
// ChromiumScreenshotter keeps ONE headless Chromium running between captures (starting it
// costs about a second; a capture in a warm browser is a few tens of milliseconds) and drives
// it over the DevTools protocol on a loopback WebSocket, and keeps one 1280x800 tab open too
// (opening a tab and sizing it costs a few hundred milliseconds): per capture it navigates the
// tab, waits for that navigation's load event and takes a PNG. After a failed capture the tab
// is closed and the next capture opens a fresh one. Cookies and storage persist in the
// browser's (temporary) profile between captures. Captures are serialized: Capture() is
// thread-safe, and a second caller waits for the first to finish.
//
// Network: with `same_origin_only` (the default), every request the page makes to another
// origin than the URL's (scheme, host, port) fails (Fetch.enable + Fetch.failRequest), so a
// recipe's front page cannot make the CI host fetch arbitrary third-party content. Chromium's
// own background traffic is switched off by its flags.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::render {

inline constexpr int kScreenshotWidth = 1280;
inline constexpr int kScreenshotHeight = 800;

class Screenshotter {
 public:
  virtual ~Screenshotter() = default;
  // PNG bytes of `url` rendered at 1280x800 once its load event fired. Errors:
  // kDeadlineExceeded past `timeout` (browser start included), kUnavailable when the page or
  // the browser cannot be reached, kInvalidArgument for a URL that is not http(s).
  virtual Result<std::string> Capture(const std::string& url,
                                      std::chrono::milliseconds timeout) = 0;
};

struct ChromiumOptions {
  std::string binary = "/usr/bin/chromium";
  bool same_origin_only = true;
  // How long a (re)start may take to print its DevTools address.
  std::chrono::milliseconds startup_timeout{30000};
  // Like curl's --connect-to ("HOST:PORT:CONNECT-HOST:CONNECT-PORT", empty HOST or PORT = any),
  // as the readiness probe uses them: a single-node CI reaches its local proxy for an app
  // domain no DNS knows. Given to Chromium as --host-resolver-rules (HostResolverRules).
  std::vector<std::string> connect_to;
  // Test deployments are usually self-signed (runner.verify_tls = false).
  bool ignore_certificate_errors = false;
  // Where the running browser's process group and profile dir are recorded
  // (base/leftover_group.h): a cc-ci killed without a chance to stop it (SIGKILL, OOM) leaves
  // it running, and the next start kills it and removes its profile. Empty: no file.
  std::string pid_file;
};

// Chromium's --host-resolver-rules value for curl --connect-to entries: "h:p:ch:cp" becomes
// "MAP h:p ch:cp" (empty h -> "*", empty p -> any port, empty cp -> the same port). An entry
// Chromium cannot express (no CONNECT-HOST: "the same host" has no MAP form) or one that is
// not four fields is left out and appended to `left_out` when given.
std::string HostResolverRules(const std::vector<std::string>& connect_to,
                              std::vector<std::string>* left_out = nullptr);

class BrowserProcess;  // browser_process.h

// The capture: one tab of a kept browser (browser_process.h), driven over DevTools
// (devtools_client.h).
class ChromiumScreenshotter : public Screenshotter {
 public:
  explicit ChromiumScreenshotter(ChromiumOptions options = {});
  ~ChromiumScreenshotter() override;  // stops the browser and removes its profile dir
  ChromiumScreenshotter(const ChromiumScreenshotter&) = delete;
  ChromiumScreenshotter& operator=(const ChromiumScreenshotter&) = delete;

  // Starts the browser now rather than on the first capture.
  Status Start();
  // A browser that died (or was killed) is restarted by the next capture.
  Result<std::string> Capture(const std::string& url, std::chrono::milliseconds timeout) override;

  // The browser's process id, 0 when none is running (for tests and diagnostics).
  pid_t browser_pid() const;

 private:
  Status StartLocked(std::chrono::steady_clock::time_point deadline);
  void StopLocked();
  bool AliveLocked();
  Result<std::string> CaptureLocked(const std::string& url, const std::string& origin,
                                    std::chrono::steady_clock::time_point deadline);

  ChromiumOptions options_;
  mutable std::mutex mu_;
  std::unique_ptr<BrowserProcess> browser_;  // null when none runs
};

// A 1280x800 grey PNG saying `message` (e.g. "no screenshot: connection refused"), for a run
// whose capture failed.
Result<std::string> PlaceholderScreenshotPng(const std::string& message);

}  // namespace ccci::render
