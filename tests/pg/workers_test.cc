// cc-ci on many test hosts sharing one PostgreSQL store, as real processes: a front node
// (`cc-ci serve` with runner.concurrency = 0: webhooks, reporting) and three `cc-ci worker`s
// running the suite through the fake abra. PR runs arrive as signed webhooks. One worker is
// SIGKILLed mid-run: its run is reaped and finished exactly once by another worker. Another is
// SIGSTOPped past its lease and then continued: the run it held was given to another worker,
// and the paused one neither finishes nor records it. No run is lost, doubled or stuck, and the
// front node reports every run the workers finished.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include "bot/store/pg_db.h"
#include "tests/fakes/child_process.h"
#include "tests/fakes/payload_edit.h"
#include "tests/fakes/recipe_repo.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"
#include "tests/pg/multi_host.h"

namespace ccci {
namespace {

constexpr const char* kSecret = "workers-secret";
constexpr int kRuns = 60;

// How often `needle` occurs in `text`.
int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

class WorkersTest : public testing::MultiHostTest {
 protected:
  void SetUp() override {
    MultiHostTest::SetUp();
    if (!db_.available()) return;
    repo_ = testing::RecipeRepo::FromShared("traefik", dir_.File("traefik"));
  }

  std::string Ini(const std::string& name, const std::string& runner) {
    return MultiHostTest::Ini(name, "[gitea]\ntrusted_users = alice\n[runner]\n" + runner);
  }
  std::unique_ptr<testing::ServerProcess> StartFront() {
    return MultiHostTest::StartFront(Ini("front", "concurrency = 0\n"),
                                     {std::string("CC_CI_WEBHOOK_SECRET=") + kSecret});
  }
  // `knob`: the fake abra's behaviour (tests/fakes/bin/abra).
  std::unique_ptr<testing::WorkerProcess> StartWorker(
      const std::string& name, const std::string& knob = "FAKE_ABRA_FAIL=deploy") {
    std::string config =
        Ini(name, "concurrency = 2\nworker_name = " + name +
                      "\nlease = 2s\nmax_attempts = 3\ndomain = ci.test\nscreenshots = false\n"
                      "ready_timeout = 5s\nallowed_clone_urls = " +
                      repo_.dir + "\npass_env = FAKE_*\n");
    // The install's deploy fails: a short suite (install fails, the rest is skipped, teardown
    // runs), so 60 runs fit in a minute; what is under test is who runs and ends each run.
    return StartWorkerProcess(name, config, {knob});
  }
  // The runs running under `worker` now.
  std::set<int64_t> RunningUnder(const std::string& worker) {
    RunQuery q;
    q.state = kRunRunning;
    q.limit = 500;
    std::set<int64_t> ids;
    auto page = store_->ListRuns(q);
    if (!page.ok()) return ids;
    for (const ccci::Run& r : page->runs) {
      if (r.worker == worker) ids.insert(r.id);
    }
    return ids;
  }
  // Waits until `worker` holds a run; returns the runs it holds.
  std::set<int64_t> WaitUntilHolding(const std::string& worker) {
    std::set<int64_t> held;
    testing::WaitUntil(
        [&] {
          held = RunningUnder(worker);
          return !held.empty();
        },
        std::chrono::seconds(60), std::chrono::milliseconds(5));
    return held;
  }

  // A pull_request webhook of PR `pr` at `sha`, cloned from the test's recipe repo.
  std::string Payload(const std::string& fixture, int64_t pr, const std::string& sha) {
    std::string body = testing::With(fixture, "/number", pr);
    body = testing::With(body, "/pull_request/number", pr);
    body = testing::With(body, "/pull_request/head/sha", sha);
    return testing::With(body, "/pull_request/head/repo/clone_url", repo_.dir);
  }

  // Stops (SIGSTOP) `worker` at a moment it holds a run; returns the runs it holds then (it
  // can claim nothing more while stopped). Empty if it never held one while stopped.
  std::set<int64_t> StopHolding(testing::WorkerProcess& process, const std::string& worker) {
    for (int tries = 0; tries < 100; ++tries) {
      WaitUntilHolding(worker);
      process.Signal(SIGSTOP);
      // Stopped, it claims nothing more (a claim it sent just before may still land; such a
      // run is reaped like the others, only not named here).
      std::set<int64_t> held = RunningUnder(worker);
      if (!held.empty()) return held;
      process.Signal(SIGCONT);
    }
    return {};
  }

