// A run's artifacts in the store (bot/store/artifact_store.h), on every driver: log chunks and
// blobs, the runner's writer (StoreLogWriter, StageLog's copy), retention, and a front node
// that serves the logs, the live stream, the screenshot and the card of a run another
// instance ran, with no file of it on its own disk.

#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "bot/http/metrics.h"
#include "bot/http/server.h"
#include "bot/runner/log_retention.h"
#include "bot/runner/stage_log.h"
#include "bot/runner/store_log_writer.h"
#include "bot/store/sql_store.h"
#include "renderer/screenshotter.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/sse_client.h"
#include "tests/fakes/store_drivers.h"
#include "tests/fakes/test_files.h"
#include "tests/fakes/test_store.h"
#include "tests/fakes/webhook_client.h"

namespace ccci {
namespace {

using std::chrono::milliseconds;

class ArtifactsTest : public testing::DriverStoreTest {
 protected:
  void SetUp() override {
    DriverStoreTest::SetUp();
    if (!store_) return;
    run_ = testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", 3, "abc"));
  }
  // The whole log as the store has it.
  std::string Stored(const std::string& log, int64_t run = 0) {
    auto chunks = store_->ReadLogChunks(run ? run : run_, log, 0, 1 << 30);
    EXPECT_TRUE(chunks.ok()) << chunks.status().ToString();
    return chunks.ok() ? LogBytesFrom(*chunks, 0, 1 << 30) : "";
  }
  LogExtent Extent(const std::string& log) {
    auto e = store_->GetLogExtent(run_, log);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? *e : LogExtent{-1, -1};
  }

  int64_t run_ = 0;
};

TEST_P(ArtifactsTest, ChunksAreReadFromAnyOffset) {
  const std::string binary("\0\xff\xc3", 3);  // NUL, and not UTF-8
  ASSERT_TRUE(store_->AppendLogChunk(run_, "install.log", 0, 0, "hello ").ok());
  ASSERT_TRUE(store_->AppendLogChunk(run_, "install.log", 1, 6, "world\n").ok());
  ASSERT_TRUE(store_->AppendLogChunk(run_, "install.log", 2, 12, binary).ok());
  LogExtent e = Extent("install.log");
  EXPECT_EQ(e.size, 15);
  EXPECT_EQ(e.next_seq, 3);
  EXPECT_EQ(Stored("install.log"), "hello world\n" + binary);

  auto from8 = store_->ReadLogChunks(run_, "install.log", 8, 1 << 20);
  ASSERT_TRUE(from8.ok());
  ASSERT_EQ(from8->size(), 2u);
  EXPECT_EQ((*from8)[0].seq, 1);
  EXPECT_EQ((*from8)[0].offset, 6);
  EXPECT_EQ(LogBytesFrom(*from8, 8, 100), "rld\n" + binary);
  EXPECT_EQ(LogBytesFrom(*from8, 8, 2), "rl");
  auto one = store_->ReadLogChunks(run_, "install.log", 0, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u) << "max_bytes bounds the chunks read";
  auto end = store_->ReadLogChunks(run_, "install.log", 15, 100);
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->empty());

  EXPECT_TRUE(Extent("install.1.log").empty()) << "another log of the run";
  EXPECT_TRUE(store_->GetLogExtent(run_ + 1, "install.log")->empty()) << "another run";
}

TEST_P(ArtifactsTest, ASeqIsWrittenOnceAndChunksAreCapped) {
  ASSERT_TRUE(store_->AppendLogChunk(run_, "lint.log", 0, 0, "a").ok());
  Status again = store_->AppendLogChunk(run_, "lint.log", 0, 0, "b");
  EXPECT_EQ(again.code(), Code::kFailedPrecondition) << again.ToString();
  EXPECT_EQ(Stored("lint.log"), "a") << "the first writer keeps it";
  EXPECT_EQ(store_->AppendLogChunk(run_, "lint.log", 1, 1, "").code(), Code::kInvalidArgument);
  std::string big(kMaxLogChunkBytes + 1, 'x');
  EXPECT_EQ(store_->AppendLogChunk(run_, "lint.log", 1, 1, big).code(), Code::kInvalidArgument);
  big.pop_back();
  EXPECT_TRUE(store_->AppendLogChunk(run_, "lint.log", 1, 1, big).ok());
  EXPECT_EQ(Extent("lint.log").size, static_cast<int64_t>(kMaxLogChunkBytes) + 1);
}

TEST_P(ArtifactsTest, BlobsKeepTheirBytesAndAreReplacedWhole) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff", 17);
  ASSERT_TRUE(store_->PutBlob(run_, kScreenshotFile, "image/png", png).ok());
  auto got = store_->GetBlob(run_, kScreenshotFile);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->bytes, png);
  EXPECT_EQ(got->content_type, "image/png");
  ASSERT_TRUE(store_->PutBlob(run_, kScreenshotFile, "image/png", "second").ok());
  EXPECT_EQ(store_->GetBlob(run_, kScreenshotFile)->bytes, "second");
  EXPECT_EQ(store_->GetBlob(run_, "card.png").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetBlob(run_ + 1, kScreenshotFile).status().code(), Code::kNotFound);
  std::string huge(kMaxBlobBytes + 1, 'x');
  EXPECT_EQ(store_->PutBlob(run_, "huge", "x", huge).code(), Code::kInvalidArgument);
}

