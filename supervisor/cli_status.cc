// `cc-ci-supervisor status [--json]`: the watchdog, the plan (and where and when it was last
// read), each loop and the orchestrator, the last upgrade job, the last journal entry.

#include <iostream>

#include "base/clock.h"
#include "supervisor/cli_common.h"
#include "supervisor/journal.h"
#include "supervisor/repo_probe.h"
#include "supervisor/upgrade_job.h"
#include "supervisor/watchdog.h"

namespace ccci::supervisor::cli {
namespace {

LoopState Load(const StateStore& store, const std::string& name) {
  Result<LoopState> r = store.LoadLoop(name);
  LoopState s = r.ok() ? *r : LoopState{};
  s.name = name;
  return s;
}

std::string PlanSource(const Context& ctx, const WatchdogInfo& info) {
  if (!info.plan_source.empty()) return info.plan_source;
  return ctx.config.remote_url.empty()
             ? "local " + ctx.config.main_ref
             : RedactUrl(ctx.config.remote_url) + " " + ctx.config.main_ref;
}

void WriteUpgradeJson(JsonWriter& w, const StateStore& store, int64_t now) {
  std::optional<int> holder = PidLock::Holder(store.UpgradeLockPath());
  LoopState s = Load(store, kUpgrade);
  w.StartObject();
  w.Key("running");
  w.Bool(holder.has_value());
  w.Key("command_pid");
  w.Int(holder.value_or(0));
  w.Key("state");
  w.String(s.iteration ? LoopPhaseName(s.phase) : "");
  w.Key("pid");
  w.Int(s.agent.pid);
  w.Key("started_at");
  w.String(s.started_at_ms ? FormatRfc3339Millis(s.started_at_ms).c_str() : "");
  w.Key("last_output");
  w.String(s.last_output.c_str());
  w.Key("last_output_age_s");
  w.Int64(s.last_output_at_ms ? (now - s.last_output_at_ms) / 1000 : -1);
  w.Key("last_reason");
  w.String(s.last_reason.c_str());
  w.EndObject();
}

void WriteStatusJson(const Context& ctx, const StateStore& store, const WatchdogInfo& info,
                     std::optional<int> holder, const std::string& journal, int64_t now) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("watchdog");
  w.StartObject();
  w.Key("running");
  w.Bool(holder.has_value());
  w.Key("pid");
  w.Int(holder.value_or(0));
  w.EndObject();
  w.Key("plan");
  w.StartObject();
  w.Key("phase_file");
  w.String(info.phase_file.c_str());
  w.Key("phase_index");
  w.Int(info.phase_index);
  w.Key("phase_count");
  w.Int(info.phase_count);
  w.Key("all_done");
  w.Bool(info.all_done);
  w.Key("source");
  w.String(PlanSource(ctx, info).c_str());
  w.Key("checked_at");
  w.String(info.checked_at_ms ? FormatRfc3339Millis(info.checked_at_ms).c_str() : "");
  w.Key("checked_age_s");
  w.Int64(info.checked_at_ms ? (now - info.checked_at_ms) / 1000 : -1);
  w.Key("check_failures");
  w.Int(info.check_failures);
  w.Key("check_error");
  w.String(info.check_error.c_str());
  w.EndObject();
  w.Key("last_commit");
  w.String(info.last_commit.c_str());
  w.Key("loops");
  w.StartArray();
  for (const std::string& name : LoopNames()) WriteAgentJson(w, store, name, now);
  w.EndArray();
  w.Key("orchestrator");
  WriteAgentJson(w, store, kOrchestrator, now);
  w.Key("upgrade");
  WriteUpgradeJson(w, store, now);
  w.Key("journal_last_entry");
  w.String(journal.c_str());
  w.EndObject();
  std::cout << buf.GetString() << "\n";
}

}  // namespace

void WriteAgentJson(JsonWriter& w, const StateStore& store, const std::string& name, int64_t now) {
  LoopState s = Load(store, name);
  w.StartObject();
  w.Key("name");
  w.String(name.c_str());
  w.Key("state");
  w.String(LoopPhaseName(s.phase));
  w.Key("wanted");
  w.Bool(store.ReadWant(name).run);
  w.Key("pid");
  w.Int(s.agent.pid);
  w.Key("iteration");
  w.Int(s.iteration);
  w.Key("uptime_s");
  w.Int64(s.agent.pid ? (now - s.started_at_ms) / 1000 : 0);
  w.Key("restarts");
  w.Int(s.restarts);
  w.Key("heals");
  w.Int(s.heals);
  w.Key("session_id");
  w.String(s.session_id.c_str());
  w.Key("resumed");
  w.Bool(s.resumed);
  w.Key("session_note");
  w.String(s.session_note.c_str());
  w.Key("last_output");
  w.String(s.last_output.c_str());
  w.Key("last_output_age_s");
  w.Int64(s.last_output_at_ms ? (now - s.last_output_at_ms) / 1000 : -1);
  w.Key("wait_until");
  w.String(s.wait_until_ms ? FormatRfc3339Millis(s.wait_until_ms).c_str() : "");
  w.Key("wait_s");
  w.Int64(s.wait_until_ms > now ? (s.wait_until_ms - now) / 1000 : 0);
  w.Key("last_reason");
  w.String(s.last_reason.c_str());
  w.EndObject();
}

