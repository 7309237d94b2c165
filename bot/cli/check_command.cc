#include "bot/cli/check_command.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "base/clock.h"
#include "bot/app/runner_setup.h"
#include "bot/config/config.h"
#include "bot/runner/command_output.h"
#include "bot/runner/host_tools.h"
#include "bot/runner/stage_log.h"
#include "bot/runner/suite.h"
#include "bot/runner/suite_level.h"

namespace ccci {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    "Usage: cc-ci check <recipe-dir-or-git-url> [--ref REF] [--recipe NAME] [--config FILE]\n"
    "                   [--out DIR]\n"
    "\n"
    "Runs cc-ci's generic recipe suite (install, upgrade, backup, restore, functional, lint,\n"
    "upgrade-safe, clean, maintained, screenshot, teardown) on a recipe, exactly as the server does for a pull request, so a\n"
    "maintainer can reproduce a run locally. Needs abra on PATH and an abra server\n"
    "(runner.server, default: the local swarm). The app is deployed as\n"
    "<recipe>-0-<pid>.<runner.domain> and always torn down at the end.\n"
    "\n"
    "Options:\n"
    "  --ref REF       commit, branch or tag to test (default: the source's HEAD)\n"
    "  --recipe NAME   the recipe's name as abra knows it (default: the folder or repo name,\n"
    "                  e.g. nextcloud for ~/src/nextcloud or .../nextcloud.git)\n"
    "  --config FILE   cc-ci configuration; its [runner] keys apply (overlays, timeouts,\n"
    "                  connect_to, domain); default: built-in defaults\n"
    "  --out DIR       where stage logs, the screenshot and results.json go\n"
    "                  (default ./cc-ci-check-<recipe>)\n"
    "  -h, --help      this help\n"
    "\n"
    "Prints each stage as it runs and ends, then the level. results.json holds the stages\n"
    "and level; `cc-ci render card --run DIR/results.json --out card.png` draws its card.\n"
    "Exit codes: 0 level >= gitea.pass_level (default 1), 1 below it, 2 bad usage (a dir\n"
    "that does not exist or is not a git repo, a bad recipe name),\n"
    "3 CI error (abra missing, server unreachable, the ref cannot be fetched), 130 interrupted.\n";

std::atomic<runner::CancelToken*> g_cancel{nullptr};
void OnSignal(int) {
  if (auto* c = g_cancel.load()) c->Cancel();
}

// Prints stage progress; on a terminal a live line with the running stage's elapsed time.
class Progress : public runner::SuiteObserver {
 public:
  explicit Progress(bool tty) : tty_(tty) {
    if (tty_) ticker_ = std::thread([this] { Tick(); });
  }
  ~Progress() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }
  void StageStarted(const StageRecord& s) override {
    std::lock_guard<std::mutex> l(mu_);
    current_ = s.name;
    started_ = std::chrono::steady_clock::now();
    if (!tty_) printf("%-10s running\n", s.name.c_str());
    else Line();
    fflush(stdout);
  }
  void StageFinished(const StageRecord& s) override {
    std::lock_guard<std::mutex> l(mu_);
    current_.clear();
    const char* mark = s.status == "pass" ? "ok " : s.status == "skip" ? "-- " : "!! ";
    printf("%s%s%-10s %-10s %6.1fs  %s\n", tty_ ? "\r\033[K" : "", mark, s.name.c_str(),
           s.status.c_str(), static_cast<double>(s.duration_ms) / 1000.0, s.reason.c_str());
    fflush(stdout);
  }

 private:
  void Line() {
    if (current_.empty()) return;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    printf("\r\033[K.. %-10s running %llds", current_.c_str(), static_cast<long long>(secs.count()));
    fflush(stdout);
  }
  void Tick() {
    std::unique_lock<std::mutex> l(mu_);
    while (!done_) {
      cv_.wait_for(l, std::chrono::seconds(1));
      if (!done_) Line();
    }
  }
  bool tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string current_;
  std::chrono::steady_clock::time_point started_;
  std::thread ticker_;
};

