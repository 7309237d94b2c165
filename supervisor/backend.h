#pragma once
// How one agent session is started: the argv and environment for claude or opencode.
//
// claude:   claude -p PROMPT --output-format stream-json --verbose --model M
//                  [--resume SESSION_ID]
// opencode: opencode run --attach URL --title TITLE -m M PROMPT   (always a new session)
//
// The environment is the supervisor's own minus the variables that make a nested agent
// refuse to start or think it is a sub-agent (kNestedAgentEnv), minus config.unset_env.

#include <map>
#include <string>
#include <vector>

#include "supervisor/config.h"

namespace ccci::supervisor {

// CLAUDECODE, CLAUDE_CODE_ENTRYPOINT, CLAUDE_CODE_SSE_PORT, OPENCODE, OPENCODE_CALLER.
extern const std::vector<std::string> kNestedAgentEnv;

struct AgentCommand {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;
  std::string cwd;
};

struct SessionRequest {
  std::string loop;  // "builder", "reviewer", "orchestrator" or "upgrade"
  std::string prompt;
  std::string resume_id;  // the session to go on with (claude --resume, opencode --session); empty = new
  std::string title;      // opencode session title
};

AgentCommand BuildAgentCommand(const SupervisorConfig& config, const SessionRequest& req,
                               const std::map<std::string, std::string>& base_env);

// What kind of session is about to start; the prompt is made from it.
struct SessionStart {
  int iteration = 1;         // of the session about to start
  bool resume = false;       // continues the previous conversation (claude --resume)
  bool interrupted = false;  // the previous session was cut short (crash, heal, rate limit...)
  std::string reason;        // why the previous session ended, when known
  std::string lost_session;  // fresh because claude no longer knew this session id
};

// The prompt a loop starts with: the loop's prompt file, then where it stands.
std::string ComposePrompt(const std::string& role_prompt, const std::string& loop,
                          const std::string& phase_file, int iteration, bool resumed);

// The orchestrator's prompt. A fresh session (every opencode start, the first claude one,
// and one whose conversation claude lost) gets the startup prompt: the role file, then
// "read JOURNAL.md first, append your summary there when you hand over". A resumed claude
// conversation already has all that and gets only a short note on why it continues.
std::string ComposeOrchestratorPrompt(const std::string& role_prompt, const std::string& phase_file,
                                      const SessionStart& start);

// The one-shot upgrader's prompt: the role file, then the recipes asked for (all of them
// when `recipes` is empty); a resumed session is told only to carry on.
std::string ComposeUpgradePrompt(const std::string& role_prompt,
                                 const std::vector<std::string>& recipes,
                                 const SessionStart& start);

}  // namespace ccci::supervisor
