#include "base/leftover_group.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/whole_file.h"

namespace ccci {

std::string ProcessStartTime(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(f, stat);
  size_t paren = stat.rfind(')');  // the command name may hold spaces and parens
  if (paren == std::string::npos) return "";
  std::istringstream rest(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

// Written whole (WriteFileAtomically): a reader that opened the file between its creation and
// its write (another process reaping, or a crash in between) took an empty file for a stale
// one and removed it, and the group was never killed
// (PtyExecutor.ALeftoverCommandIsKilledThroughItsPidFile saw it in a CI run).
void RecordGroup(const std::string& path, pid_t pid, const std::string& extra) {
  (void)WriteFileAtomically(path,
                            std::to_string(pid) + " " + ProcessStartTime(pid) + " " + extra + "\n");
}

bool KillLeftoverGroup(const std::string& path, std::string* extra) {
  std::ifstream in(path);
  if (!in) return false;
  long pid = 0;
  std::string start, recorded_extra;
  bool killed = false;
  if (in >> pid >> start && pid > 1 && !start.empty() &&
      ProcessStartTime(static_cast<pid_t>(pid)) == start) {
    killed = kill(-static_cast<pid_t>(pid), SIGKILL) == 0;
  }
  in >> recorded_extra;
  if (extra) *extra = recorded_extra;
  unlink(path.c_str());
  return killed;
}

}  // namespace ccci
