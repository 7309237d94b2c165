#pragma once
// What the cc-ci-supervisor subcommands share. Internal to the CLI (cli.h is the entry).

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "supervisor/config.h"
#include "supervisor/state_store.h"

namespace ccci::supervisor::cli {

struct Context {
  SupervisorConfig config;
  std::string config_path;                 // "" when none
  std::map<std::string, std::string> env;  // the process environment
};

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// Set by SIGINT / SIGTERM once InstallStopHandlers() ran.
extern std::atomic<bool> g_stop;
void InstallStopHandlers();

// "42s", "3m05s", "2h10m".
std::string Age(int64_t ms);

// Marks `names` wanted and starts a detached watchdog if none holds the lock.
int StartAgents(const Context& ctx, const std::vector<std::string>& names);
// Marks `names` unwanted and waits until the watchdog stopped their groups (stopping them
// itself when no watchdog reacts in time). With `end_watchdog`, then asks it to exit.
int StopAgents(const Context& ctx, const std::vector<std::string>& names, bool end_watchdog);

// One agent's status block (text) or object (JSON), as `status` shows it.
void PrintAgentStatus(std::ostream& out, const StateStore& store, const std::string& name,
                      int64_t now);
void WriteAgentJson(JsonWriter& w, const StateStore& store, const std::string& name, int64_t now);

int CmdStatus(const Context& ctx, const std::vector<std::string>& rest);
int CmdOrchestrator(const Context& ctx, const std::vector<std::string>& rest);
int CmdUpgrade(const Context& ctx, const std::vector<std::string>& rest);

}  // namespace ccci::supervisor::cli
