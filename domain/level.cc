#include "domain/level.h"

namespace ccci::domain {
namespace {

constexpr const char* kRungNames[kRungCount] = {"install",    "upgrade",   "backup+restore",
                                                "functional", "lint",      "upgrade-safe",
                                                "clean",      "maintained"};

// How bad a status is when a rung has several stages (backup and restore): the worst wins,
// a skip only when every stage skipped.
int Severity(StageStatus s) {
  switch (s) {
    case StageStatus::kError:
      return 7;
    case StageStatus::kFail:
      return 6;
    case StageStatus::kUnverified:
      return 5;
    case StageStatus::kRunning:
      return 4;
    case StageStatus::kPending:
      return 3;
    case StageStatus::kFlaky:
      return 2;  // a rung with a flaky stage is shown flaky
    case StageStatus::kPass:
      return 1;
    case StageStatus::kSkip:
      return 0;
  }
  return 7;
}

bool Passed(StageStatus s) { return s == StageStatus::kPass || s == StageStatus::kFlaky; }

bool Counts(const RungOutcome& r, bool intentional) {
  if (!r.present) return false;
  if (Passed(r.status)) return true;
  return r.status == StageStatus::kSkip && intentional;
}

}  // namespace

const char* StageStatusName(StageStatus s) {
  switch (s) {
    case StageStatus::kPass:
      return "pass";
    case StageStatus::kFail:
      return "fail";
    case StageStatus::kSkip:
      return "skip";
    case StageStatus::kUnverified:
      return "unverified";
    case StageStatus::kError:
      return "error";
    case StageStatus::kPending:
      return "pending";
    case StageStatus::kRunning:
      return "running";
    case StageStatus::kFlaky:
      return "flaky";
  }
  return "error";
}

bool ParseStageStatus(const std::string& name, StageStatus* out) {
  for (StageStatus s :
       {StageStatus::kPass, StageStatus::kFail, StageStatus::kSkip, StageStatus::kUnverified,
        StageStatus::kError, StageStatus::kPending, StageStatus::kRunning, StageStatus::kFlaky}) {
    if (name == StageStatusName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

int RungOfStage(const std::string& n) {
  if (n == "install") return 1;
  if (n == "upgrade") return 2;
  if (n == "backup" || n == "restore") return 3;
  if (n == "functional") return 4;
  if (n == "lint") return 5;
  if (n == "upgrade-safe") return 6;
  if (n == "clean") return 7;
  if (n == "maintained") return 8;
  return 0;
}

LevelResult ComputeLevel(const std::vector<StageResult>& stages) {
  LevelResult out;
  std::array<bool, kRungCount> intentional;
  intentional.fill(true);
  for (int i = 0; i < kRungCount; ++i) {
    out.rungs[i].rung = i + 1;
    out.rungs[i].name = kRungNames[i];
  }
  for (const StageResult& s : stages) {
    int rung = RungOfStage(s.name);
    if (rung == 0) continue;
    RungOutcome& r = out.rungs[rung - 1];
    if (s.status == StageStatus::kSkip && !s.intentional) intentional[rung - 1] = false;
    if (!r.present || Severity(s.status) > Severity(r.status)) {
      r.status = s.status;
      r.reason = s.reason;
    }
    r.present = true;
  }
  const RungOutcome& install = out.rungs[0];
  if (install.present && install.status == StageStatus::kError) {
    out.ci_error = true;
    return out;
  }
  if (!install.present || !Passed(install.status)) return out;  // level 0
  for (int i = 0; i < kRungCount; ++i) {
    if (!Counts(out.rungs[i], intentional[i])) break;
    out.rungs[i].counted = true;
    out.level = i + 1;
  }
  return out;
}

std::string LevelColor(int level) {
  static const char* kColors[kMaxLevel + 1] = {"#e05d44", "#fe7d37", "#dfb317",
                                               "#a4a61d", "#97ca00", "#44cc11",
                                               "#2ea043", "#238636", "#196c2e"};
  if (level < 0 || level > kMaxLevel) return "#9f9f9f";
  return kColors[level];
}

}  // namespace ccci::domain
