#include "bot/cli/command_process.h"

#include "base/private_files.h"
#include "bot/config/config.h"

namespace ccci {

Result<std::unique_ptr<PidLock>> ClaimDataDir(const std::string& data_dir) {
  RestrictUmask();
  if (Status s = MakePrivateDirs(data_dir); !s.ok()) {
    return Status(s.code(), "cannot create data dir: " + s.message());
  }
  return PidLock::Acquire(DataDirLockPath(data_dir), "cc-ci on data dir " + data_dir);
}

sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

std::string WaitForStopSignal(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace ccci
