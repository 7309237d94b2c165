#include "supervisor/repo_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <sstream>

#include "base/subprocess.h"
#include "supervisor/config.h"
#include "supervisor/process_launcher.h"

namespace ccci::supervisor {

namespace {

// "git fetch" for {"git", "-C", dir, "fetch", ...}: the program and its subcommand.
std::string CommandLabel(const std::vector<std::string>& argv) {
  for (size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "-C" || argv[i] == "-c") {
      ++i;
    } else if (argv[i].empty() || argv[i][0] != '-') {
      return argv[0] + " " + argv[i];
    }
  }
  return argv[0];
}

// Reads both pipes into `out` and `err`: true once both closed, false when `deadline`
// passed first.
bool ReadBoth(int out_fd, int err_fd, std::optional<std::chrono::steady_clock::time_point> deadline,
              std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    int n = poll(fds, 2, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (pollfd& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[8192];
      ssize_t got = read(p.fd, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        p.fd = -1;  // the caller closes it
        --open_fds;
        continue;
      }
      (&p == &fds[0] ? out : err)->append(buf, static_cast<size_t>(got));
    }
  }
  return true;
}

}  // namespace

Result<std::string> RunAndCapture(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) return InvalidArgument("empty argv");
  std::map<std::string, std::string> env = CurrentEnvironment();
  for (const auto& [k, v] : options.set_env) env[k] = v;
  SpawnOptions spawn;
  spawn.argv = argv;
  for (const auto& [k, v] : env) spawn.env.push_back(k + "=" + v);
  // With a timeout the command gets a group of its own, so that ending it ends git's ssh or
  // remote helper too; without one it stays in ours.
  bool own_group = options.timeout.count() > 0;
  spawn.group = own_group ? ProcessGroup::kNewSession : ProcessGroup::kInherit;
  int out[2];
  int err[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Internal("pipe failed");
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    return Internal("pipe failed");
  }
  spawn.stdout_fd = out[1];
  spawn.stderr_fd = err[1];
  auto child = Subprocess::Spawn(spawn);
  close(out[1]);
  close(err[1]);
  if (!child.ok()) {
    close(out[0]);
    close(err[0]);
    // As the shell would tell it: a command that cannot start exits 127.
    if (child.status().message().rfind("cannot start ", 0) == 0) {
      return Unavailable(CommandLabel(argv) + " failed (status 127)");
    }
    return child.status();  // the machine could not start any process
  }
  const pid_t pid = child->pid();
  std::string stdout_text;
  std::string stderr_text;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (own_group) deadline = std::chrono::steady_clock::now() + options.timeout;
  bool timed_out = !ReadBoth(out[0], err[0], deadline, &stdout_text, &stderr_text);
  if (timed_out) SignalGroup(pid, SIGKILL);  // the whole group: git's ssh or remote helper too
  close(out[0]);
  close(err[0]);
  int status = child->Wait();
  if (timed_out) {
    // Members other than our child die on their own time (and are reaped by init): wait,
    // bounded, so nothing of the command outlives the call.
    auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!LiveGroupMembers(pid).empty() && std::chrono::steady_clock::now() < limit) {
      SignalGroup(pid, SIGKILL);
      usleep(10000);
    }
    return Status(Code::kDeadlineExceeded, CommandLabel(argv) + " timed out after " +
                                               std::to_string(options.timeout.count() / 1000) +
                                               "s");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string msg = CommandLabel(argv) + " failed (status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    if (options.stderr_in_error) {
      while (!stderr_text.empty() && std::isspace(static_cast<unsigned char>(stderr_text.back())))
        stderr_text.pop_back();
      size_t last_line = stderr_text.rfind('\n');
      if (!stderr_text.empty())
        msg += ": " +
               (last_line == std::string::npos ? stderr_text : stderr_text.substr(last_line + 1));
    }
    return Unavailable(msg);
  }
  return stdout_text;
}

bool HasDoneMarker(const std::string& plan_text) {
  std::istringstream in(plan_text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line == "## DONE") return true;
  }
  return false;
}

std::vector<std::string> PhaseFiles(const std::vector<std::string>& names) {
  std::vector<std::string> phases;
  bool has_plan_md = false;
  for (const std::string& n : names) {
    if (n == "plan.md") has_plan_md = true;
    if (n.size() > 3 && std::isdigit(static_cast<unsigned char>(n[0])) &&
        n.compare(n.size() - 3, 3, ".md") == 0) {
      phases.push_back(n);
    }
  }
  std::sort(phases.begin(), phases.end());
  if (phases.empty() && has_plan_md) phases.push_back("plan.md");
  return phases;
}

GitRepoProbe::GitRepoProbe(std::string repo, std::string plans_dir, std::string ref)
    : repo_(std::move(repo)), plans_dir_(std::move(plans_dir)), ref_(std::move(ref)) {}

