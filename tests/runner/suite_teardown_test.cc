// The teardown's wait for an undeployed stack (SuiteRun::WaitUndeployed) against a swarm
// scripted look by look: what docker answers changes from one call to the next, as a real
// swarm's does while it stops a removed stack.
#include <gtest/gtest.h>

#include <deque>
#include <filesystem>
#include <map>
#include <mutex>

#include "bot/runner/suite.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/test_files.h"

namespace ccci::runner {
namespace {

// Answers each command by its first words ("abra app undeploy", "docker stack ps", ...) from
// a queue of answers; the last one repeats. Unscripted commands exit 0 with no output.
class ScriptedSwarm : public Executor {
 public:
  struct Answer {
    int exit_code = 0;
    std::string output;
  };
  void Script(const std::string& words, std::vector<Answer> answers) {
    script_[words] = std::deque<Answer>(answers.begin(), answers.end());
  }
  Result<ExecResult> Run(const Command& cmd, OutputSink& sink, const CancelToken&) override {
    std::lock_guard<std::mutex> l(mu_);
    std::string line;
    for (const auto& a : cmd.argv) line += (line.empty() ? "" : " ") + a;
    calls_.push_back(line);
    ExecResult r;
    r.exit_code = 0;
    for (auto& [words, answers] : script_) {
      if (line.rfind(words, 0) != 0 || answers.empty()) continue;
      Answer a = answers.front();
      if (answers.size() > 1) answers.pop_front();
      sink.Write(a.output);
      r.exit_code = a.exit_code;
      break;
    }
    sink.Close();
    return r;
  }
  // The calls whose line starts with `prefix`, in order.
  std::vector<std::string> Calls(const std::string& prefix = "") const {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<std::string> out;
    for (const auto& c : calls_) {
      if (c.rfind(prefix, 0) == 0) out.push_back(c);
    }
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::deque<Answer>> script_;
  std::vector<std::string> calls_;
};

class TeardownWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_.run_id = 7;
    spec_.recipe = "demo";
    spec_.domain = RunDomain("demo", 12, 7, "ci.test");
    spec_.work_dir = dir_.path() + "/work";
    spec_.log_dir = dir_.path() + "/logs";
    spec_.log_rel_dir = "runs/7";
    spec_.stage_timeout = std::chrono::seconds(60);
    std::filesystem::create_directories(spec_.work_dir + "/abra");  // something was set up
    deps_.executor = &swarm_;
    deps_.clock = &clock_;
    deps_.sleep = [this](std::chrono::milliseconds d) { clock_.Advance(d); };
  }
  std::string Log() const { return ccci::testing::ReadFileOrDie(spec_.log_dir + "/teardown.log"); }
  const std::string stack_ = "demo-12-7_ci_test";
  const std::string undeploy_ = "abra app undeploy";
  const std::string tasks_ = "docker --context default stack ps " + stack_;
  const std::string containers_ = "docker --context default ps --all";
  const std::string networks_ = "docker --context default network ls";
  const std::string network_rm_ = "docker --context default network rm";
  const ScriptedSwarm::Answer kNoTasks{1, "nothing found in stack: demo-12-7_ci_test\n"};

  ccci::testing::TempDir dir_;
  ccci::testing::FakeClock clock_;
  ScriptedSwarm swarm_;
  SuiteSpec spec_;
  SuiteDeps deps_;
};

// The race behind a stack network left after teardown: swarm was still preparing a task when
// the stack was removed; for a moment neither a container nor a network of the stack shows,
// then the task makes both. Nothing else is looked at while the stack still has a task.
TEST_F(TeardownWaitTest, TheContainersAndNetworksAreLookedAtOnlyOnceSwarmDroppedEveryTask) {
  swarm_.Script(tasks_, {{0, "t1\n"}, {0, "t1\n"}, kNoTasks});
  swarm_.Script(containers_, {{0, ""}});
  swarm_.Script(networks_, {{0, ""}});
  StageRecord st = RunTeardown(spec_, deps_);
  EXPECT_EQ(st.status, kStagePass) << st.reason;
  auto calls = swarm_.Calls("docker");
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0], tasks_ + " --quiet --no-trunc");
  EXPECT_EQ(calls[2], tasks_ + " --quiet --no-trunc");
  EXPECT_EQ(calls[3].rfind(containers_, 0), 0u) << calls[3];
  EXPECT_EQ(calls[4].rfind(networks_, 0), 0u) << calls[4];
  EXPECT_NE(Log().find("the stack is gone after 500 ms"), std::string::npos) << Log();
}

TEST_F(TeardownWaitTest, ANetworkLeftOnceTasksAndContainersAreGoneIsRemovedAndWaitedFor) {
  swarm_.Script(tasks_, {kNoTasks});
  swarm_.Script(containers_, {{0, "c1\n"}, {0, ""}});
  swarm_.Script(networks_, {{0, "n1\nn2\n"}, {0, "n1\n"}, {0, ""}});
  StageRecord st = RunTeardown(spec_, deps_);
  EXPECT_EQ(st.status, kStagePass) << st.reason;
  EXPECT_EQ(swarm_.Calls(network_rm_),
            std::vector<std::string>{network_rm_ + " n1 n2"});  // once, then polled
  EXPECT_EQ(swarm_.Calls(networks_).size(), 3u);
  EXPECT_NE(Log().find("removing the stack's 2 network(s) left"), std::string::npos) << Log();
}

// `docker stack rm` exits 1 when it could not remove a network a task still used: what it
// left is still waited for and removed.
TEST_F(TeardownWaitTest, AnUndeployThatFailedHalfwayIsStillWaitedFor) {
  swarm_.Script(undeploy_, {{1, "Failed to remove some resources from stack\n"}});
  swarm_.Script(tasks_, {{0, "t1\n"}, kNoTasks});
  swarm_.Script(networks_, {{0, "n1\n"}, {0, ""}});
  RunTeardown(spec_, deps_);
  EXPECT_EQ(swarm_.Calls(network_rm_), std::vector<std::string>{network_rm_ + " n1"});
  EXPECT_NE(Log().find("the stack is gone"), std::string::npos) << Log();
}

TEST_F(TeardownWaitTest, AStackThatNeverGoesIsGivenUpOnAtTheCommandTimeout) {
  swarm_.Script(tasks_, {{0, "t1\n"}});
  RunTeardown(spec_, deps_);
  EXPECT_NE(Log().find("the stack still has tasks after 60000 ms"), std::string::npos) << Log();
  EXPECT_TRUE(swarm_.Calls(containers_).empty());
}

TEST_F(TeardownWaitTest, ADockerThatCannotAnswerIsNotedAndNotWaitedFor) {
  swarm_.Script(tasks_, {{1, "Cannot connect to the Docker daemon\n"}});
  RunTeardown(spec_, deps_);
  EXPECT_NE(Log().find("cannot tell whether the stack is gone"), std::string::npos) << Log();
  EXPECT_EQ(swarm_.Calls("docker").size(), 1u);
}

}  // namespace
}  // namespace ccci::runner
