#pragma once
// Runs build/bin/cc-ci serve as a real child process on port 0 and reads the port from the
// line it prints ("cc-ci X listening on http://127.0.0.1:PORT"); and `cc-ci worker`.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace ccci::testing {

// Starts `args` (a cc-ci command) with `env` ("NAME=value") added, its stderr appended to `log`
// (unless CCCI_TEST_SHOW_SERVER_LOG is set); returns the first line it prints on stdout.
inline std::string Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
                         const std::string& log, pid_t* pid, FILE** out) {
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (auto& arg : a) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe");
  *pid = fork();
  if (*pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    if (!getenv("CCCI_TEST_SHOW_SERVER_LOG")) {
      FILE* f = freopen(log.c_str(), "a", stderr);
      (void)f;
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  *out = fdopen(fds[0], "r");
  char line[512];
  if (!fgets(line, sizeof(line), *out)) throw std::runtime_error(args[0] + " printed nothing");
  return line;
}

// A cc-ci command running as a child: its pid and the pipe of its stdout.
class CcCiChild {
 public:
  pid_t pid() const { return pid_; }
  void Signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  // Sends `sig` and reaps the child. Returns its wait status.
  int Kill(int sig) {
    if (pid_ <= 0) return 0;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 protected:
  ~CcCiChild() {
    if (out_) fclose(out_);
  }
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

class ServerProcess : public CcCiChild {
 public:
  // Extra environment entries are "NAME=value".
  // `extra_args` follow `serve --listen 127.0.0.1:0 --data-dir DIR` (e.g. --config FILE).
  ServerProcess(const std::string& binary, const std::string& data_dir,
                const std::vector<std::string>& env,
                const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args = {binary,        "serve",      "--listen",
                                     "127.0.0.1:0", "--data-dir", data_dir};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::string s = Spawn(args, env, data_dir + ".log", &pid_, &out_);
    size_t colon = s.rfind(':');
    if (s.find("listening on") == std::string::npos || colon == std::string::npos) {
      throw std::runtime_error("unexpected first line: " + s);
    }
    port_ = static_cast<uint16_t>(std::stoi(s.substr(colon + 1)));
  }
  // Stops the server as an operator would (SIGTERM), SIGKILL only if it does not stop within
  // 10 s: a SIGKILLed server leaves its browser behind for the next start to clean up.
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      for (int i = 0; i < 1000 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) usleep(10000);
      if (waitpid(pid_, nullptr, WNOHANG) == 0) Kill(SIGKILL);
    }
  }

  uint16_t port() const { return port_; }

 private:
  uint16_t port_ = 0;
};

// `cc-ci worker --config FILE --data-dir DIR` as a child (its log in DIR.log); the
// destructor continues it if stopped, then stops it with SIGTERM.
class WorkerProcess : public CcCiChild {
 public:
  WorkerProcess(const std::string& binary, const std::string& config, const std::string& data_dir,
                const std::vector<std::string>& env)
      : log_(data_dir + ".log") {
    std::string line = Spawn({binary, "worker", "--config", config, "--data-dir", data_dir}, env,
                             log_, &pid_, &out_);
    if (line.find(" worker ") == std::string::npos) {
      throw std::runtime_error("unexpected first line: " + line);
    }
  }
  ~WorkerProcess() {
    Signal(SIGCONT);
    Kill(SIGTERM);
  }
  // What it logged so far.
  std::string Log() const {
    FILE* f = fopen(log_.c_str(), "r");
    std::string text;
    if (!f) return text;
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0;) text.append(buf, n);
    fclose(f);
    return text;
  }

 private:
  std::string log_;
};

}  // namespace ccci::testing