std::string RecipeName(std::string source) {
  while (!source.empty() && source.back() == '/') source.pop_back();
  std::string name = source.substr(source.find_last_of("/:") + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, ".git") == 0) name.resize(name.size() - 4);
  return name;
}

// A recipe name becomes a directory under ABRA_DIR/recipes and part of the app's domain.
bool ValidRecipeName(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.' || name[0] == '-') return false;
  for (char c : name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// A git URL (scheme://... or scp-like host:path) is left to git; anything else is a local
// dir, which must exist and be a git repo: said now, in git's words, not after a run.
std::optional<std::string> LocalSourceProblem(const std::string& source) {
  bool url = source.find("://") != std::string::npos ||
             (source.find(':') != std::string::npos &&
              source.find(':') < source.find('/'));
  if (url) return std::nullopt;
  std::error_code ec;
  if (!fs::is_directory(source, ec)) {
    return source + ": no such directory (give a recipe's git checkout or a git URL)";
  }
  runner::PtyExecutor executor;
  runner::Command cmd;
  cmd.argv = {"git", "-C", source, "rev-parse", "--git-dir"};
  cmd.timeout = std::chrono::seconds(30);
  runner::CaptureSink out(nullptr);
  runner::CancelToken never;
  auto r = executor.Run(cmd, out, never);
  if (!r.ok()) return runner::MissingProgram("git", "");
  if (!r->ok()) {
    return source + " is not a git repo: " + runner::LastLine(runner::StripAnsi(out.text()));
  }
  return std::nullopt;
}

std::string ResultsJson(const runner::SuiteSpec& spec, const runner::SuiteResult& r,
                        const domain::LevelResult& level, const std::string& state) {
  rapidjson::StringBuffer b;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(b);
  w.StartObject();
  w.Key("recipe"); w.String(spec.recipe.c_str());
  w.Key("repo"); w.String(spec.source.c_str());
  w.Key("pr"); w.Int64(0);
  w.Key("sha"); w.String(r.sha.c_str());
  w.Key("state"); w.String(state.c_str());
  if (state == "finished") { w.Key("level"); w.Int(level.level); }
  if (r.ci_error) { w.Key("reason"); w.String(r.ci_error_reason.c_str()); }
  if (fs::exists(spec.log_dir + "/screenshot.png")) { w.Key("screenshot"); w.String("screenshot.png"); }
  w.Key("stages");
  w.StartArray();
  for (const StageRecord& s : r.stages) {
    w.StartObject();
    w.Key("name"); w.String(s.name.c_str());
    w.Key("status"); w.String(s.status.c_str());
    w.Key("reason"); w.String(s.reason.c_str());
    w.Key("duration_ms"); w.Int64(s.duration_ms);
    if (s.exit_code) { w.Key("exit_code"); w.Int64(*s.exit_code); }
    w.Key("log"); w.String((s.name + ".log").c_str());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(b.GetString()) + "\n";
}

struct CheckFlags {
  std::string source, ref, out, config_path, recipe;
};

// Parses check's arguments; returns an exit code when the command ends here (help, bad usage).
std::optional<int> ParseCheckFlags(int argc, char** argv, CheckFlags* f) {
  std::string& source = f->source;
  std::string& ref = f->ref;
  std::string& out = f->out;
  std::string& config_path = f->config_path;
  std::string& recipe = f->recipe;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= argc) return false;
      *dst = argv[++i];
      return true;
    };
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    } else if (a == "--ref") {
      if (!value(&ref)) return fprintf(stderr, "cc-ci check: --ref needs a value\n"), 2;
    } else if (a == "--recipe") {
      if (!value(&recipe)) return fprintf(stderr, "cc-ci check: --recipe needs a name\n"), 2;
    } else if (a == "--out") {
      if (!value(&out)) return fprintf(stderr, "cc-ci check: --out needs a value\n"), 2;
    } else if (a == "--config") {
      if (!value(&config_path)) return fprintf(stderr, "cc-ci check: --config needs a value\n"), 2;
    } else if (!a.empty() && a[0] == '-') {
      fprintf(stderr, "cc-ci check: unknown option %s\n\n%s", a.c_str(), kUsage);
      return 2;
    } else if (source.empty()) {
      source = a;
    } else {
      fprintf(stderr, "cc-ci check: one recipe at a time\n\n%s", kUsage);
      return 2;
    }
  }
  if (source.empty()) {
    fputs(kUsage, stderr);
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int RunCheckCommand(int argc, char** argv) {
  CheckFlags flags;
  if (auto done = ParseCheckFlags(argc, argv, &flags)) return *done;
  std::string& source = flags.source;
  std::string& out = flags.out;
  std::string& recipe = flags.recipe;
  const std::string& ref = flags.ref;
  const std::string& config_path = flags.config_path;
  auto config = LoadConfig(config_path.empty() ? std::nullopt : std::optional<std::string>(config_path));
  if (!config.ok()) return fprintf(stderr, "cc-ci check: %s\n", config.status().message().c_str()), 2;
  if (auto problem = LocalSourceProblem(source)) {
    return fprintf(stderr, "cc-ci check: %s\n", problem->c_str()), 2;
  }
  std::error_code ec;
  if (fs::is_directory(source)) source = fs::absolute(source, ec).string();
  if (recipe.empty()) recipe = RecipeName(source);
  if (!ValidRecipeName(recipe)) {
    return fprintf(stderr,
                   "cc-ci check: '%s' is not a recipe name (letters, digits, '-', '_', '.'); "
                   "give one with --recipe NAME\n",
                   recipe.c_str()),
           2;
  }
  if (out.empty()) out = "cc-ci-check-" + recipe;
  out = fs::absolute(out, ec).string();
  fs::create_directories(out, ec);
  if (ec) return fprintf(stderr, "cc-ci check: cannot create %s: %s\n", out.c_str(), ec.message().c_str()), 2;

  RunnerSetup setup(*config);
  runner::SuiteSpec spec = setup.options().defaults;
  spec.recipe = recipe;
  spec.source = source;
  spec.ref = ref.empty() ? "HEAD" : ref;
  spec.domain = runner::RunDomain(recipe, 0, getpid(), setup.options().domain_suffix);
  spec.work_dir = out + "/work";
  spec.log_dir = out;
  spec.log_rel_dir = ".";
  // The maintainer names the source on the command line: a local checkout is fine here.
  spec.git_protocols += ":file";
  if (Status st = runner::ApplyRecipeSettings(setup.options(), recipe, &spec); !st.ok()) {
    return fprintf(stderr, "cc-ci check: %s\n", st.message().c_str()), 2;
  }

  runner::PtyExecutor executor;
  Progress progress(isatty(STDOUT_FILENO));
  runner::SuiteDeps deps = setup.deps();
  deps.executor = &executor;
  deps.observer = &progress;
  deps.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  runner::CancelToken cancel;
  g_cancel = &cancel;
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  printf("cc-ci check: %s at %s as %s (logs in %s)\n", recipe.c_str(), spec.ref.c_str(),
         spec.domain.c_str(), out.c_str());
  runner::SuiteResult result = runner::RunSuite(spec, deps, cancel);
  g_cancel = nullptr;

  auto level = runner::LevelOf(result.stages);
  std::string state = result.cancelled ? "cancelled" : (result.ci_error || level.ci_error) ? "error" : "finished";
  std::ofstream(out + "/results.json") << ResultsJson(spec, result, level, state);
  if (state == "cancelled") {
    printf("cancelled; the app was torn down. Results: %s/results.json\n", out.c_str());
    return 130;
  }
  if (state == "error") {
    printf("CI error (no level): %s\nResults: %s/results.json\n", result.ci_error_reason.c_str(), out.c_str());
    return 3;
  }
  printf("level %d. Results: %s/results.json\n", level.level, out.c_str());
  return level.level >= config->pass_level ? 0 : 1;
}

}  // namespace ccci
