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
    // --format json: one event per line with the session id, read like claude's stream.
    cmd.argv = {config.opencode_bin, "run",     "--attach", config.opencode_url, "--format",
                "json",              "--title", req.title.empty() ? "cc-ci " + req.loop : req.title,
                "-m",                config.model};
    if (!req.resume_id.empty()) {
      cmd.argv.push_back("--session");
      cmd.argv.push_back(req.resume_id);
    }
    cmd.argv.push_back(req.prompt);
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

std::string ComposeOrchestratorPrompt(const std::string& role_prompt, const std::string& phase_file,
                                      const SessionStart& start) {
  std::string phase = phase_file.empty() ? "(none)" : phase_file;
  if (start.resume) {
    std::string p = "Supervisor note: this is turn " + std::to_string(start.iteration) +
                    " of your orchestrator conversation. Current phase file: " + phase + ".\n";
    if (start.interrupted) {
      p += "Your last turn was cut short by the supervisor (" +
           (start.reason.empty() ? std::string("reason unknown") : start.reason) +
           "). Check what you were doing when it stopped and carry on.\n";
    } else {
      p += "Check in: run `cc-ci-supervisor status`, read the JOURNAL.md entries added since "
           "your last turn, steer the loops if they need it, and end the turn.\n";
    }
    return p;
  }
  std::string p = role_prompt;
  if (!p.empty() && p.back() != '\n') p += '\n';
  p += "\n---\nSupervisor note: you are the orchestrator session (start " +
       std::to_string(start.iteration) + "). Current phase file: " + phase + ".\n";
  if (!start.lost_session.empty()) {
    p += "Your previous conversation (session " + start.lost_session +
         ") is no longer known to the agent, so this is a fresh session: JOURNAL.md is "
         "your memory.\n";
  }
  p += "Read JOURNAL.md first: its header documents the entry format, and its last entries "
       "say where the Builder, the Reviewer and your previous sessions left off. When you "
       "hand over, append your summary there as a new entry, in that format.\n";
  return p;
}

std::string ComposeUpgradePrompt(const std::string& role_prompt,
                                 const std::vector<std::string>& recipes,
                                 const SessionStart& start) {
  if (start.resume) {
    return "Supervisor note: your session was interrupted (" +
           (start.reason.empty() ? std::string("reason unknown") : start.reason) +
           "). Carry on with the same upgrade job from where it stands; check `git status` in "
           "each recipe you were working on before changing anything.\n";
  }
  std::string p = role_prompt;
  if (!p.empty() && p.back() != '\n') p += '\n';
  p += "\n---\nSupervisor note: this is a one-shot upgrade job";
  if (start.interrupted) p += " (restarted after: " + start.reason + ")";
  p += ".\nRecipes: ";
  if (recipes.empty()) {
    p += "every recipe you are responsible for (see above).\n";
  } else {
    for (size_t i = 0; i < recipes.size(); ++i) p += (i ? ", " : "") + recipes[i];
    p += ".\n";
  }
  p += "End with a summary: for each recipe, the release you moved to and the PR you "
       "opened, or why you did not.\n";
  return p;
}

}  // namespace ccci::supervisor