  testing::RecipeRepo repo_;
};

TEST_F(WorkersTest, RunsOnThreeWorkersSurviveAKilledAndAPausedWorker) {
  ASSERT_TRUE(db_.available());
  auto front = StartFront();
  std::map<std::string, std::unique_ptr<testing::WorkerProcess>> workers;
  for (const char* name : {"w1", "w2", "w3"}) workers[name] = StartWorker(name);

  auto started = std::chrono::steady_clock::now();
  for (int pr = 1; pr <= kRuns; ++pr) {
    std::string body = Payload("pull_request_opened.json", pr, repo_.head);
    auto r = testing::PostWebhook(front->port(), "pull_request", body, "d-" + std::to_string(pr),
                                  kSecret);
    ASSERT_EQ(r.status, 202) << r.body;
  }

  // SIGKILL w2 while it holds a run: what it held then is what it left mid-run.
  std::set<int64_t> killed = StopHolding(*workers["w2"], "w2");
  ASSERT_FALSE(killed.empty()) << "w2 never held a run";
  workers["w2"]->Kill(SIGKILL);

  // SIGSTOP w3 while it holds a run, until another worker has it, then let it go on. (A
  // reaper's take-over, under the reaper while it tears the stack down, is not that yet: once
  // queued again the run is w3's again until claimed.)
  std::set<int64_t> paused = StopHolding(*workers["w3"], "w3");
  ASSERT_FALSE(paused.empty()) << "w3 never held a run";
  bool reassigned = testing::WaitUntil(
      [&] {
        for (int64_t id : paused) {
          auto r = store_->GetRun(id);
          if (!r.ok() || r->worker == "w3" || !r->reaped_from.empty()) return false;
        }
        return true;
      },
      std::chrono::seconds(60), std::chrono::milliseconds(20));
  workers["w3"]->Signal(SIGCONT);
  ASSERT_TRUE(reassigned) << "the paused worker's runs were never taken over";

  // Every run ends, once.
  std::map<int64_t, ccci::Run> ended;
  bool all_ended = testing::WaitUntil(
      [&] {
        RunQuery q;
        q.limit = 500;
        auto page = store_->ListRuns(q);
        if (!page.ok()) return false;
        ended.clear();
        for (const ccci::Run& r : page->runs) {
          if (r.state == kRunFinished || r.state == kRunError) ended[r.id] = r;
        }
        return page->runs.size() == static_cast<size_t>(kRuns) &&
               ended.size() == static_cast<size_t>(kRuns);
      },
      std::chrono::seconds(180), std::chrono::milliseconds(50));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(all_ended) << ended.size() << " of " << kRuns << " runs ended";
  printf("%d runs on 3 workers (one killed, one paused) in %.1f s\n", kRuns, seconds);

  std::string logs;
  for (const auto& [name, w] : workers) logs += w->Log();
  for (const auto& [id, run] : ended) {
    EXPECT_EQ(run.state, kRunFinished) << "run " << id << ": " << run.reason;
    EXPECT_EQ(run.level, 0) << "run " << id << " (the fake deploy fails)";
    EXPECT_EQ(Count(logs, "event=runner.finished run=" + std::to_string(id) + " "), 1)
        << "run " << id << " finished once, by one worker";
  }
  for (int64_t id : killed) {
    EXPECT_NE(ended[id].worker, "w2") << "run " << id;
    std::string api = testing::Get(front->port(), "/api/runs/" + std::to_string(id)).body;
    EXPECT_NE(api.find("\"worker\":\"" + ended[id].worker + "\""), std::string::npos)
        << "the front node says who ran it: " << api;
    EXPECT_GE(ended[id].attempts, 2) << "run " << id << " was reaped from the killed worker";
  }
  std::string w3 = workers["w3"]->Log();
  for (int64_t id : paused) {
    EXPECT_NE(ended[id].worker, "w3") << "run " << id;
    EXPECT_GE(ended[id].attempts, 2) << "run " << id;
    EXPECT_EQ(Count(w3, "event=runner.finished run=" + std::to_string(id) + " "), 0)
        << "the paused worker did not finish run " << id;
    EXPECT_TRUE(Count(w3, "event=runner.lease_lost run=" + std::to_string(id) + " ") +
                    Count(w3, "event=runner.not_finished run=" + std::to_string(id) + " ") >
                0)
        << "w3 knew it lost run " << id << "\n"
        << w3;
  }

  // The front node reported every run the workers finished (dry-run: its outbox).
  for (int pr = 1; pr <= kRuns; ++pr) {
    std::string path = "/api/outbox?pr=" + std::to_string(pr) + "&limit=20";
    bool reported = testing::WaitUntil(
        [&] { return testing::Get(front->port(), path).body.find("level 0") != std::string::npos; },
        std::chrono::seconds(30), std::chrono::milliseconds(50));
    EXPECT_TRUE(reported) << "PR " << pr << ": " << testing::Get(front->port(), path).body;
  }

  // Stopping a worker stops it cleanly.
  for (const char* name : {"w1", "w3"}) {
    int status = workers[name]->Kill(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << name;
  }
}

// `cc-ci doctor` on the store the nodes share: a worker's config (--worker) and the front
// node's find it, at this build's schema version, with the trigger that wakes workers.
TEST_F(WorkersTest, DoctorChecksTheSharedStoreForAWorkerAndAFrontNode) {
  ASSERT_TRUE(db_.available());
  std::string path = std::string(CCCI_SOURCE_DIR "/tests/fakes/bin:") + getenv("PATH");
  std::vector<std::string> env = {"PATH=" + path, "FAKE_SWARM_DIR=" + swarm_,
                                  "CC_CI_DATABASE_URL="};
  std::string worker_ini = Ini("w1", "concurrency = 1\npass_env = FAKE_*\n");
  testing::ChildResult r =
      testing::RunChild({CCCI_BIN_DIR "/cc-ci", "doctor", "--worker", "--config", worker_ini}, env);
  EXPECT_EQ(r.out.rfind("checking this host as a worker\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n\u2713 store: PostgreSQL 15"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" at schema version "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\n\u2713 workers are woken by the store on new work (LISTEN/NOTIFY)\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\n\u2713 swarm active\n"), std::string::npos) << r.out;

  r = testing::RunChild(
      {CCCI_BIN_DIR "/cc-ci", "doctor", "--config", Ini("front", "concurrency = 0\n")}, env);
  EXPECT_EQ(r.out.rfind("checking this host as a front node\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n\u2713 store: PostgreSQL 15"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("swarm"), std::string::npos) << r.out;

  // A store a newer cc-ci migrated further is named, with what to do.
  auto admin = PgDb::Open(db_.Options().url);
  ASSERT_TRUE(admin.ok());
  ASSERT_TRUE((*admin)->Exec("UPDATE cc_ci_schema SET version = version + 1").ok());
  r = testing::RunChild({CCCI_BIN_DIR "/cc-ci", "doctor", "--worker", "--config", worker_ini}, env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("newer than this cc-ci's"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("install on this host the cc-ci version the other nodes run"),
            std::string::npos)
      << r.out;
}

// A newer push to the PR, taken by the front node, stops the run a worker is running within
// seconds (the NOTIFY wakes the worker; its poll would within one interval). SIGTERM then stops
// the worker cleanly: its running suite is cancelled, torn down and queued again.
TEST_F(WorkersTest, ANewerPushStopsARunOnAWorkerAndSigtermRequeuesItsRuns) {
  ASSERT_TRUE(db_.available());
  auto front = StartFront();
  auto worker = StartWorker("w1", "FAKE_ABRA_HANG=deploy");
  auto r =
      testing::PostWebhook(front->port(), "pull_request",
                           Payload("pull_request_opened.json", 5, repo_.head), "d-open", kSecret);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(
      testing::WaitUntil([&] { return access((swarm_ + "/hang-child.pid").c_str(), F_OK) == 0; },
                         std::chrono::seconds(60), std::chrono::milliseconds(10)))
      << "the worker's deploy never started";
  int64_t first = *RunningUnder("w1").begin();

  testing::Sh("rm -f '" + swarm_ + "/hang-child.pid'");
  testing::Sh("git -C '" + repo_.dir +
              "' -c user.name=t -c user.email=t@example.org commit -q --allow-empty -m newer");
  std::string newer = testing::Sh("git -C '" + repo_.dir + "' rev-parse HEAD");
  newer.pop_back();
  auto pushed = std::chrono::steady_clock::now();
  r = testing::PostWebhook(front->port(), "pull_request",
                           Payload("pull_request_synchronized.json", 5, newer), "d-sync", kSecret);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(testing::WaitUntil([&] { return store_->GetRun(first)->state == kRunCancelled; },
                                 std::chrono::seconds(30), std::chrono::milliseconds(10)));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pushed).count();
  printf("a newer push stopped the run on the worker in %.2f s\n", seconds);
  EXPECT_LT(seconds, 5.0);
  EXPECT_NE(store_->GetRun(first)->reason.find("superseded by run"), std::string::npos)
      << store_->GetRun(first)->reason;

  // The newer run starts on the worker, and SIGTERM gives it back to the queue.
  ASSERT_TRUE(
      testing::WaitUntil([&] { return access((swarm_ + "/hang-child.pid").c_str(), F_OK) == 0; },
                         std::chrono::seconds(60), std::chrono::milliseconds(10)));
  int64_t second = *RunningUnder("w1").begin();
  EXPECT_NE(second, first);
  int status = worker->Kill(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ccci::Run again = store_->GetRun(second).value();
  EXPECT_EQ(again.state, kRunQueued) << again.reason;
  EXPECT_EQ(again.reason, "queued again: cc-ci was stopped during the run");
}

}  // namespace
}  // namespace ccci
