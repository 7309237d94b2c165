#include "supervisor/repo_probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sstream>

namespace ccci::supervisor {

Result<std::string> RunAndCapture(const std::vector<std::string>& argv) {
  if (argv.empty()) return InvalidArgument("empty argv");
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Internal("pipe failed");
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    if (null_fd >= 0) close(null_fd);
    return Internal("fork failed");
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      dup2(null_fd, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  if (null_fd >= 0) close(null_fd);
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Unavailable(argv[0] + " " + (argv.size() > 1 ? argv[1] : "") + " failed (status " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  }
  return out;
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

std::string GitRepoProbe::LastCommit() {
  Result<std::string> out = RunAndCapture({"git", "-C", repo_, "log", "-1", "--format=%h %s"});
  if (!out.ok()) return "";
  std::string s = *out;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace ccci::supervisor
