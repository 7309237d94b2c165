#pragma once
// Runs build/bin/cc-ci serve as a real child process on port 0 and reads the port from the
// line it prints ("cc-ci X listening on http://127.0.0.1:PORT").

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace ccci::testing {

class ServerProcess {
 public:
  // Extra environment entries are "NAME=value".
  // `extra_args` follow `serve --listen 127.0.0.1:0 --data-dir DIR` (e.g. --config FILE).
  ServerProcess(const std::string& binary, const std::string& data_dir,
                const std::vector<std::string>& env,
                const std::vector<std::string>& extra_args = {}) {
    std::vector<std::string> args = {binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
      if (!getenv("CCCI_TEST_SHOW_SERVER_LOG")) {
        FILE* f = freopen((data_dir + ".log").c_str(), "a", stderr);
        (void)f;
      }
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    char line[512];
    if (!fgets(line, sizeof(line), out_)) throw std::runtime_error("server printed nothing");
    std::string s = line;
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
    if (out_) fclose(out_);
  }

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // Sends `sig` and reaps the child. Returns its wait status.
  int Kill(int sig) {
    if (pid_ <= 0) return 0;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace ccci::testing
