#include "renderer/browser_process.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "base/child_env.h"
#include "base/leftover_group.h"
#include "base/log.h"

namespace ccci::render {
namespace {

using Clock = std::chrono::steady_clock;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The vsync, frame-rate and RenderDocument flags are for speed (measured with
// tests/bench/renderer/screenshot_bench): a capture waits for several frame hops (a forced
// redraw, its presentation, the copy), and frames made when needed instead of on a 60 Hz
// clock save 20-30 ms of ~215 here; a new RenderFrameHost per same-site navigation
// (RenderDocument) costs another 10-20 ms.
std::vector<std::string> ChromiumArgs(const ChromiumOptions& options, const std::string& profile) {
  std::vector<std::string> args = {options.binary,
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
  if (std::string rules = HostResolverRules(options.connect_to); !rules.empty()) {
    args.push_back("--host-resolver-rules=" + rules);
  }
  if (options.ignore_certificate_errors) args.push_back("--ignore-certificate-errors");
  args.push_back("about:blank");
  return args;
}

// A browser a killed cc-ci left behind; its profile goes with it (or was left by it).
void KillLeftoverBrowser(const std::string& pid_file) {
  if (pid_file.empty()) return;
  std::string old_profile;
  if (KillLeftoverGroup(pid_file, &old_profile)) {
    LogInfo("screenshot.leftover_browser_killed", {{"profile", old_profile}});
  }
  if (old_profile.rfind("/tmp/ccci-chromium-", 0) == 0) {
    std::error_code ec;
    std::filesystem::remove_all(old_profile, ec);
  }
}

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

Result<std::unique_ptr<BrowserProcess>> BrowserProcess::Start(const ChromiumOptions& options,
                                                              Clock::time_point deadline) {
  KillLeftoverBrowser(options.pid_file);
  std::unique_ptr<BrowserProcess> b(new BrowserProcess(options.pid_file));
  char tmpl[] = "/tmp/ccci-chromium-XXXXXX";
  if (!mkdtemp(tmpl)) return Internal("cannot create a chromium profile dir");
  b->profile_dir_ = tmpl;
  std::string log_path = b->profile_dir_ + "/stderr.log";
  SpawnOptions spawn;
  spawn.argv = ChromiumArgs(options, b->profile_dir_ + "/profile");
  // Built, not inherited: the browser (it renders the app under test) gets no CC_CI_* secret.
  // Its TMPDIR is the profile dir: Chromium keeps its singleton socket in a dir of its own
  // under TMPDIR (org.chromium.Chromium.XXXXXX), which a browser killed with SIGKILL never
  // removes; there it goes with the profile.
  spawn.env = ChildEnvironment({}, {"TMPDIR=" + b->profile_dir_});
  spawn.group = ProcessGroup::kNewGroup;
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) return Internal("cannot open chromium's log file");
  spawn.stderr_fd = log_fd;
  auto process = Subprocess::Spawn(spawn);
  close(log_fd);
  if (!process.ok()) return Unavailable(process.status().message());
  b->pid_ = process->pid();
  b->process_.emplace(std::move(*process));
  if (!options.pid_file.empty()) RecordGroup(options.pid_file, b->pid_, b->profile_dir_);
  auto ws_url = b->WaitForDevTools(log_path, deadline);
  if (!ws_url.ok()) return ws_url.status();
  CCCI_RETURN_IF_ERROR(b->devtools_.Connect(*ws_url));
  LogInfo("screenshot.browser_started", {{"pid", std::to_string(b->pid_)}});
  return b;
}

Result<std::string> BrowserProcess::WaitForDevTools(const std::string& log_path,
                                                    Clock::time_point deadline) {
  // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" once up.
  static const std::string kMarker = "DevTools listening on ";
  for (;;) {
    std::string log = ReadFile(log_path);
    size_t at = log.find(kMarker);
    if (at != std::string::npos) {
      size_t end = log.find('\n', at);
      if (end != std::string::npos)
        return log.substr(at + kMarker.size(), end - at - kMarker.size());
    }
    if (process_->TryWait()) {
      pid_ = 0;
      std::string tail = log.size() > 300 ? log.substr(log.size() - 300) : log;
      return Unavailable("chromium exited during start: " + tail);
    }
    if (Clock::now() >= deadline) {
      return Status(Code::kDeadlineExceeded, "chromium did not start in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool BrowserProcess::Alive() {
  if (devtools_.broken()) return false;
  if (pid_ > 0 && process_->TryWait()) pid_ = 0;  // reaped: nothing left to kill
  return pid_ > 0;
}

BrowserProcess::~BrowserProcess() {
  if (!pid_file_.empty() && pid_ > 0) unlink(pid_file_.c_str());
  devtools_.Close();
  if (pid_ > 0) {
    // The browser leads its own process group; its zygote and renderers go with it.
    SignalGroup(pid_, SIGKILL);
    process_->Wait();
  }
  if (!profile_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(profile_dir_, ec);
  }
}

}  // namespace ccci::render
