#include "renderer/screenshotter.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <cairo.h>

#include <algorithm>
#include <iterator>
#include <sstream>
#include <vector>

#include "renderer/browser_process.h"
#include "renderer/devtools_client.h"
#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "renderer/text_painter.h"

namespace ccci::render {

using Clock = std::chrono::steady_clock;

namespace {

// "scheme://host:port" with the scheme's default port filled in; empty for non-http(s).
std::string OriginOf(const std::string& url) {
  try {
    Poco::URI uri(url);
    std::string scheme = uri.getScheme();
    if (scheme != "http" && scheme != "https") return "";
    std::string host = uri.getHost();
    std::transform(host.begin(), host.end(), host.begin(), ::tolower);
    return scheme + "://" + host + ":" + std::to_string(uri.getPort());
  } catch (const Poco::Exception&) {
    return "";
  }
}

Result<std::string> DecodeBase64(const std::string& b64) {
  std::istringstream in(b64);
  Poco::Base64Decoder dec(in);
  std::string out;
  try {
    out.assign(std::istreambuf_iterator<char>(dec), std::istreambuf_iterator<char>());
  } catch (const Poco::Exception& e) {
    return Internal("screenshot is not base64: " + e.displayText());
  }
  return out;
}

// A new 1280x800 tab in `b`, attached (b->target_id, b->session_id) and told to report its
// load events, crashes and (with `same_origin_only`) every request to `on_event`.
Status OpenTab(DevToolsClient& cdp, BrowserProcess* b, bool same_origin_only,
               const DevToolsClient::EventHandler& on_event) {
  auto target = cdp.Call("Target.createTarget", "{\"url\":\"about:blank\"}");
  if (!target.ok()) return target.status();
  b->target_id = StringField(*target, "targetId");
  auto attached = cdp.Call("Target.attachToTarget",
                           "{\"targetId\":" + JsonQuote(b->target_id) + ",\"flatten\":true}");
  if (!attached.ok()) return attached.status();
  b->session_id = StringField(*attached, "sessionId");
  std::vector<std::pair<std::string, std::string>> setup = {
      {"Emulation.setDeviceMetricsOverride",
       "{\"width\":" + std::to_string(kScreenshotWidth) + ",\"height\":" +
           std::to_string(kScreenshotHeight) + ",\"deviceScaleFactor\":1,\"mobile\":false}"},
      {"Page.enable", "{}"},
      {"Page.setLifecycleEventsEnabled", "{\"enabled\":true}"},
      {"Inspector.enable", "{}"}};
  if (same_origin_only) {
    setup.push_back({"Fetch.enable", "{\"patterns\":[{\"urlPattern\":\"*\"}]}"});
  }
  for (const auto& [m, params] : setup) {
    auto r = cdp.Call(m, params, b->session_id, on_event);
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

}  // namespace

ChromiumScreenshotter::ChromiumScreenshotter(ChromiumOptions options)
    : options_(std::move(options)) {}

ChromiumScreenshotter::~ChromiumScreenshotter() {
  std::lock_guard<std::mutex> lock(mu_);
  StopLocked();
}

pid_t ChromiumScreenshotter::browser_pid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return browser_ ? browser_->pid() : 0;
}

Status ChromiumScreenshotter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (AliveLocked()) return Status::Ok();
  return StartLocked(Clock::now() + options_.startup_timeout);
}

bool ChromiumScreenshotter::AliveLocked() { return browser_ && browser_->Alive(); }

void ChromiumScreenshotter::StopLocked() { browser_.reset(); }

Status ChromiumScreenshotter::StartLocked(Clock::time_point deadline) {
  StopLocked();
  auto b = BrowserProcess::Start(options_, deadline);
  if (!b.ok()) return b.status();
  browser_ = std::move(*b);
  return Status::Ok();
}

Result<std::string> ChromiumScreenshotter::Capture(const std::string& url,
                                                   std::chrono::milliseconds timeout) {
  const std::string origin = OriginOf(url);
  if (origin.empty()) return InvalidArgument("not an http(s) URL: " + url);
  std::lock_guard<std::mutex> lock(mu_);
  const auto deadline = Clock::now() + timeout;
  if (!AliveLocked()) {
    CCCI_RETURN_IF_ERROR(StartLocked(std::min(deadline, Clock::now() + options_.startup_timeout)));
  }

  // A browser killed since the last capture may not be reaped yet; then the first command
  // fails on the dead connection, and one restart (and retry) is worth it.
  for (int attempt = 0;; ++attempt) {
    auto png = CaptureLocked(url, origin, deadline);
    if (png.ok()) return png;
    bool dead = browser_->devtools().broken();
    if (dead || !browser_->target_id.empty()) {
      // The tab may be stuck in the failed page: close it (a short grace period of its own).
      DevToolsClient closer(&browser_->devtools(), Clock::now() + std::chrono::seconds(2));
      if (!dead &&
          !closer
               .Call("Target.closeTarget", "{\"targetId\":" + JsonQuote(browser_->target_id) + "}")
               .ok()) {
        browser_->devtools().set_broken();
      }
      browser_->target_id.clear();
      browser_->session_id.clear();
    }
    if (browser_->devtools().broken()) StopLocked();
    if (!dead || attempt > 0 || Clock::now() >= deadline) return png;
    CCCI_RETURN_IF_ERROR(StartLocked(std::min(deadline, Clock::now() + options_.startup_timeout)));
  }
}

Result<std::string> ChromiumScreenshotter::CaptureLocked(const std::string& url,
                                                         const std::string& origin,
                                                         Clock::time_point deadline) {
  BrowserProcess* b = browser_.get();
  DevToolsClient cdp(&b->devtools(), deadline);
  std::string frame_id, loader_id;  // of our navigation, once Page.navigate answered
  std::vector<std::pair<std::string, std::string>> loads;  // (frame, loader) that fired "load"
  std::string failure;
  // Events for the tab: requests to check, lifecycle events, a crash.
  DevToolsClient::EventHandler on_event = [&](const rapidjson::Document& ev) {
    if (b->session_id.empty() || StringField(ev, "sessionId") != b->session_id) return;
    const std::string method = StringField(ev, "method");
    const rapidjson::Value& p = ev.HasMember("params") ? ev["params"] : ev;
    if (method == "Page.lifecycleEvent") {
      if (StringField(p, "name") == "load") {
        loads.emplace_back(StringField(p, "frameId"), StringField(p, "loaderId"));
      }
    } else if (method == "Fetch.requestPaused") {
      std::string request_id = StringField(p, "requestId");
      std::string req_url = p.HasMember("request") ? StringField(p["request"], "url") : "";
      // A paused request waits for our answer; the answer's own reply is not awaited (Call
      // skips it), since a request the page has dropped meanwhile answers with an error that
      // changes nothing. A failed send has broken the connection: it ends the wait below.
      Result<int> sent =
          OriginOf(req_url) == origin
              ? cdp.Send("Fetch.continueRequest", "{\"requestId\":" + JsonQuote(request_id) + "}",
                         b->session_id)
              : cdp.Send("Fetch.failRequest",
                         "{\"requestId\":" + JsonQuote(request_id) +
                             ",\"errorReason\":\"BlockedByClient\"}",
                         b->session_id);
      if (!sent.ok() && failure.empty()) failure = sent.status().message();
    } else if (method == "Inspector.targetCrashed") {
      failure = "the page crashed";
    }
  };
  auto call = [&](const std::string& m, const std::string& params) {
    return cdp.Call(m, params, b->session_id, on_event);
  };

  if (b->target_id.empty()) {
    CCCI_RETURN_IF_ERROR(OpenTab(cdp, b, options_.same_origin_only, on_event));
  }
  auto nav = call("Page.navigate", "{\"url\":" + JsonQuote(url) + "}");
  if (!nav.ok()) return nav.status();
  std::string error_text = StringField(*nav, "errorText");
  if (!error_text.empty()) return Unavailable("cannot load " + url + ": " + error_text);
  frame_id = StringField(*nav, "frameId");
  loader_id = StringField(*nav, "loaderId");
  // The load event of THIS navigation (a previous page's late events carry other loader ids).
  auto loaded = [&] {
    return std::find(loads.begin(), loads.end(), std::make_pair(frame_id, loader_id)) !=
           loads.end();
  };
  while (!loaded() && failure.empty()) {
    auto ev = cdp.Next();
    if (!ev.ok()) return ev.status();
    if (!ev->HasMember("id")) on_event(*ev);
  }
  if (!failure.empty()) return Unavailable(failure);
  auto shot = call("Page.captureScreenshot", "{\"format\":\"png\",\"optimizeForSpeed\":true}");
  if (!shot.ok()) return shot.status();
  return DecodeBase64(StringField(*shot, "data"));
}

Result<std::string> PlaceholderScreenshotPng(const std::string& message) {
  cairo_surface_t* surface =
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, kScreenshotWidth, kScreenshotHeight);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 0xee / 255.0, 0xee / 255.0, 0xee / 255.0);
  cairo_paint(cr);
  // Cut the message to fit, with an ellipsis.
  const double px = 28;
  const auto& metrics = FontMetrics::Get(FontFace::kRegular);
  std::string text = SanitizeUtf8(message);
  const double max_width = kScreenshotWidth - 80;
  if (metrics.TextWidth(text, px) > max_width) {
    while (!text.empty() && metrics.TextWidth(text + "\u2026", px) > max_width) {
      text.pop_back();
      while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) {
        text.pop_back();  // do not leave half a UTF-8 sequence
      }
      if (!text.empty() && static_cast<unsigned char>(text.back()) >= 0xC0) text.pop_back();
    }
    text += "\u2026";
  }
  cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
  TextPainter(cr, FontFace::kRegular, px)
      .Draw((kScreenshotWidth - metrics.TextWidth(text, px)) / 2, kScreenshotHeight / 2 + px / 3,
            text);
  cairo_destroy(cr);
  auto png = EncodePng(surface);
  cairo_surface_destroy(surface);
  return png;
}

}  // namespace ccci::render
