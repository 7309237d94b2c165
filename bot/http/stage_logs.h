#pragma once
// Stage log routes:
//   GET /runs/{id}/logs/{stage}          the log as HTML (colours kept, escaped)
//   GET /runs/{id}/logs/{stage}?raw=1    the bytes as text/plain, as is /runs/{id}/logs/{stage}.txt
//   GET /runs/{id}/logs/{stage}/events   the live stream (bot/http/log_stream.h)
//   GET /runs/{id}/logs/{stage}.1[.txt|/events]  the same for the retry of a retried stage
// The stage name from the URL only selects among the run's stage records; the file is the
// record's log_path under the data dir, so a URL can name no other file.

#include <string>

namespace Poco::Net {
class HTTPRequestHandler;
}

namespace ccci {

struct HttpServices;
class LogStreams;

// The longest log shown as HTML; of a longer one only the end is shown (the raw text has it
// all).
inline constexpr size_t kMaxLogHtmlBytes = 4 << 20;

// A handler for `path` (query removed) if it is under /runs/{id}/logs/, else nullptr. The
// services and `streams` must outlive it.
Poco::Net::HTTPRequestHandler* MakeStageLogHandler(const std::string& path,
                                                   const HttpServices* services,
                                                   LogStreams* streams);

}  // namespace ccci