TEST_P(ArtifactsTest, RetentionDeletesTheArtifactsOfRunsThatEndedLongAgo) {
  int64_t old_run = run_;
  int64_t running = testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", 4, "b"));
  int64_t recent = testing::QueueRun(store_.get(), testing::PrRun("coop-cloud/bonfire", 5, "c"));
  for (int64_t id : {old_run, running, recent}) {
    ASSERT_TRUE(store_->ClaimRun(id).value());
    ASSERT_TRUE(store_->AppendLogChunk(id, "install.log", 0, 0, "log\n").ok());
    ASSERT_TRUE(store_->PutBlob(id, kScreenshotFile, "image/png", "png").ok());
  }
  ASSERT_TRUE(store_->FinishRun(old_run, kRunFinished, 3, "").ok());
  clock_.Advance(std::chrono::hours(48));
  ASSERT_TRUE(store_->FinishRun(recent, kRunFinished, 3, "").ok());

  runner::LogRetention::Options o;
  o.retention = std::chrono::hours(24);
  o.clock = &clock_;
  o.artifacts = store_.get();  // no data dir: a front node, or a worker's store only
  runner::LogRetention retention(store_.get(), o);
  auto pass = retention.PruneOnce();
  EXPECT_EQ(pass.stored, 1);
  EXPECT_EQ(pass.errors, 0);
  EXPECT_TRUE(store_->GetLogExtent(old_run, "install.log")->empty());
  EXPECT_EQ(store_->GetBlob(old_run, kScreenshotFile).status().code(), Code::kNotFound);
  EXPECT_EQ(Stored("install.log", running), "log\n") << "a running run is never touched";
  EXPECT_EQ(Stored("install.log", recent), "log\n");
  EXPECT_EQ(store_->GetRun(old_run)->level, 3) << "the run itself stays";
  EXPECT_EQ(retention.PruneOnce().stored, 0);
}

TEST_P(ArtifactsTest, TheWriterFlushesOnSizeOnTimeAndAtTheEnd) {
  runner::StoreLogWriter::Options o;
  o.flush_bytes = 16;
  o.flush_interval = milliseconds(500);
  {
    runner::StoreLogWriter w(store_.get(), run_, "install.log", &clock_, o);
    w.Append("abc");
    EXPECT_TRUE(Extent("install.log").empty());
    clock_.Advance(milliseconds(499));
    w.Tick();
    EXPECT_TRUE(Extent("install.log").empty());
    clock_.Advance(milliseconds(1));
    w.Tick();
    EXPECT_EQ(Extent("install.log").size, 3);
    w.Append(std::string(20, 'x'));  // past flush_bytes: at once
    EXPECT_EQ(Extent("install.log").size, 23);
    EXPECT_EQ(Extent("install.log").next_seq, 2);
    w.Append("tail");
    EXPECT_EQ(w.size(), 27);
  }  // the end of the stage
  EXPECT_EQ(Extent("install.log").size, 27);

  // A stage run again (a requeue, maybe on another host) continues the log.
  runner::StoreLogWriter again(store_.get(), run_, "install.log", &clock_, o);
  EXPECT_EQ(again.size(), 27);
  runner::StoreLogWriter rival(store_.get(), run_, "install.log", &clock_, o);
  again.Append("second attempt\n");
  ASSERT_TRUE(again.Flush().ok());
  rival.Append("lost lease\n");
  EXPECT_EQ(rival.Flush().code(), Code::kFailedPrecondition);
  rival.Append("more");
  EXPECT_TRUE(rival.Flush().ok()) << "stopped: writes nothing more";
  EXPECT_EQ(Stored("install.log"), "abc" + std::string(20, 'x') + "tailsecond attempt\n");
}

