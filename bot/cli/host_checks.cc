// The host half of `cc-ci doctor` (doctor.h): abra, docker, the abra server, Chromium and
// the data dir.

#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "base/pid_lock.h"
#include "bot/app/runner_setup.h"
#include "bot/cli/doctor.h"
#include "bot/runner/abra_contract.h"
#include "bot/runner/command_output.h"
#include "bot/runner/host_tools.h"
#include "bot/runner/stage_log.h"

namespace ccci {
namespace {

namespace fs = std::filesystem;

// Below this much free space on the data dir a run's logs may not fit (8 stages of up to
// runner.log_max_bytes each) next to the database.
constexpr uint64_t kMinFreeBytes = 1ull << 30;

DoctorCheck Pass(std::string what) { return {true, std::move(what), ""}; }
DoctorCheck Fail(std::string what, std::string fix) {
  return {false, std::move(what), std::move(fix)};
}

// One command as the runner runs it: under a terminal, with an ABRA_DIR of its own that
// knows `server` (abra finds a server by its directory there, and docker by its context).
struct Ran {
  bool started = false;
  int exit_code = -1;
  std::string output;  // without colours
  std::string error;   // why it did not start or finish
  bool ok() const { return started && exit_code == 0 && error.empty(); }
  std::string Why() const {
    if (!error.empty()) return error;
    std::string last = runner::LastLine(output);
    return "exited " + std::to_string(exit_code) + (last.empty() ? "" : ": " + last);
  }
};

class Tools {
 public:
  // Commands get the environment the runner gives them (runner.pass_env).
  Tools(runner::Executor* executor, const std::string& server, std::vector<std::string> pass_env)
      : executor_(executor), pass_env_(std::move(pass_env)) {
    std::string tmpl = fs::temp_directory_path().string() + "/cc-ci-doctor-XXXXXX";
    if (mkdtemp(tmpl.data())) abra_dir_ = tmpl;
    std::error_code ec;
    fs::create_directories(abra_dir_ + "/servers/" + server, ec);
  }
  ~Tools() {
    std::error_code ec;
    if (!abra_dir_.empty()) fs::remove_all(abra_dir_, ec);
  }
  Ran Run(std::vector<std::string> argv) {
    runner::Command cmd;
    cmd.argv = std::move(argv);
    cmd.env = {"ABRA_DIR=" + abra_dir_, "PAGER=cat", "NO_COLOR=1"};
    cmd.pass_env = pass_env_;
    cmd.timeout = std::chrono::seconds(60);
    cmd.grace = std::chrono::seconds(2);
    runner::CaptureSink sink(nullptr);
    runner::CancelToken never;
    Ran r;
    auto result = executor_->Run(cmd, sink, never);
    if (!result.ok()) {
      r.error = result.status().message();
      return r;
    }
    r.started = true;
    r.output = runner::StripAnsi(sink.text());
    if (result->timed_out) r.error = "timed out after 60 s";
    else if (result->signal) r.error = "killed by signal " + std::to_string(result->signal);
    r.exit_code = result->exit_code;
    return r;
  }

