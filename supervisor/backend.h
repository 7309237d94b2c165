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
  std::string loop;  // "builder" or "reviewer"
  std::string prompt;
  std::string resume_id;  // claude only; empty = new session
  std::string title;      // opencode session title
};

AgentCommand BuildAgentCommand(const SupervisorConfig& config, const SessionRequest& req,
                               const std::map<std::string, std::string>& base_env);

// The prompt a loop starts with: the loop's prompt file, then where it stands.
std::string ComposePrompt(const std::string& role_prompt, const std::string& loop,
                          const std::string& phase_file, int iteration, bool resumed);

}  // namespace ccci::supervisor
