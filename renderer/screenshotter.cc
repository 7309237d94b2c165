#include "renderer/screenshotter.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/WebSocket.h>
#include <Poco/URI.h>
#include <cairo.h>
#include <fcntl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "base/child_env.h"
#include "base/leftover_group.h"
#include "base/log.h"
#include "renderer/font.h"
#include "renderer/png_writer.h"
#include "renderer/text_painter.h"

namespace ccci::render {

using Clock = std::chrono::steady_clock;

struct ChromiumScreenshotter::Browser {
  pid_t pid = 0;
  std::string profile_dir;
  std::unique_ptr<Poco::Net::HTTPClientSession> session;
  std::unique_ptr<Poco::Net::WebSocket> ws;
  int next_id = 1;
  bool broken = false;  // the connection is in an unknown state; restart before reuse
  // The tab kept between captures (a new tab costs a renderer start and a viewport setup,
  // hundreds of milliseconds); empty when there is none.
  std::string target_id;
  std::string session_id;
};

namespace {

std::string Quote(const std::string& s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

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

// One DevTools conversation over the browser's WebSocket, flattened sessions.
class Cdp {
 public:
  using EventHandler = std::function<void(const rapidjson::Document&)>;

  Cdp(ChromiumScreenshotter::Browser* b, Clock::time_point deadline) : b_(b), deadline_(deadline) {}

  Result<int> Send(const std::string& method, const std::string& params,
                   const std::string& session_id = "") {
    int id = b_->next_id++;
    std::string msg = "{\"id\":" + std::to_string(id) + ",\"method\":" + Quote(method) +
                      ",\"params\":" + (params.empty() ? "{}" : params);
    if (!session_id.empty()) msg += ",\"sessionId\":" + Quote(session_id);
    msg += "}";
    try {
      b_->ws->sendFrame(msg.data(), static_cast<int>(msg.size()), Poco::Net::WebSocket::FRAME_TEXT);
    } catch (const Poco::Exception& e) {
      b_->broken = true;
      return Unavailable("devtools send: " + e.displayText());
    }
    return id;
  }

  // Reads the next message (a response or an event) before the deadline.
  Result<rapidjson::Document> Next() {
    std::string text;
    Poco::Buffer<char> buf(0);
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) return Status(Code::kDeadlineExceeded, "screenshot timed out");
      int flags = 0;
      int n = 0;
      try {
        b_->ws->setReceiveTimeout(Poco::Timespan(left.count()));
        buf.resize(0);
        n = b_->ws->receiveFrame(buf, flags);
      } catch (const Poco::TimeoutException&) {
        return Status(Code::kDeadlineExceeded, "screenshot timed out");
      } catch (const Poco::Exception& e) {
        b_->broken = true;
        return Unavailable("devtools receive: " + e.displayText());
      }
      int op = flags & Poco::Net::WebSocket::FRAME_OP_BITMASK;
      if (op == Poco::Net::WebSocket::FRAME_OP_CLOSE || (n == 0 && flags == 0)) {
        b_->broken = true;
        return Unavailable("browser closed the devtools connection");
      }
      if (op == Poco::Net::WebSocket::FRAME_OP_PING || op == Poco::Net::WebSocket::FRAME_OP_PONG) {
        continue;
      }
      text.append(buf.begin(), static_cast<size_t>(n));
      if (flags & Poco::Net::WebSocket::FRAME_FLAG_FIN) break;
    }
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      b_->broken = true;
      return Internal("devtools sent a message that is not a JSON object");
    }
    return doc;
  }

  // Sends a command and returns its "result", passing events that arrive meanwhile to `on_event`.
  Result<rapidjson::Document> Call(const std::string& method, const std::string& params,
                                   const std::string& session_id = "",
                                   const EventHandler& on_event = nullptr) {
    auto id = Send(method, params, session_id);
    if (!id.ok()) return id.status();
    for (;;) {
      auto msg = Next();
      if (!msg.ok()) return msg.status();
      rapidjson::Document& d = *msg;
      if (d.HasMember("id") && d["id"].IsInt()) {
        if (d["id"].GetInt() != *id) continue;  // a reply to a fire-and-forget command
        if (d.HasMember("error")) {
          std::string m = d["error"].HasMember("message") && d["error"]["message"].IsString()
                              ? d["error"]["message"].GetString()
                              : "error";
          return Internal(method + ": " + m);
        }
        rapidjson::Document result;
        if (d.HasMember("result"))
          result.CopyFrom(d["result"], result.GetAllocator());
        else
          result.SetObject();
        return result;
      }
      if (on_event) on_event(d);
    }
  }

 private:
  ChromiumScreenshotter::Browser* b_;
  Clock::time_point deadline_;
};

std::string StringField(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return "";
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
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

}  // namespace

ChromiumScreenshotter::ChromiumScreenshotter(ChromiumOptions options)
    : options_(std::move(options)) {}

ChromiumScreenshotter::~ChromiumScreenshotter() {
  std::lock_guard<std::mutex> lock(mu_);
  StopLocked();
}