Result<PlanStatus> GitRepoProbe::ReadPlan() {
  Result<std::string> listing =
      RunAndCapture({"git", "-C", repo_, "ls-tree", "--name-only", ref_ + ":" + plans_dir_});
  if (!listing.ok()) return Unavailable("cannot list " + ref_ + ":" + plans_dir_);
  std::vector<std::string> names;
  std::istringstream in(*listing);
  std::string name;
  while (std::getline(in, name)) {
    if (!name.empty()) names.push_back(name);
  }
  PlanStatus plan;
  for (const std::string& f : PhaseFiles(names)) plan.phases.push_back(plans_dir_ + "/" + f);
  if (plan.phases.empty()) return FailedPrecondition("no plan in " + ref_ + ":" + plans_dir_);
  plan.current = plan.phases.size();
  for (size_t i = 0; i < plan.phases.size(); ++i) {
    Result<std::string> text =
        RunAndCapture({"git", "-C", repo_, "show", ref_ + ":" + plan.phases[i]});
    if (!text.ok()) return Unavailable("cannot read " + ref_ + ":" + plan.phases[i]);
    if (!HasDoneMarker(*text)) {
      plan.current = i;
      break;
    }
  }
  return plan;
}

Result<std::string> GitRepoProbe::ProgressStamp() {
  Result<std::string> head = RunAndCapture({"git", "-C", repo_, "rev-parse", "HEAD"});
  std::string stamp = head.ok() ? *head : "nohead\n";
  struct stat st {};
  if (stat((repo_ + "/JOURNAL.md").c_str(), &st) == 0) {
    stamp += std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
             std::to_string(st.st_mtim.tv_nsec);
  }
  return stamp;
}

std::unique_ptr<RepoProbe> MakeRepoProbe(const SupervisorConfig& config,
                                         const std::string& cache_dir) {
  if (config.remote_url.empty()) {
    return std::make_unique<GitRepoProbe>(config.repo, config.plans_dir, config.main_ref);
  }
  return std::make_unique<RemoteRepoProbe>(config.repo, config.plans_dir, config.remote_url,
                                           config.main_ref, cache_dir, config.remote_timeout);
}

RemoteRepoProbe::RemoteRepoProbe(std::string repo, std::string plans_dir, std::string url,
                                 std::string ref, std::string cache_dir,
                                 std::chrono::seconds timeout)
    : local_(repo, plans_dir, ref),
      cache_(cache_dir, plans_dir, kCacheRef),
      url_(std::move(url)),
      ref_(std::move(ref)),
      cache_dir_(std::move(cache_dir)),
      timeout_(timeout) {}

std::string RemoteRepoProbe::PlanSource() { return RedactUrl(url_) + " " + ref_; }

Status RemoteRepoProbe::Fetch() {
  RunOptions opt;
  opt.timeout = timeout_;
  opt.stderr_in_error = true;
  // Never wait for a password on a terminal nobody watches.
  opt.set_env = {{"GIT_TERMINAL_PROMPT", "0"}, {"GIT_ASKPASS", "true"}, {"SSH_ASKPASS", "true"}};
  if (getenv("GIT_SSH_COMMAND") == nullptr) {
    opt.set_env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=" +
                                     std::to_string(std::max<long long>(1, timeout_.count()));
  }
  if (!std::filesystem::exists(cache_dir_ + "/HEAD")) {
    Result<std::string> init = RunAndCapture({"git", "init", "--bare", "-q", cache_dir_}, opt);
    if (!init.ok()) return Unavailable("cannot create fetch cache " + cache_dir_);
  }
  Result<std::string> fetched =
      RunAndCapture({"git", "-C", cache_dir_, "fetch", "--quiet", "--no-tags", "--depth=1",
                     "--no-write-fetch-head", url_, "+refs/heads/" + ref_ + ":" + kCacheRef},
                    opt);
  if (fetched.ok()) return Status::Ok();
  // git may echo the URL, credentials and all: only the redacted form leaves this function.
  std::string msg = fetched.status().code() == Code::kDeadlineExceeded
                        ? "timed out after " + std::to_string(timeout_.count()) + "s"
                        : fetched.status().message();
  std::string redacted = RedactUrl(url_);
  for (size_t at = msg.find(url_); !url_.empty() && at != std::string::npos;
       at = msg.find(url_, at + redacted.size())) {
    msg.replace(at, url_.size(), redacted);
  }
  return Status(fetched.status().code(), "fetch " + PlanSource() + ": " + msg);
}

Result<PlanStatus> RemoteRepoProbe::ReadPlan() {
  CCCI_RETURN_IF_ERROR(Fetch());
  return cache_.ReadPlan();
}

std::string GitRepoProbe::LastCommit() {
  Result<std::string> out = RunAndCapture({"git", "-C", repo_, "log", "-1", "--format=%h %s"});
  if (!out.ok()) return "";
  std::string s = *out;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace ccci::supervisor
