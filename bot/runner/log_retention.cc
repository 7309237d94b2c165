#include "bot/runner/log_retention.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "base/log.h"

namespace ccci::runner {
namespace fs = std::filesystem;

namespace {

bool Ended(const Run& run) {
  return run.state == kRunFinished || run.state == kRunError || run.state == kRunCancelled ||
         run.state == kRunSuperseded;
}

// When the directory last changed, in unix millis (0 when it cannot be read).
int64_t ModifiedMs(const fs::path& dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

}  // namespace

LogRetention::LogRetention(RunReader* store, Options options)
    : store_(store),
      options_(std::move(options)),
      worker_(std::chrono::duration_cast<std::chrono::milliseconds>(options_.interval),
              [this] { PruneOnce(); }, "log-retention") {}

void LogRetention::Start() {
  if (options_.retention.count() <= 0 || (options_.data_dir.empty() && !options_.artifacts)) return;
  worker_.Start();
  worker_.Kick();  // a first sweep at start-up, then every interval
}

LogRetention::Pass LogRetention::PruneOnce() {
  std::lock_guard<std::mutex> lock(mu_);
  Pass pass;
  int64_t cutoff = options_.clock->NowUnixMillis() - options_.retention.count() * 1000;
  if (options_.artifacts) PruneStored(cutoff, &pass);
  if (options_.data_dir.empty()) return pass;
  std::error_code ec;
  fs::directory_iterator it(fs::path(options_.data_dir) / "runs", ec);
  if (ec) return pass;  // no run has written anything yet
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    char* end = nullptr;
    long long id = std::strtoll(name.c_str(), &end, 10);
    if (name.empty() || *end != '\0' || id <= 0 || !entry.is_directory(ec)) continue;
    auto run = store_->GetRun(id);
    bool expired = false;
    if (run.ok()) {
      int64_t ended = run->finished_at_ms.value_or(run->updated_at_ms);
      expired = Ended(*run) && ended < cutoff;
    } else if (run.status().code() == Code::kNotFound) {
      expired = ModifiedMs(entry.path()) < cutoff;
    } else {
      ++pass.errors;
      continue;
    }
    if (!expired) {
      ++pass.kept;
      continue;
    }
    fs::remove_all(entry.path(), ec);
    if (ec) {
      ++pass.errors;
      LogWarn("logs.prune_failed", {{"run", static_cast<int64_t>(id)}, {"reason", ec.message()}});
      continue;
    }
    ++pass.removed;
  }
  if (pass.removed > 0) {
    LogInfo("logs.pruned", {{"runs", pass.removed}, {"kept", pass.kept}});
  }
  return pass;
}

void LogRetention::PruneStored(int64_t cutoff, Pass* pass) {
  // In batches, so one pass after a long pause does not hold a huge list.
  for (;;) {
    auto ids = options_.artifacts->RunsWithArtifactsEndedBefore(cutoff, 100);
    if (!ids.ok()) {
      ++pass->errors;
      LogWarn("logs.prune_failed", {{"store", 1}, {"reason", ids.status().message()}});
      return;
    }
    for (int64_t id : *ids) {
      auto gone = options_.artifacts->DeleteArtifacts(id);
      if (!gone.ok()) {
        ++pass->errors;
        LogWarn("logs.prune_failed", {{"run", id}, {"reason", gone.status().message()}});
        return;
      }
      ++pass->stored;
    }
    if (ids->size() < 100) break;
  }
  if (pass->stored > 0) LogInfo("logs.pruned_from_store", {{"runs", pass->stored}});
}

}  // namespace ccci::runner
