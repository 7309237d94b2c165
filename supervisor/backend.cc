#include "supervisor/backend.h"

#include <algorithm>

namespace ccci::supervisor {

const std::vector<std::string> kNestedAgentEnv = {
    "CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "CLAUDE_CODE_SSE_PORT", "OPENCODE", "OPENCODE_CALLER",
};

AgentCommand BuildAgentCommand(const SupervisorConfig& config, const SessionRequest& req,
                               const std::map<std::string, std::string>& base_env) {
  AgentCommand cmd;
  cmd.cwd = config.repo;
  cmd.env = base_env;
  for (const std::string& name : kNestedAgentEnv) cmd.env.erase(name);
  for (const std::string& name : config.unset_env) cmd.env.erase(name);
  if (config.backend == Backend::kClaude) {
    cmd.argv = {config.claude_bin, "-p",        req.prompt, "--output-format",
                "stream-json",     "--verbose", "--model",  config.model};
    if (!req.resume_id.empty()) {
      cmd.argv.push_back("--resume");
      cmd.argv.push_back(req.resume_id);
    }
  } else {
    cmd.argv = {config.opencode_bin,
                "run",
                "--attach",
                config.opencode_url,
                "--title",
                req.title.empty() ? "cc-ci " + req.loop : req.title,
                "-m",
                config.model,
                req.prompt};
  }
  return cmd;
}

std::string ComposePrompt(const std::string& role_prompt, const std::string& loop,
                          const std::string& phase_file, int iteration, bool resumed) {
  std::string p = role_prompt;
  if (!p.empty() && p.back() != '\n') p += '\n';
  p += "\n---\nSupervisor note: you are the " + loop + " loop, iteration " +
       std::to_string(iteration) +
       ". Current phase file: " + (phase_file.empty() ? "(none)" : phase_file) + ".\n";
  if (resumed) {
    p += "Your previous session was interrupted by the supervisor (stalled, crashed or made "
         "no progress). Re-read the last entries of JOURNAL.md, check `git status` and "
         "`git log -5`, and continue from where the work really stands.\n";
  } else {
    p += "Start by reading JOURNAL.md (the last entries) and the current phase file.\n";
  }
  return p;
}

}  // namespace ccci::supervisor
