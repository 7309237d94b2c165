#pragma once
// The fixture of the suite's tests: the scripted fake abra and docker (tests/fakes/bin) on PATH,
// the real PtyExecutor, real git repos built from ../shared/recipes, a fake app process per
// deploy and a fake proxy that routes by Host header, reached through connect_to.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "bot/runner/suite.h"
#include "tests/fakes/fake_proxy.h"
#include "tests/fakes/fake_swarm.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/test_files.h"

namespace ccci::runner {

using ccci::testing::FakeProxy;
using ccci::testing::RecipeRepo;
using ccci::testing::Sh;

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Dead: gone, or a zombie (killed; the container's init may not reap orphans at once).
inline bool Dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

inline bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

class Recorder : public SuiteObserver {
 public:
  void StageStarted(const StageRecord& s) override { events.push_back("start " + s.name); }
  void StageFinished(const StageRecord& s) override { events.push_back(s.name + " " + s.status); }
  std::vector<std::string> events;
};

class SuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    swarm_ = dir_.path() + "/swarm";
    ccci::testing::UseFakeSwarm(swarm_);
    proxy_ = std::make_unique<FakeProxy>(swarm_);
    deps_.executor = &executor_;
    // The suite's own waits (between readiness probes, backup and volume retries) are real:
    // the apps it waits for are real processes (fake_app behind the fake proxy) that take
    // real time to come up or let go, and nothing signals when they have.
    deps_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    deps_.observer = &recorder_;
  }
  void TearDown() override {
    // No app may outlive the suite: teardown undeploys everything it deployed.
    Sh("ls '" + swarm_ + "/pids' | wc -l > '" + swarm_ + "/left'");
    EXPECT_EQ(Slurp(swarm_ + "/left"), "0\n") << "apps left running";
  }

  // `pr_change`: the shell that makes the PR head's change (RecipeRepo::FromShared).
  SuiteSpec Spec(const std::string& recipe,
                 const std::string& pr_change = "echo 'PR change' >> README.md") {
    repo_ = RecipeRepo::FromShared(recipe, dir_.path() + "/src-" + recipe, pr_change);
    SuiteSpec s;
    s.run_id = 7;
    s.recipe = recipe;
    s.source = repo_.dir;
    s.ref = repo_.head;
    s.domain = RunDomain(recipe, 12, 7, "ci.test");
    s.work_dir = dir_.path() + "/work";
    s.log_dir = dir_.path() + "/logs";
    s.log_rel_dir = "runs/7";
    s.app_url = "http://{domain}{health_path}";
    s.connect_to = {"::127.0.0.1:" + std::to_string(proxy_->port())};
    s.ready_timeout = std::chrono::seconds(5);
    s.probe_interval = std::chrono::milliseconds(50);
    s.retry_delay = std::chrono::seconds(0);
    s.stage_timeout = std::chrono::seconds(30);
    s.pass_env = {"FAKE_*"};   // the fakes' knobs; commands get nothing else of the test's
    s.git_protocols = "file";  // the recipe is a local repository
    return s;
  }

  std::map<std::string, StageRecord> ByName(const SuiteResult& r) {
    std::map<std::string, StageRecord> m;
    for (const auto& s : r.stages) m[s.name] = s;
    return m;
  }

  ccci::testing::TempDir dir_;
  std::string swarm_;
  std::unique_ptr<FakeProxy> proxy_;
  PtyExecutor executor_;
  Recorder recorder_;
  SuiteDeps deps_;
  RecipeRepo repo_;
  CancelToken cancel_;
};

}  // namespace ccci::runner