TEST_P(ArtifactsTest, StageLogCopiesTheFileBytesRedactedAndCapped) {
  testing::TempDir dir;
  std::string file = dir.File("install.log");
  {
    auto copy =
        std::make_unique<runner::StoreLogWriter>(store_.get(), run_, "install.log", &clock_);
    runner::StageLog log(file, {"hunter2"}, 120, &clock_, std::move(copy));
    log.Note("deploying");
    auto sink = log.ForCommand({"abra", "app", "deploy"});
    sink->Write("password hunter2 ok\n");
    sink->Write(std::string(200, 'y'));
    sink->Close();
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string bytes = ss.str();
  EXPECT_NE(bytes.find("[cc-ci: log truncated at size cap]"), std::string::npos) << bytes;
  EXPECT_EQ(bytes.find("hunter2"), std::string::npos);
  EXPECT_EQ(Stored("install.log"), bytes);

  // Run again on a host without the file: the cap counts what the store holds.
  testing::TempDir other;
  {
    auto copy =
        std::make_unique<runner::StoreLogWriter>(store_.get(), run_, "install.log", &clock_);
    runner::StageLog log(other.File("install.log"), {}, 120, &clock_, std::move(copy));
    log.Note("again");
  }
  EXPECT_EQ(Stored("install.log"), bytes + "\n[cc-ci: log truncated at size cap]\n");
}

// The front node: its own store instance on the same database, an empty data dir, and a
// run that a worker (another instance) runs.
class FrontNodeTest : public ArtifactsTest {
 protected:
  void SetUp() override {
    ArtifactsTest::SetUp();
    if (!store_) return;
    signal(SIGPIPE, SIG_IGN);
    front_ = db_.Open();
    ASSERT_TRUE(front_);
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    server_ = std::make_unique<HttpServer>(
        o, HttpServices{nullptr, front_.get(), &metrics_, "test", "http://ci.example", nullptr,
                        front_dir_.path(), front_.get(), "", front_.get()});
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_TRUE(store_->ClaimRun(run_).value());
    Stage(kStageRunning);
  }
  void TearDown() override {
    if (server_) server_->Stop(1000);
  }
  void Stage(const char* status) {
    StageRecord r{run_,   0,  "install",
                  status, "", std::nullopt,
                  1000,   0,  "runs/" + std::to_string(run_) + "/install.log"};
    ASSERT_TRUE(store_->RecordStage(r).ok());
  }
  std::string Path(const std::string& rest) { return "/runs/" + std::to_string(run_) + "/" + rest; }

  testing::TempDir worker_dir_, front_dir_;
  std::unique_ptr<SqlStore> front_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> server_;
};

TEST_P(FrontNodeTest, ServesLogsLiveStreamScreenshotAndCardOfARunItNeverRan) {
  auto copy = std::make_unique<runner::StoreLogWriter>(store_.get(), run_, "install.log", &clock_);
  runner::StageLog log(worker_dir_.File("install.log"), {}, 1 << 20, &clock_, std::move(copy));
  log.Note("deploying");
  log.Flush();
  uint16_t port = server_->port();

  auto raw = testing::Get(port, Path("logs/install.txt"));
  ASSERT_EQ(raw.status, 200) << raw.body;
  EXPECT_EQ(raw.body, "[cc-ci] deploying\n");
  auto html = testing::Get(port, Path("logs/install"));
  ASSERT_EQ(html.status, 200) << html.body;
  EXPECT_NE(html.body.find("[cc-ci] deploying"), std::string::npos);
  EXPECT_NE(html.body.find("data-events"), std::string::npos) << "a running stage is live";

  testing::SseClient sse(port, Path("logs/install/events"));
  ASSERT_EQ(sse.status(), 200);
  auto e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(testing::Bytes(*e), "[cc-ci] deploying\n");
  EXPECT_EQ(e->id, "18");
  auto sink = log.ForCommand({"abra", "app", "deploy"});
  sink->Write("pulling\n");
  sink->Close();
  log.Flush();
  e = sse.Next();
  ASSERT_TRUE(e);
  EXPECT_EQ(testing::Bytes(*e), "$ abra app deploy\npulling\n");

  // A reconnect resumes at the offset it had (Last-Event-ID); the stage's end ends it.
  testing::SseClient again(port, Path("logs/install/events"), "26");
  log.Note("done");
  log.Flush();
  Stage(kStagePass);
  std::string rest;
  for (;;) {
    e = again.Next();
    ASSERT_TRUE(e) << "the stream must end with an end event; got " << rest;
    if (e->event == "end") break;
    rest += testing::Bytes(*e);
  }
  EXPECT_EQ(rest, "pp deploy\npulling\n[cc-ci] done\n");
  EXPECT_EQ(e->data, "pass");

  // The screenshot the worker took, and the card that shows it.
  auto no_shot = testing::Get(port, Path("card.png"));
  ASSERT_EQ(no_shot.status, 200);
  auto png = render::PlaceholderScreenshotPng("the app");
  ASSERT_TRUE(png.ok());
  ASSERT_TRUE(store_->PutBlob(run_, kScreenshotFile, "image/png", *png).ok());
  auto shot = testing::Get(port, Path("screenshot.png"));
  ASSERT_EQ(shot.status, 200);
  EXPECT_EQ(shot.body, *png);
  auto card = testing::Get(port, Path("card.png"));
  ASSERT_EQ(card.status, 200);
  EXPECT_EQ(card.body.substr(0, 4), "\x89PNG");
  EXPECT_NE(card.body, no_shot.body) << "the card shows the screenshot";
}

INSTANTIATE_TEST_SUITE_P(Drivers, ArtifactsTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);
INSTANTIATE_TEST_SUITE_P(Drivers, FrontNodeTest, ::testing::ValuesIn(testing::kStoreDrivers),
                         testing::DriverName);

}  // namespace
}  // namespace ccci
