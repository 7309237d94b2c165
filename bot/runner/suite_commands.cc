#include "base/ini.h"
#include "bot/runner/command_output.h"
#include "bot/runner/readiness_probe.h"
#include "bot/runner/suite_run.h"

namespace ccci::runner {

using std::chrono::milliseconds;

std::string CommandPidFile(const SuiteSpec& spec) { return spec.work_dir + "/command.pid"; }

Step SuiteRun::Exec(std::vector<std::string> argv, bool capture, const std::string& cwd,
                    std::vector<std::string> extra_env, const std::string& unlogged_why) {
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
  auto r =
      deps_.executor->Run(cmd, capture ? static_cast<OutputSink&>(capture_sink) : *sink, cancel());
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

Step SuiteRun::Abra(std::vector<std::string> args, const std::vector<std::string>& operands,
                    const std::string& unlogged_why) {
  args.insert(args.begin(), spec_.abra);
  if (!operands.empty()) args.push_back("--");
  args.insert(args.end(), operands.begin(), operands.end());
  return Exec(std::move(args), true, "", {}, unlogged_why);
}

Step SuiteRun::Git(std::vector<std::string> args, const std::vector<std::string>& operands,
                   bool capture) {
  // Under a pty git would page and colour its output.
  args.insert(args.begin(), {"git", "--no-pager", "-c", "color.ui=never", "-C", recipe_dir_});
  if (!operands.empty()) args.push_back("--end-of-options");
  args.insert(args.end(), operands.begin(), operands.end());
  return Exec(std::move(args), capture);
}

Step SuiteRun::Docker(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {spec_.docker, "--context", spec_.server};
  argv.insert(argv.end(), args.begin(), args.end());
  return Exec(std::move(argv), true);
}

// `git switch`, not `git checkout`: checkout (git 2.39) does not take --end-of-options.
Step SuiteRun::Switch(const std::string& rev) {
  return Git({"switch", "--quiet", "--detach", "--force"}, {rev});
}

Step SuiteRun::CheckoutHead() {
  if (!head_sha_.empty()) return Switch(head_sha_);
  Step s = Switch(spec_.ref);
  if (s.ok() || !s.started || s.result.cancelled || spec_.fetch_ref.empty()) return s;
  Step f = Git({"fetch", "--quiet"}, {"origin", spec_.fetch_ref});
  if (!f.ok()) return f;
  return Switch(spec_.ref);
}

Step SuiteRun::Check(const std::string& command) {
  std::string connect = spec_.connect_to.empty() ? "" : spec_.connect_to.front();
  return Exec({"sh", "-c", command}, true, recipe_dir_,
              {"APP_URL=" + AppUrl(""), "DOMAIN=" + spec_.domain,
               "STACK_NAME=" + StackName(spec_.domain), "CC_CI_CONNECT_TO=" + connect});
}

std::string SuiteRun::AppUrl(const std::string& path) const {
  return ReplaceAll(ReplaceAll(spec_.app_url, "{domain}", spec_.domain), "{health_path}", path);
}

std::optional<std::string> SuiteRun::WaitReady() {
  ProbeOptions o;
  o.url = AppUrl(spec_.overlay.health_path);
  o.connect_to = spec_.connect_to;
  o.expected_codes = spec_.overlay.expected_codes;
  o.verify_tls = spec_.verify_tls;
  o.timeout = spec_.overlay.ready_timeout.value_or(spec_.ready_timeout);
  o.interval = spec_.probe_interval;
  log_->Note("waiting for " + o.url + " to answer (up to " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(o.timeout).count()) +
             " s)");
  const int64_t start = deps_.clock->NowUnixMillis();
  const CancelToken& c = cancel();
  auto r = runner::WaitReady(o, [&](milliseconds d) {
    if (!c.cancelled()) deps_.sleep(d);
  });
  const std::string took = std::to_string(deps_.clock->NowUnixMillis() - start) + " ms";
  if (r.ok()) {
    log_->Note("ready: HTTP " + std::to_string(r->last_code) + " after " +
               std::to_string(r->attempts) + " attempt(s), " + took);
    return std::nullopt;
  }
  log_->Note("not ready after " + took);
  return "the app did not answer " + o.url + ": " + r.status().message();
}

// `abra app undeploy` (`docker stack rm`) returns while swarm is still stopping the stack's
// tasks: until their containers are gone the volumes are in use (`app remove` and `app volume
// remove` fail), and until its networks are gone a new deploy of the stack fails ("network
// ... not found"). A task swarm was still preparing when the stack was removed creates its
// container, and attaches this node to the stack's network again, after that: until swarm
// has dropped every task of the stack, "no containers and no networks" proves nothing. So the
// tasks go first, then the containers, then the networks, each looked at once the one before
// is gone. A network `docker stack rm` could not remove (a task still used it then) is left
// to nobody: once tasks and containers are gone, the stack's networks still there are
// removed here. Polls until nothing is left or the command timeout passes; if docker cannot
// tell, notes it and goes on (what follows then says what is wrong).
void SuiteRun::WaitUndeployed() {
  const std::string stack = StackName(spec_.domain);
  const std::string label = "label=com.docker.stack.namespace=" + stack;
  const milliseconds limit = spec_.overlay.stage_timeout.value_or(spec_.stage_timeout);
  const int64_t start = deps_.clock->NowUnixMillis();
  log_->Note("waiting for the swarm to remove the stack's tasks, containers and networks");
  struct Look {
    std::string what;
    std::vector<std::string> args;
  };
  const Look looks[] = {{"tasks", {"stack", "ps", stack, "--quiet", "--no-trunc"}},
                        {"containers", {"ps", "--all", "--quiet", "--filter", label}},
                        {"networks", {"network", "ls", "--quiet", "--filter", label}}};
  bool removed_networks = false;
  for (const Look& look : looks) {
    while (true) {
      Step s = Docker(look.args);
      // `docker stack ps` fails, saying so, once the stack has no task left.
      bool no_tasks = look.what == "tasks" && s.started && !s.result.ok() &&
                      s.output.find("nothing found in stack") != std::string::npos;
      if (!s.ok() && !no_tasks)
        return log_->Note("cannot tell whether the stack is gone: docker " + s.Describe());
      std::vector<std::string> left = SplitList(no_tasks ? "" : s.output, " \t\r\n");
      if (left.empty()) break;
      if (look.what == "networks" && !removed_networks) {
        removed_networks = true;
        log_->Note("removing the stack's " + std::to_string(left.size()) +
                   " network(s) left after its tasks and containers are gone");
        std::vector<std::string> rm = {"network", "rm"};
        rm.insert(rm.end(), left.begin(), left.end());
        Docker(rm);  // what it cannot remove yet is polled for below
        continue;
      }
      int64_t waited = deps_.clock->NowUnixMillis() - start;
      if (waited >= limit.count() || cancel().cancelled()) {
        return log_->Note("the stack still has " + look.what + " after " + std::to_string(waited) +
                          " ms");
      }
      deps_.sleep(spec_.swarm_poll);
    }
  }
  log_->Note("the stack is gone after " + std::to_string(deps_.clock->NowUnixMillis() - start) +
             " ms");
}

// A task that swarm was only preparing when the stack was removed can create its container
// (and hold a volume) after WaitUndeployed saw none; each retry first waits for the stack's
// containers again. Not repeated when abra could not start, hung or was cancelled.
Step SuiteRun::RemoveRetried(const std::vector<std::string>& args,
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

}  // namespace ccci::runner
