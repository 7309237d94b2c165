#include "bot/runner/readiness_probe.h"

#include <curl/curl.h>

#include <algorithm>

namespace ccci::runner {
namespace {

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

bool Expected(const ProbeOptions& o, int code) {
  if (o.expected_codes.empty()) return code >= 200 && code < 400;
  return std::find(o.expected_codes.begin(), o.expected_codes.end(), code) !=
         o.expected_codes.end();
}

}  // namespace

Result<ProbeResult> WaitReady(const ProbeOptions& options,
                              const std::function<void(std::chrono::milliseconds)>& sleep) {
  CURL* curl = curl_easy_init();
  if (!curl) return Internal("curl_easy_init failed");
  curl_slist* connect_to = nullptr;
  for (const auto& c : options.connect_to) connect_to = curl_slist_append(connect_to, c.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, options.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect already means "app up"

  ProbeResult result;
  std::chrono::milliseconds waited{0};
  bool ready = false;
  while (true) {
    ++result.attempts;
    CURLcode rc = curl_easy_perform(curl);
    long code = 0;
    if (rc == CURLE_OK) {
      curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
      result.last_error.clear();
    } else {
      result.last_error = curl_easy_strerror(rc);
    }
    result.last_code = static_cast<int>(code);
    if (rc == CURLE_OK && Expected(options, result.last_code)) {
      ready = true;
      break;
    }
    if (waited + options.interval > options.timeout) break;
    sleep(options.interval);
    waited += options.interval;
  }
  curl_slist_free_all(connect_to);
  curl_easy_cleanup(curl);
  if (ready) return result;
  return Status(Code::kDeadlineExceeded,
                "not ready after " + std::to_string(result.attempts) + " attempts; last code " +
                    std::to_string(result.last_code) +
                    (result.last_error.empty() ? "" : "; " + result.last_error));
}

}  // namespace ccci::runner