void PrintAgentStatus(std::ostream& out, const StateStore& store, const std::string& name,
                      int64_t now) {
  LoopState s = Load(store, name);
  out << name << ": " << LoopPhaseName(s.phase)
      << (store.ReadWant(name).run ? "" : " (not wanted)");
  if (s.agent.pid) out << "  pid " << s.agent.pid << "  uptime " << Age(now - s.started_at_ms);
  out << "  iteration " << s.iteration << "  restarts " << s.restarts << "  heals " << s.heals
      << "\n";
  if (!s.session_id.empty()) {
    out << "  session:     " << s.session_id << (s.resumed ? " (resumed)" : "") << "\n";
  }
  if (!s.session_note.empty()) out << "  note:        " << s.session_note << "\n";
  if (s.last_output_at_ms) {
    out << "  last output: " << Age(now - s.last_output_at_ms) << " ago: " << s.last_output << "\n";
  }
  if ((s.phase == LoopPhase::kBackoff || s.phase == LoopPhase::kRateLimited) &&
      s.wait_until_ms > now) {
    out << "  waiting:     " << Age(s.wait_until_ms - now) << " (until "
        << FormatRfc3339Millis(s.wait_until_ms) << ")\n";
  }
  if (!s.last_reason.empty()) out << "  last reason: " << s.last_reason << "\n";
}

int CmdStatus(const Context& ctx, const std::vector<std::string>& rest) {
  bool json = !rest.empty() && rest[0] == "--json";
  if (rest.size() > 1 || (!rest.empty() && !json)) {
    std::cerr << "status: unknown argument " << rest.back() << "\n";
    return 2;
  }
  StateStore store(ctx.config.state_dir);
  WatchdogInfo info = store.LoadWatchdog();
  std::optional<int> holder = PidLock::Holder(store.LockPath());
  Result<std::string> journal_text = ReadWholeFile(ctx.config.repo + "/JOURNAL.md");
  std::string journal = journal_text.ok() ? LastJournalEntry(*journal_text) : "";
  if (info.last_commit.empty())
    info.last_commit = GitRepoProbe(ctx.config.repo, "", "").LastCommit();
  int64_t now = RealClock()->NowUnixMillis();
  if (json) {
    WriteStatusJson(ctx, store, info, holder, journal, now);
    return 0;
  }
  std::cout << "watchdog: "
            << (holder ? "running (pid " + std::to_string(*holder) + ")" : "not running") << "\n";
  std::cout << "backend:  " << BackendName(ctx.config.backend) << " model " << ctx.config.model
            << "\n";
  std::string source = PlanSource(ctx, info);
  std::string checked =
      info.checked_at_ms ? "checked " + Age(now - info.checked_at_ms) + " ago" : "never read";
  if (info.all_done) {
    std::cout << "plan:     all " << info.phase_count << " phases DONE (" << source << ", "
              << checked << ")\n";
  } else if (info.phase_count > 0) {
    std::cout << "plan:     phase " << info.phase_index << "/" << info.phase_count << " "
              << info.phase_file << " (" << source << ", " << checked << ")\n";
  } else {
    std::cout << "plan:     not read yet (" << source << ")\n";
  }
  if (info.check_failures > 0) {
    std::cout << "          the last " << info.check_failures
              << " check(s) failed (retried every progress_every): " << info.check_error << "\n";
  }
  std::cout << "commit:   " << info.last_commit << "\n";
  for (const std::string& name : AgentNames()) {
    std::cout << "\n";
    PrintAgentStatus(std::cout, store, name, now);
  }
  std::optional<int> upgrade = PidLock::Holder(store.UpgradeLockPath());
  LoopState job = Load(store, kUpgrade);
  if (upgrade || job.iteration > 0) {
    std::cout << "\nupgrade: "
              << (upgrade ? "running (command pid " + std::to_string(*upgrade) + ")"
                          : std::string("last job ") + LoopPhaseName(job.phase));
    if (job.started_at_ms) std::cout << "  started " << Age(now - job.started_at_ms) << " ago";
    std::cout << "\n";
    if (job.last_output_at_ms) {
      std::cout << "  last output: " << Age(now - job.last_output_at_ms)
                << " ago: " << job.last_output << "\n";
    }
    if (!upgrade && !job.last_reason.empty())
      std::cout << "  last reason: " << job.last_reason << "\n";
  }
  if (!journal.empty()) std::cout << "\nJOURNAL.md, last entry:\n" << journal;
  return 0;
}

}  // namespace ccci::supervisor::cli