pid_t ChromiumScreenshotter::browser_pid() const {
  std::lock_guard<std::mutex> lock(mu_);
  return browser_ ? browser_->pid : 0;
}

Status ChromiumScreenshotter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (AliveLocked()) return Status::Ok();
  return StartLocked(Clock::now() + options_.startup_timeout);
}

bool ChromiumScreenshotter::AliveLocked() {
  if (!browser_) return false;
  if (browser_->broken) return false;
  int st = 0;
  if (waitpid(browser_->pid, &st, WNOHANG) != 0) {
    browser_->pid = 0;  // reaped (or gone): nothing left to kill
    return false;
  }
  return true;
}

void ChromiumScreenshotter::StopLocked() {
  if (!options_.pid_file.empty() && browser_ && browser_->pid > 0) unlink(options_.pid_file.c_str());
  if (!browser_) return;
  try {
    browser_->ws.reset();
  } catch (...) {
  }
  if (browser_->pid > 0) {
    // The browser leads its own process group; its zygote and renderers go with it.
    kill(-browser_->pid, SIGKILL);
    waitpid(browser_->pid, nullptr, 0);
  }
  if (!browser_->profile_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(browser_->profile_dir, ec);
  }
  browser_.reset();
}

Status ChromiumScreenshotter::StartLocked(Clock::time_point deadline) {
  StopLocked();
  if (!options_.pid_file.empty()) {
    // A browser a killed cc-ci left behind; its profile goes with it (or was left by it).
    std::string old_profile;
    if (KillLeftoverGroup(options_.pid_file, &old_profile)) {
      LogInfo("screenshot.leftover_browser_killed", {{"profile", old_profile}});
    }
    if (old_profile.rfind("/tmp/ccci-chromium-", 0) == 0) {
      std::error_code ec;
      std::filesystem::remove_all(old_profile, ec);
    }
  }
  auto b = std::make_unique<Browser>();
  char tmpl[] = "/tmp/ccci-chromium-XXXXXX";
  if (!mkdtemp(tmpl)) return Internal("cannot create a chromium profile dir");
  b->profile_dir = tmpl;
  std::string log_path = b->profile_dir + "/stderr.log";
  std::string profile = b->profile_dir + "/profile";

  // The vsync, frame-rate and RenderDocument flags are for speed (measured with
  // tests/bench/renderer/screenshot_bench): a capture waits for several frame hops (a forced
  // redraw, its presentation, the copy), and frames made when needed instead of on a 60 Hz
  // clock save 20-30 ms of ~215 here; a new RenderFrameHost per same-site navigation
  // (RenderDocument) costs another 10-20 ms.
  std::vector<std::string> args = {options_.binary,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-quic",
                                   "--disable-extensions",
                                   "--disable-default-apps",
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--hide-scrollbars",
                                   "--mute-audio",
                                   "--disable-gpu-vsync",
                                   "--disable-frame-rate-limit",
                                   "--disable-features=RenderDocument",
                                   "--user-data-dir=" + profile,
                                   "--remote-debugging-address=127.0.0.1",
                                   "--remote-debugging-port=0"};
  if (std::string rules = HostResolverRules(options_.connect_to); !rules.empty()) {
    args.push_back("--host-resolver-rules=" + rules);
  }
  if (options_.ignore_certificate_errors) args.push_back("--ignore-certificate-errors");
  args.push_back("about:blank");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Built, not inherited: the browser (it renders the app under test) gets no CC_CI_* secret.
  std::vector<std::string> env = ChildEnvironment({}, {});
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    browser_ = std::move(b);
    StopLocked();
    return Internal("cannot open chromium's log file");
  }
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    setpgid(0, 0);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(log_fd, 2);
    // The server's sockets lack close-on-exec; a browser holding the listening socket would
    // keep the port bound after cc-ci exits.
    close_range(3, ~0U, 0);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    browser_ = std::move(b);
    StopLocked();
    return Internal("fork failed");
  }
  b->pid = pid;
  if (!options_.pid_file.empty()) {
    RecordGroup(options_.pid_file, pid, b->profile_dir);
  }
  browser_ = std::move(b);

  // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" once up.
  static const std::string kMarker = "DevTools listening on ";
  std::string ws_url;
  for (;;) {
    std::string log = ReadFile(log_path);
    size_t at = log.find(kMarker);
    if (at != std::string::npos) {
      size_t end = log.find('\n', at);
      if (end != std::string::npos) {
        ws_url = log.substr(at + kMarker.size(), end - at - kMarker.size());
        break;
      }
    }
    if (waitpid(pid, nullptr, WNOHANG) != 0) {
      browser_->pid = 0;
      std::string tail = log.size() > 300 ? log.substr(log.size() - 300) : log;
      StopLocked();
      return Unavailable("chromium exited during start: " + tail);
    }
    if (Clock::now() >= deadline) {
      StopLocked();
      return Status(Code::kDeadlineExceeded, "chromium did not start in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  try {
    Poco::URI uri(ws_url);
    browser_->session =
        std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathEtc(),
                               Poco::Net::HTTPRequest::HTTP_1_1);
    Poco::Net::HTTPResponse resp;
    browser_->ws = std::make_unique<Poco::Net::WebSocket>(*browser_->session, req, resp);
    browser_->ws->setMaxPayloadSize(64 << 20);
  } catch (const Poco::Exception& e) {
    StopLocked();
    return Unavailable("cannot connect to chromium's devtools: " + e.displayText());
  }
  LogInfo("screenshot.browser_started", {{"pid", std::to_string(pid)}});
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
    bool dead = browser_->broken;
    if (dead || !browser_->target_id.empty()) {
      // The tab may be stuck in the failed page: close it (a short grace period of its own).
      Cdp closer(browser_.get(), Clock::now() + std::chrono::seconds(2));
      if (!dead &&
          !closer.Call("Target.closeTarget", "{\"targetId\":" + Quote(browser_->target_id) + "}")
               .ok()) {
        browser_->broken = true;
      }
      browser_->target_id.clear();
      browser_->session_id.clear();
    }
    if (browser_->broken) StopLocked();
    if (!dead || attempt > 0 || Clock::now() >= deadline) return png;
    CCCI_RETURN_IF_ERROR(StartLocked(std::min(deadline, Clock::now() + options_.startup_timeout)));
  }
}