 private:
  runner::Executor* executor_;
  std::vector<std::string> pass_env_;
  std::string abra_dir_;
};

std::vector<DoctorCheck> AbraChecks(const Config& c, Tools& tools) {
  std::vector<DoctorCheck> out;
  Ran version = tools.Run({c.runner_abra, "--version"});
  std::string v = runner::LastLine(version.output);
  out.push_back(version.ok() ? Pass(v.empty() ? "abra answers --version" : v)
                             : Fail("abra --version " + version.Why(),
                                    "reinstall abra (docs/operating.md)"));
  std::vector<std::string> missing;
  for (const runner::AbraCommand& command : runner::AbraContract()) {
    std::vector<std::string> argv = {c.runner_abra};
    std::istringstream words(command.words);
    for (std::string w; words >> w;) argv.push_back(w);
    argv.push_back("--help");
    Ran help = tools.Run(argv);
    if (!help.ok()) {
      missing.push_back(command.words + " (--help " + help.Why() + ")");
      continue;
    }
    for (const std::string& flag : command.flags) {
      if (!runner::HelpListsFlag(help.output, flag)) missing.push_back(command.words + " " + flag);
    }
  }
  if (missing.empty()) {
    out.push_back(Pass("abra knows every command and flag the runner uses (" +
                       std::to_string(runner::AbraContract().size()) + " commands)"));
  } else {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    out.push_back(Fail("abra lacks what the runner uses: " + list,
                       "install the abra release docs/operating.md names"));
  }
  Ran ls = tools.Run({c.runner_abra, "app", "ls", "--server", c.runner_server, "--no-input"});
  out.push_back(ls.ok() ? Pass("abra reaches server " + c.runner_server)
                        : Fail("abra cannot reach server " + c.runner_server + ": " + ls.Why(),
                               "`abra server add " + c.runner_server +
                                   "` as the cc-ci user, or set runner.server"));
  return out;
}

std::vector<DoctorCheck> DockerChecks(const Config& c, Tools& tools) {
  // The runner reads stacks with `docker --context <runner.server>`.
  Ran info = tools.Run({c.runner_docker, "--context", c.runner_server, "info", "--format",
                        "{{.ServerVersion}} {{.Swarm.LocalNodeState}}"});
  if (!info.ok()) {
    return {Fail("docker cannot reach the daemon of context " + c.runner_server + ": " + info.Why(),
                 "start docker and add the cc-ci user to the docker group; a remote server "
                 "needs `abra server add`")};
  }
  std::istringstream words(runner::LastLine(info.output));
  std::string version, swarm;
  words >> version >> swarm;
  std::vector<DoctorCheck> out = {
      Pass("docker " + version + " reachable (context " + c.runner_server + ")")};
  out.push_back(swarm == "active" ? Pass("swarm active")
                                  : Fail("swarm is " + (swarm.empty() ? "unknown" : swarm),
                                         "run `docker swarm init` on the server"));
  return out;
}

// The nearest existing directory at or above `path`: where the data dir will be made.
std::string ExistingDir(std::string path) {
  std::error_code ec;
  path = fs::absolute(path, ec).string();
  while (!path.empty() && !fs::is_directory(path, ec)) path = fs::path(path).parent_path().string();
  return path.empty() ? "/" : path;
}

DoctorCheck DiskCheck(const Config& c) {
  std::string dir = ExistingDir(c.data_dir);
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return Fail("cannot read the free space of " + dir, "check the mount");
  uint64_t free_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  std::string mib = std::to_string(free_bytes >> 20) + " MiB free";
  if (free_bytes < kMinFreeBytes) {
    return Fail("only " + mib + " for the data dir (" + dir + ")",
                "free at least 1 GiB: a run keeps up to 8 stage logs of runner.log_max_bytes");
  }
  return Pass(mib + " for the data dir");
}

DoctorCheck ProgramCheck(const std::string& program, const std::string& key) {
  std::string found = runner::FindProgram(program);
  if (found.empty()) {
    std::string missing = runner::MissingProgram(program, key);
    size_t colon = missing.find(": ");
    return Fail(missing.substr(0, colon), missing.substr(colon + 2));
  }
  return Pass(program + " found: " + found);
}

DoctorCheck ChromiumCheck(const Config& c) {
  if (!c.runner_screenshots) return Pass("screenshots off (runner.screenshots = false)");
  if (access(kChromiumBinary, X_OK) != 0) {
    return Fail(std::string("chromium not found at ") + kChromiumBinary,
                "apt-get install chromium, or set runner.screenshots = false");
  }
  return Pass(std::string("chromium found: ") + kChromiumBinary);
}

DoctorCheck DataDirCheck(const Config& c, DoctorRole role, bool public_url_answers) {
  std::error_code ec;
  std::string dir = fs::absolute(c.data_dir, ec).string();
  std::string where = fs::exists(dir, ec) ? dir : ExistingDir(dir);
  if (access(where.c_str(), W_OK) != 0) {
    return Fail("data dir " + dir + " is not writable", "chown it to the cc-ci user");
  }
  if (std::optional<int> holder = PidLock::Holder(DataDirLockPath(dir))) {
    std::string pid = std::to_string(*holder);
    if (role == DoctorRole::kWorker) {
      return Pass("data dir " + dir + " writable, used by the running cc-ci worker (pid " + pid +
                  "); another worker on this host needs a data dir of its own");
    }
    if (public_url_answers) {
      return Pass("data dir " + dir + " writable, served by the running cc-ci (pid " + pid + ")");
    }
    return Fail("data dir " + dir + " is in use by another cc-ci (pid " + pid + ")",
                "stop it, or give this server its own storage.data_dir");
  }
  return Pass("data dir " + dir + " writable, no cc-ci running on it");
}

}  // namespace

std::string DoctorCheck::Line() const {
  return ok ? "\u2713 " + what : "\u2717 " + what + " \u2014 " + fix;
}

DoctorRole ServeRole(const Config& c) {
  return c.driver == "postgres" && c.runner_concurrency == 0 ? DoctorRole::kFrontNode
                                                             : DoctorRole::kSingleHost;
}

const char* RoleName(DoctorRole role) {
  switch (role) {
    case DoctorRole::kFrontNode:
      return "a front node";
    case DoctorRole::kWorker:
      return "a worker";
    default:
      return "a single host";
  }
}

std::vector<DoctorCheck> StartupChecks(const Config& c) {
  if (ServeRole(c) == DoctorRole::kFrontNode) return {DiskCheck(c)};
  std::vector<DoctorCheck> out = {ProgramCheck(c.runner_abra, "runner.abra"),
                                  ProgramCheck(c.runner_docker, "runner.docker"),
                                  ChromiumCheck(c), DiskCheck(c)};
  return out;
}

std::vector<DoctorCheck> HostChecks(const Config& c, DoctorRole role, runner::Executor* executor,
                                    bool public_url_answers) {
  std::vector<DoctorCheck> out;
  if (role == DoctorRole::kFrontNode) {
    return {DataDirCheck(c, role, public_url_answers), DiskCheck(c)};
  }
  Tools tools(executor, c.runner_server, c.runner_pass_env);
  out.push_back(ProgramCheck(c.runner_abra, "runner.abra"));
  if (out.back().ok) {
    for (DoctorCheck& d : AbraChecks(c, tools)) out.push_back(std::move(d));
  }
  out.push_back(ProgramCheck(c.runner_docker, "runner.docker"));
  if (out.back().ok) {
    for (DoctorCheck& d : DockerChecks(c, tools)) out.push_back(std::move(d));
  }
  out.push_back(ChromiumCheck(c));
  out.push_back(DataDirCheck(c, role, public_url_answers));
  out.push_back(DiskCheck(c));
  return out;
}

}  // namespace ccci
