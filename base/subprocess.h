#pragma once
// Starting a child process, the one way cc-ci does it: the runner's commands (under a pty),
// the screenshot browser, the supervisor's agents and its git probes. The child
//  - leads a process group of its own (and a session, which a pty needs), so one signal to
//    the group reaches everything it starts; kInherit keeps it in the caller's group;
//  - gets exactly `env` as its environment: build it with base/child_env.h, so that no
//    CC_CI_* secret reaches a child that was not meant to have it;
//  - has stdin, stdout and stderr as given (/dev/null when not), or a new pseudo-terminal
//    for all three;
//  - inherits no other file descriptor, whether or not its owner set close-on-exec (a
//    server socket held by a browser would keep the port bound after cc-ci exits);
//  - starts with an empty signal mask and the default SIGPIPE, SIGINT and SIGTERM.
// Spawn returns once the child has exec'd, so a signal to the group right after it cannot
// miss. When the child's chdir or exec fails, Spawn reaps it and returns "cannot start
// <argv[0]>: <why>" (kNotFound for no such program or dir, else kInternal); when no child
// could be made at all (pty, pipe, fork), a kInternal error that says which.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci {

enum class ProcessGroup {
  kNewSession,  // setsid(): its own session and process group
  kNewGroup,    // setpgid(0, 0): its own process group in the caller's session
  kInherit,     // the caller's group (a terminal's Ctrl-C reaches it too)
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] without a '/' is looked up on PATH
  std::vector<std::string> env;   // "K=V": the child's whole environment
  std::string cwd;                // empty: the caller's
  ProcessGroup group = ProcessGroup::kNewSession;
  // Descriptors that become the child's 0, 1 and 2 (the caller keeps and closes its own);
  // -1: /dev/null. Not used with `pty`.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // A new pseudo-terminal of this size as the child's controlling terminal and 0, 1, 2
  // (needs kNewSession); its master side is Subprocess::pty().
  bool pty = false;
  unsigned short pty_rows = 24;
  unsigned short pty_columns = 80;
};

// A started child. Moving it moves the ownership of its pty; destroying it closes the pty
// but neither signals nor reaps the child (see TerminateGroup).
class Subprocess {
 public:
  static Result<Subprocess> Spawn(const SpawnOptions& options);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  ~Subprocess();

  pid_t pid() const { return pid_; }  // also its process group id unless kInherit
  int pty() const { return pty_; }    // the master side; -1 without a pty
  // The child's wait status once it ended (it is reaped then), without blocking.
  std::optional<int> TryWait();
  // Blocks until the child ends; its wait status.
  int Wait();
  // Up to `timeout` for the child to end; its wait status, or nullopt if it still runs.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);

 private:
  Subprocess(pid_t pid, int pty) : pid_(pid), pty_(pty) {}
  pid_t pid_ = 0;
  int pty_ = -1;
  std::optional<int> status_;
};

// True while any process of group `pgid` exists (a zombie not yet reaped included).
bool GroupExists(pid_t pgid);
// True while a process of group `pgid` is not yet dead: a zombie counts as dead (its parent,
// perhaps an init that reaps late, has yet to reap it), a member in the middle of exiting
// (its files, the terminal among them, already closed) does not.
bool GroupAlive(pid_t pgid);
// `sig` to every process of group `pgid`.
void SignalGroup(pid_t pgid, int sig);

// Ends group `pgid`: SIGTERM, up to `grace` for `gone()` to hold, then SIGKILL (always: a
// member caught mid-fork may have been missed) and up to `kill_wait` more. `gone` (default:
// !GroupExists) is asked every `poll`, and may reap. True when the group is gone.
bool TerminateGroup(pid_t pgid, std::chrono::milliseconds grace,
                    std::chrono::milliseconds kill_wait,
                    const std::function<bool()>& gone = nullptr,
                    std::chrono::milliseconds poll = std::chrono::milliseconds(10));

}  // namespace ccci
