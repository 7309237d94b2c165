#pragma once
// Stage log routes:
//   GET /runs/{id}/logs/{stage}          the log as HTML (colours kept, escaped)
//   GET /runs/{id}/logs/{stage}?raw=1    the bytes as text/plain, as is /runs/{id}/logs/{stage}.txt
//   GET /runs/{id}/logs/{stage}/events   the live stream (bot/http/log_stream.h)
//   GET /runs/{id}/logs/{stage}.1[.txt|/events]  the same for the retry of a retried stage
// The stage name from the URL only selects among the run's stage records; the log is the
// record's log_path under the data dir, or the store's chunks of that file name
// (bot/http/log_bytes.h), so a URL can name no other file.

#include <string>
#include <string_view>

#include "bot/http/route.h"

namespace ccci {

struct HttpServices;
class LogStreams;
class SlotCap;

// The longest log shown as HTML; of a longer one only the end is shown (the raw text has it
// all).
inline constexpr size_t kMaxLogHtmlBytes = 4 << 20;

// Most log pages being sent at once; more get 503. A page is rendered as the peer reads it,
// so each holds a file and one piece of HTML until the peer has read it all.
inline constexpr int kMaxLogRenders = 64;

// The route for `path` (query removed) if it is under /runs/{id}/logs/, else none.
// `renders` caps the HTML pages being sent at once. All must outlive the route.
Route MatchStageLogRoute(std::string_view path, const HttpServices* services, LogStreams* streams,
                         SlotCap* renders);

}  // namespace ccci
