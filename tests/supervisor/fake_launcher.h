#pragma once
// A ProcessLauncher with no processes: each Launch() records its command and creates a
// scripted agent the test drives (Emit, Exit). Records every StopGroup.

#include <map>
#include <string>
#include <vector>

#include "supervisor/process_launcher.h"
#include "supervisor/repo_probe.h"

namespace ccci::supervisor::testing {

class FakeLauncher : public ProcessLauncher {
 public:
  struct Agent {
    bool running = true;
    int exit_code = 0;
    std::vector<std::string> pending;
  };

  Result<AgentHandle> Launch(const AgentCommand& cmd, const std::string& output_path) override {
    if (fail_launch) return Internal("scripted launch failure");
    launches.push_back(cmd);
    AgentHandle h;
    h.pid = next_pid++;
    h.start_ticks = 42;
    h.output_path = output_path;
    agents[h.pid] = Agent{};
    last_pid = h.pid;
    return h;
  }
  bool Adopt(const AgentHandle& h) override {
    auto it = agents.find(h.pid);
    return it != agents.end() && it->second.running;
  }
  PollResult Poll(AgentHandle& h) override {
    PollResult r;
    Agent& a = agents[h.pid];
    r.running = a.running;
    if (!a.running) r.exit_code = a.exit_code;
    return r;
  }
  std::vector<std::string> ReadLines(AgentHandle& h, bool) override {
    std::vector<std::string> out;
    out.swap(agents[h.pid].pending);
    return out;
  }
  void StopGroup(const AgentHandle& h, Seconds) override {
    stopped.push_back(h.pid);
    Agent& a = agents[h.pid];
    if (a.running) {
      a.running = false;
      a.exit_code = 143;
    }
  }

  // Drives the most recently launched agent.
  void Emit(const std::string& line) { agents[last_pid].pending.push_back(line); }
  void Exit(int code) {
    agents[last_pid].running = false;
    agents[last_pid].exit_code = code;
  }
  bool Running() { return agents[last_pid].running; }
  const std::vector<std::string>& LastArgv() const { return launches.back().argv; }

  std::vector<AgentCommand> launches;
  std::vector<int> stopped;
  std::map<int, Agent> agents;
  int next_pid = 1000;
  int last_pid = 0;
  bool fail_launch = false;
};

class FakeRepoProbe : public RepoProbe {
 public:
  Result<PlanStatus> ReadPlan() override {
    ++plan_reads;
    if (!plan_ok) return Unavailable("scripted git failure");
    return plan;
  }
  Result<std::string> ProgressStamp() override { return stamp; }
  std::string LastCommit() override { return "abc1234 scripted commit"; }

  PlanStatus plan{{"plans/01-first.md", "plans/02-second.md"}, 0};
  bool plan_ok = true;
  std::string stamp = "head-1";
  int plan_reads = 0;
};

// Real stream-json lines, as claude prints them.
inline std::string InitLine(const std::string& session) {
  return R"({"type":"system","subtype":"init","cwd":"/repo","session_id":")" + session +
         R"(","tools":["Bash"],"model":"claude-sonnet-4-5","permissionMode":"default"})";
}
inline std::string AssistantLine(const std::string& text) {
  return R"({"type":"assistant","message":{"role":"assistant","content":[{"type":"text","text":")" +
         text + R"("}]},"parent_tool_use_id":null,"session_id":"s"})";
}
inline std::string ResultLine(bool is_error) {
  return std::string(R"({"type":"result","subtype":")") +
         (is_error ? "error_during_execution" : "success") + R"(","is_error":)" +
         (is_error ? "true" : "false") +
         R"(,"duration_ms":1200,"num_turns":3,"result":"ok","session_id":"s"})";
}
inline std::string RateLimitLine(const std::string& status, long long resets_at) {
  return R"({"type":"rate_limit_event","rate_limit_info":{"status":")" + status +
         R"(","resetsAt":)" + std::to_string(resets_at) +
         R"(,"rateLimitType":"five_hour","isUsingOverage":false},"uuid":"u1","session_id":"s"})";
}

}  // namespace ccci::supervisor::testing
