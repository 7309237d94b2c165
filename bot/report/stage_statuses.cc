#include "bot/report/stage_statuses.h"

#include <algorithm>

#include "bot/runner/suite.h"
#include "bot/runner/suite_level.h"
#include "domain/routes.h"

namespace ccci {
namespace {

constexpr size_t kMaxDescription = 140;

std::string With(const std::string& what, const std::string& reason) {
  return reason.empty() ? what : what + ": " + reason;
}

CommitStatusRequest ForRecord(const StageRecord& st) {
  CommitStatusRequest s;
  if (st.status == kStagePass) {
    s.state = "success";
    s.description = With("passed", st.reason);
  } else if (st.status == kStageFlaky) {
    s.state = "success";
    s.description = "flaky: failed, then passed on its retry";
  } else if (st.status == kStageSkip) {
    s.state = "success";
    s.description = With("skipped", st.reason);
  } else if (st.status == kStageFail || st.status == kStageUnverified) {
    s.state = "failure";
    s.description = With(st.status == kStageFail ? "failed" : "unverified", st.reason);
  } else if (st.status == kStageRunning) {
    s.state = "pending";
    s.description = "running";
  } else {
    s.state = "error";
    s.description = With("ci error", st.reason);
  }
  return s;
}

CommitStatusRequest NotRecorded(const Run& run) {
  CommitStatusRequest s;
  if (run.state == kRunQueued || run.state == kRunWaiting || run.state == kRunRunning) {
    s.state = "pending";
    s.description = run.state == kRunRunning ? "waiting for the stages before it" : run.state;
  } else {
    s.state = "error";
    s.description = With("not run", run.reason.empty() ? run.state : run.reason);
  }
  return s;
}

}  // namespace

std::string Utf8Prefix(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

std::vector<CommitStatusRequest> StageStatuses(const Run& run,
                                               const std::vector<StageRecord>& stages,
                                               const std::string& public_url) {
  std::vector<std::string> names;
  for (const char* n : runner::kSuiteStages) names.push_back(n);
  for (const StageRecord& st : stages) {
    if (std::find(names.begin(), names.end(), st.name) == names.end()) names.push_back(st.name);
  }
  std::string run_url = public_url + routes::Run(run.id);
  std::vector<CommitStatusRequest> out;
  for (const std::string& name : names) {
    if (name == "teardown") continue;
    const StageRecord* rec = nullptr;
    for (const StageRecord& st : stages) {
      if (st.name == name) rec = &st;
    }
    CommitStatusRequest s = rec ? ForRecord(*rec) : NotRecorded(run);
    s.context = "cc-ci/" + name;
    s.target_url = rec && !rec->log_path.empty()
                       ? public_url + routes::StageLog(run.id, name, rec->attempts)
                       : run_url;
    s.description = Utf8Prefix(s.description, kMaxDescription);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ccci
