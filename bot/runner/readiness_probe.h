#pragma once
// Readiness probe: polls an app URL with libcurl until it answers an expected status
// (default any 2xx/3xx; the proxy's 404 for an unknown host does not count) or the timeout
// passes. `connect_to` works like curl's --connect-to ("HOST:PORT:CONNECT-HOST:CONNECT-PORT")
// so a single-node CI reaches its local proxy without DNS.

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::runner {

struct ProbeOptions {
  std::string url;
  std::vector<std::string> connect_to;  // CURLOPT_CONNECT_TO entries
  std::vector<int> expected_codes;      // empty: 200..399
  bool verify_tls = true;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  std::chrono::milliseconds interval{std::chrono::seconds(2)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
};

struct ProbeResult {
  int last_code = 0;        // 0: no HTTP answer
  std::string last_error;   // curl's message for the last failed attempt
  int attempts = 0;
};

// `sleep` waits one interval and returns the time elapsed so far is measured by summing the
// intervals slept plus request time (steady clock); tests inject a sleep that returns at once.
// Returns the result when ready; kDeadlineExceeded (message with the last code/error) if not.
Result<ProbeResult> WaitReady(const ProbeOptions& options,
                              const std::function<void(std::chrono::milliseconds)>& sleep);

}  // namespace ccci::runner