Result<std::string> ChromiumScreenshotter::CaptureLocked(const std::string& url,
                                                         const std::string& origin,
                                                         Clock::time_point deadline) {
  Browser* b = browser_.get();
  Cdp cdp(b, deadline);
  std::string frame_id, loader_id;  // of our navigation, once Page.navigate answered
  std::vector<std::pair<std::string, std::string>> loads;  // (frame, loader) that fired "load"
  std::string failure;
  // Events for the tab: requests to check, lifecycle events, a crash.
  Cdp::EventHandler on_event = [&](const rapidjson::Document& ev) {
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
      if (OriginOf(req_url) == origin) {
        (void)cdp.Send("Fetch.continueRequest", "{\"requestId\":" + Quote(request_id) + "}",
                       b->session_id);
      } else {
        (void)cdp.Send(
            "Fetch.failRequest",
            "{\"requestId\":" + Quote(request_id) + ",\"errorReason\":\"BlockedByClient\"}",
            b->session_id);
      }
    } else if (method == "Inspector.targetCrashed") {
      failure = "the page crashed";
    }
  };
  auto call = [&](const std::string& m, const std::string& params) {
    return cdp.Call(m, params, b->session_id, on_event);
  };

  if (b->target_id.empty()) {
    auto target = cdp.Call("Target.createTarget", "{\"url\":\"about:blank\"}");
    if (!target.ok()) return target.status();
    b->target_id = StringField(*target, "targetId");
    auto attached = cdp.Call("Target.attachToTarget",
                             "{\"targetId\":" + Quote(b->target_id) + ",\"flatten\":true}");
    if (!attached.ok()) return attached.status();
    b->session_id = StringField(*attached, "sessionId");
    std::vector<std::pair<std::string, std::string>> setup = {
        {"Emulation.setDeviceMetricsOverride",
         "{\"width\":" + std::to_string(kScreenshotWidth) + ",\"height\":" +
             std::to_string(kScreenshotHeight) + ",\"deviceScaleFactor\":1,\"mobile\":false}"},
        {"Page.enable", "{}"},
        {"Page.setLifecycleEventsEnabled", "{\"enabled\":true}"},
        {"Inspector.enable", "{}"}};
    if (options_.same_origin_only) {
      setup.push_back({"Fetch.enable", "{\"patterns\":[{\"urlPattern\":\"*\"}]}"});
    }
    for (const auto& [m, params] : setup) {
      auto r = call(m, params);
      if (!r.ok()) return r.status();
    }
  }

  auto nav = call("Page.navigate", "{\"url\":" + Quote(url) + "}");
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

namespace {

// Splits "a:b:c:d" into fields; a field in brackets ("[::1]") keeps its colons.
std::vector<std::string> ConnectToFields(const std::string& entry) {
  std::vector<std::string> fields(1);
  bool bracket = false;
  for (char c : entry) {
    if (c == '[') bracket = true;
    if (c == ']') bracket = false;
    if (c == ':' && !bracket) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

}  // namespace

std::string HostResolverRules(const std::vector<std::string>& connect_to,
                              std::vector<std::string>* left_out) {
  std::string rules;
  for (const std::string& entry : connect_to) {
    std::vector<std::string> f = ConnectToFields(entry);
    if (f.size() != 4 || f[2].empty()) {
      if (left_out) left_out->push_back(entry);
      continue;
    }
    std::string pattern = f[0].empty() ? "*" : f[0];
    if (!f[1].empty()) pattern += ":" + f[1];
    std::string target = f[2];
    if (!f[3].empty()) target += ":" + f[3];
    rules += (rules.empty() ? "" : ",") + std::string("MAP ") + pattern + " " + target;
  }
  return rules;
}

}  // namespace ccci::render
