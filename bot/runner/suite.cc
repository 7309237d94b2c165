#include "bot/runner/suite.h"

#include <rapidjson/document.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include "base/path_under.h"
#include "base/private_files.h"
#include "bot/runner/backup_labels.h"
#include "bot/runner/clone_source.h"
#include "bot/runner/command_output.h"
#include "bot/runner/higher_rungs.h"
#include "bot/runner/host_tools.h"
#include "bot/runner/lint_report.h"
#include "bot/runner/readme_scores.h"
#include "bot/runner/readiness_probe.h"
#include "bot/runner/release_tag.h"
#include "bot/runner/stage_log.h"
#include "bot/runner/stage_retry.h"

namespace ccci::runner {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Where the running command of a run is recorded (Command::pid_file).
std::string CommandPidFile(const SuiteSpec& spec) { return spec.work_dir + "/command.pid"; }

// What one command did. `started` is false when it could not be started at all.
struct Step {
  std::string program;  // argv[0]
  bool started = true;
  Status start_error;
  ExecResult result;
  std::string output;  // only when captured
  bool ok() const { return started && result.ok(); }
  std::string Describe() const {
    if (!started) return start_error.message();
    if (result.cancelled) return "cancelled";
    if (result.timed_out) return "timed out";
    if (result.signal) return "killed by signal " + std::to_string(result.signal);
    return "exited " + std::to_string(result.exit_code);
  }
};

// A step a retry does not repeat: its first attempt did it.
Step DoneBefore() {
  Step s;
  s.result.exit_code = 0;
  return s;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

class SuiteRun : public RungIo {
 public:
  SuiteRun(const SuiteSpec& spec, const SuiteDeps& deps, const CancelToken& cancel)
      : spec_(spec), deps_(deps), cancel_(cancel), retry_(spec.retry_failed_stages) {
    abra_dir_ = spec_.work_dir + "/abra";
    auto recipe_dir = PathUnder(abra_dir_ + "/recipes", spec_.recipe);
    if (recipe_dir.ok()) recipe_dir_ = *recipe_dir;
    else bad_recipe_ = recipe_dir.status().message();
    env_file_ = abra_dir_ + "/servers/" + spec_.server + "/" + spec_.domain + ".env";
  }

  SuiteResult Run() {
    bool prepared = false;
    WithRetry([&] { prepared = Install(); }, [&] { (void)InstallApp(Begin("install", 0)); });
    result_.sha = head_sha_;
    WithRetry([&] { Upgrade(); });
    WithRetry([&] { Backup(prepared); });
    WithRetry([&] { Restore(); });
    WithRetry([&] { Functional(); });
    WithRetry([&] { Lint(prepared); });
    RungsAboveLint(prepared);
    Screenshot();
    result_.stages.push_back(Teardown());
    return std::move(result_);
  }

  StageRecord Teardown() {
    StageRecord st = Begin("teardown", 10);
    // Never cancelled: teardown must finish even when the run was.
    CancelToken never;
    const CancelToken* saved = cancel_override_;
    cancel_override_ = &never;
    // A cc-ci killed mid-command left that command running: end it before tearing down.
    if (KillLeftoverGroup(CommandPidFile(spec_))) {
      log_->Note("ended a command that an interrupted cc-ci left running");
    }
    std::string problems;
    if (fs::exists(abra_dir_)) {
      Step un = Abra({"app", "undeploy", "--no-input"}, {spec_.domain});
      if (!un.started) problems = NotStarted(un);
      if (un.ok()) WaitUndeployed();
      if (fs::exists(env_file_)) {
        Step rm = RemoveRetried({"app", "remove", "--force", "--no-input"}, {spec_.domain});
        if (!rm.ok()) problems = "abra app remove " + rm.Describe() + ": " + LastLine(rm.output);
      }
    } else {
      log_->Note("nothing was set up for this run");
    }
    std::error_code ec;
    fs::remove_all(spec_.work_dir, ec);
    if (ec) problems = "cannot delete " + spec_.work_dir + ": " + ec.message();
    cancel_override_ = saved;
    if (problems.empty()) return End(st, kStagePass, "");
    return End(st, kStageFail, problems);
  }

 private:
  const CancelToken& cancel() const { return cancel_override_ ? *cancel_override_ : cancel_; }

  // --- stage bookkeeping ---
  StageRecord Begin(const std::string& name, int seq) {
    StageRecord st;
    st.run_id = spec_.run_id;
    st.seq = seq;
    st.name = name;
    st.status = kStageRunning;
    st.started_at_ms = deps_.clock->NowUnixMillis();
    st.log_path = spec_.log_rel_dir + "/" + name + ".log";
    retry_.Begin(&st);
    log_ = std::make_unique<StageLog>(
        spec_.log_dir + "/" + AttemptLogPath(name + ".log", retry_.attempt()), spec_.secrets,
        spec_.log_cap_bytes, deps_.clock);
    if (retry_.retrying()) log_->Note("the second attempt (the first: " + name + ".log): " + st.reason);
    if (deps_.observer) deps_.observer->StageStarted(st);
    return st;
  }

  StageRecord End(StageRecord st, const char* status, std::string reason,
                  std::optional<int64_t> exit_code = std::nullopt) {
    st.status = status;
    st.reason = std::move(reason);
    st.exit_code = exit_code;
    st.duration_ms = deps_.clock->NowUnixMillis() - st.started_at_ms;
    if (!st.reason.empty()) log_->Note(std::string(status) + ": " + st.reason);
    if (retry_.Wants(st)) {
      log_->Note("a default-branch run: the stage runs once more on the same deployment");
      retry_pending_ = true;
      return st;  // not final: WithRetry runs the second attempt
    }
    retry_.End(&st);
    if (deps_.observer) deps_.observer->StageFinished(st);
    return st;
  }

  // Records a stage that does not run at all (skip or unverified) without a log file.
  void Record(const std::string& name, int seq, const char* status, const std::string& reason) {
    StageRecord st = Begin(name, seq);
    stages_status_[name] = status;
    result_.stages.push_back(End(st, status, reason));
  }
  void Push(const StageRecord& st) {
    stages_status_[st.name] = st.status;
    result_.stages.push_back(st);
  }
  bool Passed(const std::string& name) const {
    auto it = stages_status_.find(name);
    return it != stages_status_.end() && StagePassed(it->second);
  }
  // Runs a stage and, when End() asked for it (StageRetry), its second attempt: `again`, or
  // the stage itself.
  void WithRetry(const std::function<void()>& stage, const std::function<void()>& again = {}) {
    stage();
    if (!retry_pending_) return;
    retry_pending_ = false;
    StageRecord failed = result_.stages.back();  // the first attempt's, not final
    result_.stages.pop_back();
    stages_status_.erase(failed.name);
    retry_.Start(failed);
    (again ? again : stage)();
    retry_.Finish();
  }
  // Stops the suite: every later stage except teardown is left out.
  bool Stopped() const { return result_.cancelled || result_.ci_error; }

  // An error that is cc-ci's, not the recipe's: the run has no level.
  StageRecord CiError(StageRecord st, const std::string& reason) {
    result_.ci_error = true;
    if (result_.ci_error_reason.empty()) result_.ci_error_reason = reason;
    return End(st, kStageError, reason);
  }
  // The common ending of a failed step: cancelled and missing tools are errors.
  std::optional<StageRecord> Broke(StageRecord& st, const Step& step, const std::string& what) {
    if (step.started && step.result.cancelled) {
      result_.cancelled = true;
      return End(st, kStageError, "cancelled");
    }
    if (!step.started && step.start_error.code() == Code::kNotFound) {
      return CiError(st, NotStarted(step));
    }
    if (!step.started) return CiError(st, what + ": " + step.Describe());
    return std::nullopt;
  }
  // Why a command did not start; a missing program is the host's to fix, and says how.
  std::string NotStarted(const Step& step) const {
    if (step.start_error.code() != Code::kNotFound) return step.Describe();
    std::string key = step.program == spec_.abra     ? "runner.abra"
                      : step.program == spec_.docker ? "runner.docker"
                                                     : "";
    return MissingProgram(step.program, key);
  }

  // --- commands ---
  // With `unlogged_why`, the command line is logged with that reason, its output only
  // captured (e.g. it holds secrets).
  Step Exec(std::vector<std::string> argv, bool capture, const std::string& cwd = "",
            std::vector<std::string> extra_env = {}, const std::string& unlogged_why = "") {
    Command cmd;
    cmd.argv = std::move(argv);
    cmd.env = {"ABRA_DIR=" + abra_dir_, "PAGER=cat", "GIT_PAGER=cat", "GIT_TERMINAL_PROMPT=0",
               "GIT_ALLOW_PROTOCOL=" + spec_.git_protocols};
    cmd.env.insert(cmd.env.end(), extra_env.begin(), extra_env.end());
    cmd.pass_env = spec_.pass_env;
    cmd.cwd = cwd;
    cmd.timeout = spec_.overlay.stage_timeout.value_or(spec_.stage_timeout);
    cmd.pid_file = CommandPidFile(spec_);
    auto sink = log_->ForCommand(cmd.argv);
    bool logged = unlogged_why.empty();
    if (!logged) log_->Note("output not logged: " + unlogged_why);
    CaptureSink capture_sink(logged ? sink.get() : nullptr);
    Step step;
    step.program = cmd.argv[0];
    auto r = deps_.executor->Run(cmd, capture ? static_cast<OutputSink&>(capture_sink) : *sink,
                                 cancel());
    if (!r.ok()) {
      step.started = false;
      step.start_error = r.status();
      log_->Note("could not start " + cmd.argv[0] + ": " + r.status().message());
      return step;
    }
    step.result = *r;
    if (capture || !logged) step.output = StripAnsi(capture_sink.text());
    if (!step.result.ok()) log_->Note(cmd.argv[0] + " " + step.Describe());
    return step;
  }
  // `abra <args> -- <operands>`: cobra ends its flags at "--", so an operand (a domain, a
  // recipe name from a webhook) can never pass for a flag.
  Step Abra(std::vector<std::string> args, const std::vector<std::string>& operands,
            const std::string& unlogged_why = "") {
    args.insert(args.begin(), spec_.abra);
    if (!operands.empty()) args.push_back("--");
    args.insert(args.end(), operands.begin(), operands.end());
    return Exec(std::move(args), true, "", {}, unlogged_why);
  }
  // `git <args> --end-of-options <operands>` in the recipe's checkout, for the same reason.
  Step Git(std::vector<std::string> args, const std::vector<std::string>& operands = {},
           bool capture = false) {
    // Under a pty git would page and colour its output.
    args.insert(args.begin(), {"git", "--no-pager", "-c", "color.ui=never", "-C", recipe_dir_});
    if (!operands.empty()) args.push_back("--end-of-options");
    args.insert(args.end(), operands.begin(), operands.end());
    return Exec(std::move(args), capture);
  }

  // Checks `rev` out, detached, discarding local changes. `git switch`, not `git checkout`:
  // checkout (git 2.39) does not take --end-of-options.
  Step Switch(const std::string& rev) {
    return Git({"switch", "--quiet", "--detach", "--force"}, {rev});
  }

  // Checks out spec_.ref in the recipe dir (fetching fetch_ref if the ref is not there).
  Step CheckoutHead() {
    if (!head_sha_.empty()) return Switch(head_sha_);
    Step s = Switch(spec_.ref);
    if (s.ok() || !s.started || s.result.cancelled || spec_.fetch_ref.empty()) return s;
    Step f = Git({"fetch", "--quiet"}, {"origin", spec_.fetch_ref});
    if (!f.ok()) return f;
    return Switch(spec_.ref);
  }

  // An operator's shell command (overlay checks), in the recipe checkout, told where the app is.
  Step Check(const std::string& command) {
    std::string connect = spec_.connect_to.empty() ? "" : spec_.connect_to.front();
    return Exec({"sh", "-c", command}, true, recipe_dir_,
                {"APP_URL=" + AppUrl(""), "DOMAIN=" + spec_.domain,
                 "STACK_NAME=" + StackName(spec_.domain), "CC_CI_CONNECT_TO=" + connect});
  }

  std::string AppUrl(const std::string& path) const {
    return Replace(Replace(spec_.app_url, "{domain}", spec_.domain), "{health_path}", path);
  }

  // Polls the app until it answers; the reason when it does not.
  std::optional<std::string> WaitReady() {
    ProbeOptions o;
    o.url = AppUrl(spec_.overlay.health_path);
    o.connect_to = spec_.connect_to;
    o.expected_codes = spec_.overlay.expected_codes;
    o.verify_tls = spec_.verify_tls;
    o.timeout = spec_.overlay.ready_timeout.value_or(spec_.ready_timeout);
    o.interval = spec_.probe_interval;
    log_->Note("waiting for " + o.url + " to answer (up to " +
               std::to_string(std::chrono::duration_cast<std::chrono::seconds>(o.timeout).count()) + " s)");
    const int64_t start = deps_.clock->NowUnixMillis();
    auto r = WaitReady_(o);
    const std::string took = std::to_string(deps_.clock->NowUnixMillis() - start) + " ms";
    if (r.ok()) {
      log_->Note("ready: HTTP " + std::to_string(r->last_code) + " after " +
                 std::to_string(r->attempts) + " attempt(s), " + took);
      return std::nullopt;
    }
    log_->Note("not ready after " + took);
    return "the app did not answer " + o.url + ": " + r.status().message();
  }
  Result<ProbeResult> WaitReady_(const ProbeOptions& o) {
    const CancelToken& c = cancel();
    return runner::WaitReady(o, [&](milliseconds d) {
      if (!c.cancelled()) deps_.sleep(d);
    });
  }

  // `abra app undeploy` (`docker stack rm`) returns while swarm is still stopping the
  // stack's tasks: until their containers are gone the volumes are in use (`app remove` and
  // `app volume remove` fail), and until its networks are gone a new deploy of the stack
  // fails ("network ... not found"). Polls docker until neither is left or the command
  // timeout passes; if docker cannot tell, notes it and goes on (what follows then says
  // what is wrong).
  void WaitUndeployed() {
    const std::string label = "label=com.docker.stack.namespace=" + StackName(spec_.domain);
    const milliseconds limit = spec_.overlay.stage_timeout.value_or(spec_.stage_timeout);
    const int64_t start = deps_.clock->NowUnixMillis();
    log_->Note("waiting for the swarm to remove the stack's containers and networks");
    // The networks go after the containers: each is looked at once the one before is gone.
    const std::vector<std::pair<std::string, std::vector<std::string>>> looks = {
        {"containers", {"ps", "--all", "--quiet", "--filter", label}},
        {"networks", {"network", "ls", "--quiet", "--filter", label}}};
    for (const auto& [what, args] : looks) {
      std::vector<std::string> argv = {spec_.docker, "--context", spec_.server};
      argv.insert(argv.end(), args.begin(), args.end());
      while (true) {
        Step s = Exec(argv, true);
        if (!s.ok()) return log_->Note("cannot tell whether the stack is gone: docker " + s.Describe());
        if (LastLine(s.output).empty()) break;
        int64_t waited = deps_.clock->NowUnixMillis() - start;
        if (waited >= limit.count() || cancel().cancelled()) {
          return log_->Note("the stack still has " + what + " after " + std::to_string(waited) +
                            " ms");
        }
        deps_.sleep(spec_.swarm_poll);
      }
    }
    log_->Note("the stack is gone after " +
               std::to_string(deps_.clock->NowUnixMillis() - start) + " ms");
  }

  // An abra command that removes the app's volumes, tried again a few times: a task that
  // swarm was only preparing when the stack was removed can create its container (and hold
  // a volume) after WaitUndeployed saw none; each retry first waits for the stack's
  // containers again. Not repeated when abra could not start, hung or was cancelled.
  Step RemoveRetried(const std::vector<std::string>& args,
                     const std::vector<std::string>& operands) {
    Step s;
    for (int attempt = 1; attempt <= 5; ++attempt) {
      s = Abra(args, operands);
      if (s.ok() || !s.started || s.result.cancelled || s.result.timed_out || s.result.signal) break;
      if (attempt < 5) {
        deps_.sleep(spec_.swarm_poll);
        WaitUndeployed();
      }
    }
    return s;
  }

  // --- stages ---
  bool Install() {
    StageRecord st = Begin("install", 0);
    if (!bad_recipe_.empty()) return Push(CiError(st, bad_recipe_)), false;
    if (Status made = MakePrivateDirs(abra_dir_ + "/servers/" + spec_.server); !made.ok()) {
      Push(CiError(st, made.message()));
      return false;
    }
    // Is the server there at all? A missing abra or an unreachable server is cc-ci's trouble.
    Step pre = Abra({"app", "ls", "--server", spec_.server, "--no-input"}, {});
    if (auto b = Broke(st, pre, "abra")) return Push(*b), false;
    if (!pre.ok()) {
      Push(CiError(st, "server " + spec_.server + " unreachable: abra app ls " + pre.Describe() +
                           ": " + LastLine(pre.output)));
      return false;
    }
    Step clone =
        Exec({"git", "clone", "--quiet", "--end-of-options", spec_.source, recipe_dir_}, true);
    if (auto b = Broke(st, clone, "git")) return Push(*b), false;
    if (!clone.ok()) {
      Push(CiError(st, "cannot clone " + spec_.source + ": git " + clone.Describe() + ": " +
                           LastLine(clone.output)));
      return false;
    }
    Step head = CheckoutHead();
    if (auto b = Broke(st, head, "git")) return Push(*b), false;
    if (!head.ok()) {
      Push(CiError(st, "cannot check out " + spec_.ref + ": git " + head.Describe()));
      return false;
    }
    // A branch or "HEAD" means something else once `abra app new` moved the checkout: pin
    // the commit now.
    Step sha = Git({"rev-parse", "HEAD"}, {}, true);
    if (auto b = Broke(st, sha, "git")) return Push(*b), false;
    head_sha_ = LastLine(sha.output);
    if (!sha.ok() || !IsCommitSha(head_sha_)) {
      return Push(CiError(st, "cannot resolve " + spec_.ref)), false;
    }
    log_->Note("testing " + spec_.recipe + " at " + head_sha_);
    return InstallApp(st);
  }

  // Install's own step: the app made with its secrets, the PR head deployed and answering.
  // Its retry (StageRetry) picks up where the first attempt stopped and deploys again.
  bool InstallApp(StageRecord st) {
    bool prepared = true;  // the recipe is there: lint can run whatever happens next
    Step made = fs::exists(env_file_)
                    ? DoneBefore()
                    : Abra({"app", "new", "--server", spec_.server, "--domain", spec_.domain,
                            "--no-input"},
                           {spec_.recipe});
    if (auto b = Broke(st, made, "abra")) return Push(*b), prepared;
    if (!made.ok()) {
      Push(End(st, kStageFail, "abra app new " + made.Describe() + ": " + LastLine(made.output),
               made.result.exit_code));
      return prepared;
    }
    // Not `app new --secrets`: abra prints the values it generates, which no redaction list
    // knows in advance. Generated in a step of their own whose output never reaches the log.
    Step secrets = secrets_made_ ? DoneBefore()
                                 : Abra({"app", "secret", "generate", "--all", "--no-input"},
                                        {spec_.domain}, "it holds the generated secrets");
    if (auto b = Broke(st, secrets, "abra")) return Push(*b), prepared;
    if (!secrets.ok()) {
      // Only abra's own error line is shown; anything else could be a generated value.
      std::string last = LastLine(secrets.output);
      bool error_line = last.rfind("FATA", 0) == 0 || last.rfind("ERRO", 0) == 0 ||
                        last.rfind("Error:", 0) == 0;
      Push(End(st, kStageFail, "abra app secret generate " + secrets.Describe() +
                                   (error_line ? ": " + last : std::string()),
               secrets.result.exit_code));
      return prepared;
    }
    secrets_made_ = true;
    // `abra app new` moves the checkout to the newest release tag: back to the PR head.
    Step again = CheckoutHead();
    if (auto b = Broke(st, again, "git")) return Push(*b), prepared;
    if (!again.ok()) return Push(CiError(st, "cannot check out " + spec_.ref + " again")), prepared;
    if (!spec_.overlay.env.empty() && !env_added_) {
      std::ofstream env(env_file_, std::ios::app);
      if (!env) return Push(End(st, kStageFail, "abra app new made no env file " + env_file_)), prepared;
      env << "\n# added by the cc-ci overlay\n";
      for (const auto& kv : spec_.overlay.env) env << kv << "\n";
      env_added_ = true;
    }
    std::vector<std::string> deploy_args = {"app", "deploy", "--chaos", "--no-domain-checks",
                                            "--no-input"};
    // A retry deploys over whatever the failed attempt left.
    if (deployed_once_) deploy_args.push_back("--force");
    deployed_once_ = true;
    Step deploy = Abra(deploy_args, {spec_.domain});
    if (auto b = Broke(st, deploy, "abra")) return Push(*b), prepared;
    if (!deploy.ok()) {
      Push(End(st, kStageFail, "abra app deploy " + deploy.Describe() + ": " +
                                   LastLine(deploy.output), deploy.result.exit_code));
      return prepared;
    }
    if (auto why = WaitReady()) {
      if (cancel().cancelled()) return Push(Cancelled(st)), prepared;
      Push(End(st, kStageFail, *why, 0));
      return prepared;
    }
    Push(End(st, kStagePass, "", 0));
    return prepared;
  }

  StageRecord Cancelled(StageRecord st) {
    result_.cancelled = true;
    return End(st, kStageError, "cancelled");
  }

  // Skip/unverified decisions shared by the stages that need a running app.
  bool SkippedUpFront(const std::string& name, int seq, bool generic_only = true) {
    if (Stopped()) return true;
    if (generic_only && !spec_.overlay.generic) {
      Record(name, seq, kStageSkip, "the recipe's overlay opts out of the generic suite");
      return true;
    }
    if (auto it = spec_.overlay.skips.find(name); it != spec_.overlay.skips.end()) {
      Record(name, seq, kStageSkip, "declared in the overlay: " + it->second);
      return true;
    }
    return false;
  }

  void Upgrade() {
    if (SkippedUpFront("upgrade", 1)) return;
    if (!Passed("install")) return Record("upgrade", 1, kStageUnverified, "install did not pass");
    StageRecord st = Begin("upgrade", 1);
    std::string base = spec_.overlay.upgrade_base;
    if (base.empty()) {
      Step tags = Git({"tag", "--list"}, {}, true);
      Step at = Git({"tag", "--points-at=" + head_sha_}, {}, true);
      if (auto b = Broke(st, tags, "git")) return Push(*b);
      auto prev = ReleasesFromGit(tags.output, at.output).previous;
      if (!prev) return Push(End(st, kStageSkip, "no previous release to upgrade from (no x.y.z+upstream tag)"));
      base = prev->raw;
    }
    log_->Note("upgrading from " + base + " to " + head_sha_);
    // The previous release, on fresh volumes.
    Step un = Abra({"app", "undeploy", "--no-input"}, {spec_.domain});
    if (auto b = Broke(st, un, "abra")) return Push(*b);
    if (un.ok()) WaitUndeployed();
    // Should something else still hold a volume a while: retry.
    Step vol = RemoveRetried({"app", "volume", "remove", "--force", "--no-input"}, {spec_.domain});
    if (auto b = Broke(st, vol, "abra")) return Push(*b);
    if (!vol.ok()) {
      return Push(End(st, kStageUnverified, "the volumes could not be removed for a fresh "
                                            "install of the previous release: abra app volume "
                                            "remove " + vol.Describe() + ": " + LastLine(vol.output)));
    }
    Step old = Switch(base);
    if (auto b = Broke(st, old, "git")) return Push(*b);
    if (!old.ok()) return Push(End(st, kStageUnverified, "cannot check out the upgrade base " + base));
    Step d1 = Abra({"app", "deploy", "--force", "--no-domain-checks", "--no-input"},
                   {spec_.domain, base});
    if (auto b = Broke(st, d1, "abra")) return Push(*b);
    if (!d1.ok()) {
      return Push(End(st, kStageUnverified, "the previous release " + base + " did not deploy: " +
                                               d1.Describe()));
    }
    if (auto why = WaitReady()) {
      if (cancel().cancelled()) return Push(Cancelled(st));
      return Push(End(st, kStageUnverified, "the previous release " + base + " did not come up: " + *why));
    }
    // Then the PR head over it.
    Step head = CheckoutHead();
    if (auto b = Broke(st, head, "git")) return Push(*b);
    if (!head.ok()) return Push(CiError(st, "cannot check out " + head_sha_));
    Step d2 = Abra({"app", "deploy", "--chaos", "--force", "--no-domain-checks", "--no-input"},
                   {spec_.domain});
    if (auto b = Broke(st, d2, "abra")) return Push(*b);
    if (!d2.ok()) {
      return Push(End(st, kStageFail, "abra app deploy " + d2.Describe() + ": " + LastLine(d2.output),
                      d2.result.exit_code));
    }
    if (auto why = WaitReady()) {
      if (cancel().cancelled()) return Push(Cancelled(st));
      return Push(End(st, kStageFail, "after the upgrade " + *why, 0));
    }
    // Does the stack really run the PR head? A swarm rollback silently reverts an upgrade.
    std::string stack = StackName(spec_.domain);
    Step inspect = Exec({spec_.docker, "--context", spec_.server, "service", "inspect",
                         stack + "_app", "--format",
                         "{\"labels\":{{json .Spec.Labels}},\"update\":{{json .UpdateStatus}}}"},
                        true);
    if (auto b = Broke(st, inspect, "docker")) return Push(*b);
    if (!inspect.ok()) {
      return Push(End(st, kStageUnverified, "cannot read the stack's labels: docker " + inspect.Describe()));
    }
    std::string why = CheckChaosVersion(inspect.output, stack);
    if (!why.empty()) return Push(End(st, kStageFail, why, 0));
    Push(End(st, kStagePass, "upgraded from " + base, 0));
  }

  // Empty when the inspected service runs the PR head; else why not.
  std::string CheckChaosVersion(const std::string& output, const std::string& stack) {
    std::string json = output.substr(std::min(output.find('{'), output.size()));
    rapidjson::Document doc;
    doc.Parse(json.c_str());
    if (doc.HasParseError() || !doc.IsObject()) return "cannot parse docker service inspect output";
    if (doc.HasMember("update") && doc["update"].IsObject() && doc["update"].HasMember("State") &&
        doc["update"]["State"].IsString()) {
      std::string state = doc["update"]["State"].GetString();
      if (state.rfind("rollback", 0) == 0) return "the swarm rolled the upgrade back (" + state + ")";
    }
    std::string key = "coop-cloud." + stack + ".chaos-version";
    if (!doc.HasMember("labels") || !doc["labels"].IsObject() ||
        !doc["labels"].HasMember(key.c_str()) || !doc["labels"][key.c_str()].IsString()) {
      return "the stack has no " + key + " label: it is not running a chaos deploy of the PR head";
    }
    std::string version = doc["labels"][key.c_str()].GetString();
    std::string v = version.substr(0, version.find('+'));  // "+U": uncommitted changes
    if (v.size() < 7 || head_sha_.rfind(v, 0) != 0) {
      return "the stack runs " + version + ", not the PR head " + head_sha_.substr(0, 8);
    }
    return "";
  }

  void Backup(bool prepared) {
    if (SkippedUpFront("backup", 2)) return;
    if (!prepared) return Record("backup", 2, kStageUnverified, "the recipe could not be prepared");
    auto scan = ScanBackupLabels(recipe_dir_);
    if (!scan.ok()) return Record("backup", 2, kStageFail, scan.status().message());
    if (!scan->has_backup_label) {
      no_backup_ = true;
      return Record("backup", 2, kStageSkip, "no backupbot.backup label in compose*.yml");
    }
    if (!Passed("install")) return Record("backup", 2, kStageUnverified, "install did not pass");
    if (stages_status_.count("upgrade") && !Passed("upgrade") &&
        stages_status_["upgrade"] != std::string(kStageSkip)) {
      return Record("backup", 2, kStageUnverified, "the upgrade left the app in an unknown state");
    }
    StageRecord st = Begin("backup", 2);
    if (!spec_.overlay.data_seed.empty()) {
      Step seed = Check(spec_.overlay.data_seed);
      if (auto b = Broke(st, seed, "sh")) return Push(*b);
      if (!seed.ok()) {
        return Push(End(st, kStageFail, "the data check's seed " + seed.Describe() + ": " +
                                            LastLine(seed.output), seed.result.exit_code));
      }
    }
    // Right after a deploy a backup can fail (409) until the app is really up: retry.
    Step b;
    for (int attempt = 1; attempt <= 3; ++attempt) {
      b = Abra({"app", "backup", "create", "--no-input"}, {spec_.domain});
      if (auto broke = Broke(st, b, "abra")) return Push(*broke);
      if (b.ok()) return Push(End(st, kStagePass, "", 0));
      if (b.result.timed_out || b.result.signal) break;  // a hang is not worth repeating
      if (attempt < 3) {
        log_->Note("backup attempt " + std::to_string(attempt) + " failed; retrying");
        deps_.sleep(spec_.retry_delay);
      }
    }
    Push(End(st, kStageFail, "abra app backup create " + b.Describe() + ": " + LastLine(b.output),
             b.result.exit_code));
  }

  void Restore() {
    if (SkippedUpFront("restore", 3)) return;
    if (no_backup_) return Record("restore", 3, kStageSkip, "no backupbot.backup label in compose*.yml");
    if (!Passed("backup")) return Record("restore", 3, kStageUnverified, "backup did not pass");
    StageRecord st = Begin("restore", 3);
    bool data_check = !spec_.overlay.data_verify.empty();
    if (data_check) {
      // Changed after the backup, so that only a restore brings the seeded data back.
      Step change = Check(spec_.overlay.data_change);
      if (auto b = Broke(st, change, "sh")) return Push(*b);
      if (!change.ok()) {
        return Push(End(st, kStageUnverified, "the data check's change " + change.Describe() +
                                                  ": " + LastLine(change.output)));
      }
    }
    Step r = Abra({"app", "restore", "--no-input"}, {spec_.domain});
    if (auto b = Broke(st, r, "abra")) return Push(*b);
    if (!r.ok()) {
      return Push(End(st, kStageFail, "abra app restore " + r.Describe() + ": " + LastLine(r.output),
                      r.result.exit_code));
    }
    if (auto why = WaitReady()) {
      if (cancel().cancelled()) return Push(Cancelled(st));
      return Push(End(st, kStageFail, "after the restore " + *why, 0));
    }
    if (data_check) {
      Step verify = Check(spec_.overlay.data_verify);
      if (auto b = Broke(st, verify, "sh")) return Push(*b);
      if (!verify.ok()) {
        return Push(End(st, kStageFail, "the restored data is not what was backed up: verify " +
                                            verify.Describe() + ": " + LastLine(verify.output),
                        verify.result.exit_code));
      }
      return Push(End(st, kStagePass, "the seeded data came back", 0));
    }
    Push(End(st, kStagePass, "", 0));
  }

  void Functional() {
    if (SkippedUpFront("functional", 4, /*generic_only=*/false)) return;
    std::vector<std::pair<std::string, std::string>> checks = spec_.overlay.checks;
    std::string not_approved;
    if (!spec_.overlay.recipe_checks.empty()) {
      if (spec_.recipe_approved) {
        checks.push_back({spec_.overlay.recipe_checks, "./" + spec_.overlay.recipe_checks});
      } else {
        not_approved = "the recipe's own checks (" + spec_.overlay.recipe_checks +
                       ") did not run: " + spec_.recipe + " is not in runner.approved_recipes";
      }
    }
    if (checks.empty()) {
      return Record("functional", 4, kStageSkip,
                    not_approved.empty() ? "no functional checks declared" : not_approved);
    }
    if (!Passed("install")) return Record("functional", 4, kStageUnverified, "install did not pass");
    StageRecord st = Begin("functional", 4);
    if (!not_approved.empty()) log_->Note(not_approved);
    for (const auto& [name, command] : checks) {
      Step c = Check(command);
      if (auto b = Broke(st, c, "sh")) return Push(*b);
      if (!c.ok()) {
        return Push(End(st, kStageFail, "check " + name + " " + c.Describe() + ": " + LastLine(c.output),
                        c.result.exit_code));
      }
    }
    Push(End(st, kStagePass, std::to_string(checks.size()) + " check(s) passed", 0));
  }

  void Lint(bool prepared) {
    if (SkippedUpFront("lint", 5)) return;
    if (!prepared) return Record("lint", 5, kStageUnverified, "the recipe could not be prepared");
    StageRecord st = Begin("lint", 5);
    // The PR head, as is: without --chaos abra first moves the checkout to the latest commit
    // of the default branch and would lint that instead.
    Step head = CheckoutHead();
    if (auto b = Broke(st, head, "git")) return Push(*b);
    if (!head.ok()) return Push(CiError(st, "cannot check out " + head_sha_ + " to lint it"));
    Step l = Abra({"recipe", "lint", "--chaos", "--no-input"}, {spec_.recipe});
    if (auto b = Broke(st, l, "abra")) return Push(*b);
    auto report = ParseLintOutput(l.output);
    if (!report.ok()) {
      return Push(End(st, kStageUnverified, "abra recipe lint " + l.Describe() +
                                                " without a lint table: " + LastLine(l.output),
                      l.result.exit_code));
    }
    lint_report_ = *report;
    if (report->passed()) {
      return Push(End(st, kStagePass, std::to_string(report->rules.size()) + " rules checked",
                      l.result.exit_code));
    }
    std::string refs;
    for (const auto& r : report->failed_errors()) refs += (refs.empty() ? "" : ", ") + r;
    Push(End(st, kStageFail, "error rules not satisfied: " + refs, l.result.exit_code));
  }

  // Rungs 6-8 (higher_rungs.h): read-only checks after lint, no deploy of their own.
  void RungsAboveLint(bool prepared) {
    HigherRungsSpec h;
    h.trees_dir = spec_.work_dir + "/trees";
    h.head_sha = head_sha_;
    h.upgrade_base = spec_.overlay.upgrade_base;
    h.stack = StackName(spec_.domain);
    h.scores_path = spec_.log_dir + "/" + kScoresReportFile;
    h.maintained_months = spec_.maintained_months;
    h.now_s = deps_.clock->NowUnixMillis() / 1000;
    h.data_check = !spec_.overlay.data_verify.empty();
    runner::HigherRungs rungs(h, this);
    const LintReport* lint = lint_report_ ? &*lint_report_ : nullptr;
    const std::pair<const char*, std::function<RungVerdict()>> kRungs[] = {
        {"upgrade-safe", [&] { return rungs.UpgradeSafe(); }},
        {"clean", [&] { return rungs.Clean(lint, result_.stages); }},
        {"maintained", [&] { return rungs.Maintained(result_.stages); }}};
    int seq = 5;
    for (const auto& [name, check] : kRungs) {
      ++seq;
      if (Stopped()) return;
      if (SkippedUpFront(name, seq)) continue;
      if (!prepared) {
        Record(name, seq, kStageUnverified, "the recipe could not be prepared");
        continue;
      }
      StageRecord st = Begin(name, seq);
      RungVerdict v = check();
      if (v.cancelled) return Push(Cancelled(st));
      Push(v.ci_error ? CiError(st, v.reason) : End(st, v.status, v.reason));
    }
  }
  // RungIo, for the rungs above: the command and its output go to the current stage's log.
  CommandOutcome Outcome(const Step& step) {
    CommandOutcome c;
    c.started = step.started;
    c.cancelled = step.started && step.result.cancelled;
    c.ok = step.ok();
    c.output = Replace(step.output, "\r", "");
    c.describe = step.Describe();
    return c;
  }
  CommandOutcome RunGit(const std::vector<std::string>& args) override {
    return Outcome(Git(args, {}, true));
  }
  CommandOutcome RunDocker(const std::vector<std::string>& args) override {
    std::vector<std::string> argv = {spec_.docker, "--context", spec_.server};
    argv.insert(argv.end(), args.begin(), args.end());
    return Outcome(Exec(std::move(argv), true));
  }
  void Note(const std::string& line) override { log_->Note(line); }

  void Screenshot() {
    if (SkippedUpFront("screenshot", 9, /*generic_only=*/false)) return;
    if (!deps_.screenshot) return Record("screenshot", 9, kStageSkip, "no browser configured");
    if (!Passed("install")) return Record("screenshot", 9, kStageUnverified, "install did not pass");
    StageRecord st = Begin("screenshot", 9);
    std::string url = AppUrl("/");
    Status s = deps_.screenshot(url, spec_.log_dir + "/screenshot.png");
    if (!s.ok()) return Push(End(st, kStageUnverified, "no screenshot of " + url + ": " + s.message()));
    log_->Note("captured " + url);
    Push(End(st, kStagePass, ""));
  }

  const SuiteSpec& spec_;
  const SuiteDeps& deps_;
  const CancelToken& cancel_;
  const CancelToken* cancel_override_ = nullptr;
  std::string abra_dir_, recipe_dir_, env_file_;
  std::string bad_recipe_;  // why the recipe's name cannot be a directory, if it cannot
  std::string head_sha_;  // the commit under test, once resolved
  std::unique_ptr<StageLog> log_;
  std::map<std::string, std::string> stages_status_;
  bool no_backup_ = false;
  StageRetry retry_;
  bool retry_pending_ = false;  // the stage that just ended gets a second attempt
  bool secrets_made_ = false;   // install's steps done, so its retry does not repeat them
  bool env_added_ = false;
  bool deployed_once_ = false;
  std::optional<LintReport> lint_report_;
  SuiteResult result_;
};

}  // namespace

SuiteResult RunSuite(const SuiteSpec& spec, const SuiteDeps& deps, const CancelToken& cancel) {
  (void)MakePrivateDirs(spec.log_dir);
  SuiteRun run(spec, deps, cancel);
  return run.Run();
}

StageRecord RunTeardown(const SuiteSpec& spec, const SuiteDeps& deps) {
  (void)MakePrivateDirs(spec.log_dir);
  CancelToken never;
  SuiteRun run(spec, deps, never);
  return run.Teardown();
}

std::string StackName(const std::string& domain) {
  std::string s = Replace(domain, ".", "_");
  if (s.size() > 45) s.resize(45);
  return s;
}

std::string RunDomain(const std::string& recipe, int64_t pr, int64_t run_id,
                      const std::string& suffix) {
  std::string tail = "-" + std::to_string(pr) + "-" + std::to_string(run_id);
  std::string name;
  for (char c : recipe) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((l >= 'a' && l <= 'z') || (l >= '0' && l <= '9')) name += l;
    else if (!name.empty() && name.back() != '-') name += '-';
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.empty()) name = "recipe";
  if (name.size() + tail.size() > 63) name.resize(63 - tail.size());
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name + tail + (suffix.empty() ? "" : "." + suffix);
}

}  // namespace ccci::runner
