#pragma once
// A test's cc-ci on the real-swarm lane: the real binary (`cc-ci serve` on port 0, dry-run
// forge) with the abra stand-in first on PATH, the demo recipe as its PR's repo
// (tests/swarm/demo_recipe.sh), the demo overlay, and signed pull_request webhooks like
// Gitea's. Each test gets its own data dir and app domain suffix, so tests on one lane (ctest
// -j) never share a stack.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "bot/runner/suite.h"
#include "tests/fakes/server_process.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/wait_until.h"
#include "tests/fakes/webhook_client.h"
#include "tests/swarm/swarm_lane.h"

namespace ccci::testing {

class SwarmCiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = SwarmLane::Enter();
    if (!why.empty()) GTEST_SKIP() << why;
    suffix_ = "t" + std::to_string(getpid()) + ".test";
    repo_ = dir_.File("src/ccci-demo");
    std::string heads = Sh(CCCI_SOURCE_DIR "/tests/swarm/demo_recipe.sh repo '" + repo_ + "'");
    for (size_t at = heads.find("pr"); at != std::string::npos; at = heads.find("\npr", at + 1)) {
      if (heads[at] == '\n') ++at;
      size_t eq = heads.find('=', at), nl = heads.find('\n', at);
      prs_[std::stoi(heads.substr(at + 2, eq - at - 2))] = heads.substr(eq + 1, nl - eq - 1);
    }
    Sh("mkdir -p '" + dir_.File("overlays") +
       "' && cp " CCCI_SOURCE_DIR "/tests/swarm/demo/ccci-demo.ini '" + dir_.File("overlays") +
       "/'");
  }
  void TearDown() override {
    if (IsSkipped()) return;
    server_.reset();
    for (const auto& [pr, run] : runs_) {
      EXPECT_EQ(SwarmLane::Leftovers(Stack(pr, run)), "") << "left of PR " << pr << " run " << run;
    }
  }

  // (Re)starts cc-ci on the test's data dir.
  void StartServer(int concurrency = 1) {
    server_.reset();
    std::ofstream(dir_.File("cc-ci.ini"))
        << "[gitea]\ntrusted_users = alice\n"
        << "[runner]\nconcurrency = " << concurrency << "\ndomain = " << suffix_
        << "\napp_url = http://{domain}{health_path}\nconnect_to = "
        << SwarmLane::Get().connect_to() << "\noverlay_dir = " << dir_.File("overlays")
        << "\nscreenshots = true\nallowed_clone_urls = " << dir_.File("src") << "\n";
    server_ = std::make_unique<ServerProcess>(
        CCCI_BIN_DIR "/cc-ci", dir_.File("data"),
        std::vector<std::string>{"CC_CI_WEBHOOK_SECRET=test-secret"},
        std::vector<std::string>{"--config", dir_.File("cc-ci.ini")});
  }

  // Gitea's pull_request "opened" delivery for PR `pr` of the demo recipe; `run` is the run
  // it is expected to become (for the leftover check).
  void OpenPr(int pr, int run) {
    runs_.push_back({pr, run});
    std::string body = ReadShared("gitea/payloads/pull_request_opened.json");
    Replace(&body, "9b2e7c4d1a0f3e5b6c8d7a9e0f1b2c3d4e5f6a7b", prs_.at(pr));
    Replace(&body, "\"number\": 17,", "\"number\": " + std::to_string(pr) + ",");
    Replace(&body, "/nextcloud", "/ccci-demo");  // the repo and the author's fork
    Replace(&body, "https://git.coopcloud.tech/coop-cloud/ccci-demo.git", repo_);
    Replace(&body, "https://git.coopcloud.tech/alice/ccci-demo.git", repo_);
    auto r = PostWebhook(server_->port(), "pull_request", body, "pr-" + std::to_string(pr),
                         "test-secret");
    ASSERT_EQ(r.status, 202) << r.body;
  }

  // /api/runs/{id} once the run is over (or when `until` says so), parsed.
  rapidjson::Document WaitRun(int run, std::function<bool(const rapidjson::Document&)> until = {},
                              std::chrono::seconds limit = std::chrono::seconds(300)) {
    rapidjson::Document doc;
    bool there = ccci::testing::WaitUntil(
        [&] {
          std::string body = Get(server_->port(), "/api/runs/" + std::to_string(run)).body;
          doc.Parse(body.c_str());
          if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("state")) return false;
          std::string state = doc["state"].GetString();
          return until ? until(doc)
                       : (state == "finished" || state == "error" || state == "cancelled");
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(limit),
        std::chrono::milliseconds(200));
    if (there) return doc;
    ADD_FAILURE() << "run " << run << " did not get there in " << limit.count() << " s";
    return doc;
  }

  // Each stage's status, and its reason after a colon when it has one.
  static std::map<std::string, std::string> Stages(const rapidjson::Document& run) {
    std::map<std::string, std::string> out;
    if (!run.IsObject() || !run.HasMember("stages")) return out;
    for (const auto& s : run["stages"].GetArray()) {
      std::string reason = s["reason"].GetString();
      out[s["name"].GetString()] =
          std::string(s["status"].GetString()) + (reason.empty() ? "" : ": " + reason);
    }
    return out;
  }

  // For failure messages: the run as the API shows it and its stage logs so far.
  std::string Diagnose(int run) const {
    std::string out = "run " + std::to_string(run) + ": ";
    if (server_) out += Get(server_->port(), "/api/runs/" + std::to_string(run)).body;
    for (const char* stage : {"install", "upgrade", "teardown"}) {
      std::ifstream log(DataFile("runs/" + std::to_string(run) + "/" + stage + ".log"));
      std::stringstream text;
      text << log.rdbuf();
      if (!text.str().empty()) out += "\n--- " + std::string(stage) + ".log\n" + text.str();
    }
    return out;
  }

  std::string Domain(int pr, int run) const {
    return runner::RunDomain("ccci-demo", pr, run, suffix_);
  }
  std::string Stack(int pr, int run) const { return runner::StackName(Domain(pr, run)); }
  std::string DataFile(const std::string& rel) const { return dir_.File("data/" + rel); }

  static void Replace(std::string* s, const std::string& from, const std::string& to) {
    for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
      s->replace(at, from.size(), to);
    }
  }

  TempDir dir_;
  std::string suffix_, repo_;
  std::map<int, std::string> prs_;  // PR number -> head sha (demo_recipe.sh)
  std::vector<std::pair<int, int>> runs_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace ccci::testing
