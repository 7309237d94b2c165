#pragma once
// The cc-ci-supervisor command line. main.cc only calls RunCli.
//
//   cc-ci-supervisor [--repo DIR] [--config FILE] COMMAND
//     start [builder|reviewer]   want the loop(s) running; spawns a detached watchdog if none
//     stop [builder|reviewer]    stop the loop(s) (TERM, wait, KILL the group); with no loop
//                                also the orchestrator, then ends the watchdog
//     restart                    stop everything, then start both loops
//     status [--json]            per loop: state, pid, iteration, uptime, restarts, heals,
//                                session, last output, wait; plan phase; last commit; journal
//     logs [LOOP|orchestrator|upgrade|watchdog] [-f] [-n N]
//     watchdog [--no-stderr]     the supervising process, in the foreground (systemd)
//     orchestrator start|stop|status [--json]|attach-info     (cli_orchestrator.cc)
//     upgrade [--recipe NAME ...]  one agent job in the foreground   (cli_upgrade.cc)
//
// Exit codes: 0 ok, 1 runtime failure (e.g. a watchdog already runs), 2 usage error;
// `upgrade` has its own (UpgradeExit).

#include <string>
#include <vector>

namespace ccci::supervisor {

int RunCli(const std::vector<std::string>& args);

}  // namespace ccci::supervisor
