#include "bot/runner/executor.h"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/wait_until.h"

namespace ccci::runner {
namespace {

class StringSink : public OutputSink {
 public:
  void Write(std::string_view c) override { out.append(c); }
  std::string out;
};

std::string ReadFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Alive and not a zombie.
bool Running(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  if (!f) return false;
  std::string line;
  std::getline(f, line);
  auto close = line.rfind(')');
  return close != std::string::npos && line.size() > close + 2 && line[close + 2] != 'Z';
}

TEST(PtyExecutor, RunsWithTerminalEnvAndCwd) {
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  Command cmd;
  cmd.argv = {"bash", "-c", "test -t 0 && test -t 1 && echo tty:$FOO:$(pwd); exit 3"};
  cmd.env = {"FOO=bar"};
  cmd.cwd = "/tmp";
  auto r = ex.Run(cmd, sink, cancel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
  EXPECT_NE(sink.out.find("tty:bar:/tmp"), std::string::npos) << sink.out;
}

// A command whose cc-ci died is found through its pid file and ended; a stale file (the pid
// now names another process) kills nothing.
TEST(PtyExecutor, ALeftoverCommandIsKilledThroughItsPidFile) {
  char tmpl[] = "/tmp/ccci-pidfile-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string pid_file = std::string(tmpl) + "/command.pid";
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  Command cmd;
  cmd.argv = {"bash", "-c", "sleep 60 & wait"};
  cmd.pid_file = pid_file;
  Result<ExecResult> r = InvalidArgument("not run");
  std::thread runner([&] { r = ex.Run(cmd, sink, cancel); });
  for (int i = 0; i < 500 && !std::ifstream(pid_file); ++i) usleep(10000);
  ASSERT_TRUE(std::ifstream(pid_file).good());
  EXPECT_TRUE(KillLeftoverGroup(pid_file));
  runner.join();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_FALSE(std::ifstream(pid_file).good());

  std::ofstream(pid_file) << getpid() << " 1\n";  // our pid, another start time
  EXPECT_FALSE(KillLeftoverGroup(pid_file));
  EXPECT_FALSE(std::ifstream(pid_file).good()) << "a stale file is removed";
  EXPECT_FALSE(KillLeftoverGroup(pid_file)) << "no file, nothing to do";
  rmdir(tmpl);
}

// Table printers (abra's lint) size themselves by the terminal: it must have a size.
TEST(PtyExecutor, TheTerminalHasASize) {
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  Command cmd;
  cmd.argv = {"stty", "size"};
  auto r = ex.Run(cmd, sink, cancel);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(sink.out.find(std::to_string(kPtyRows) + " " + std::to_string(kPtyColumns)),
            std::string::npos)
      << sink.out;
}

TEST(PtyExecutor, MissingProgramIsNotFound) {
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  Command cmd;
  cmd.argv = {"/nonexistent/abra"};
  auto r = ex.Run(cmd, sink, cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

TEST(PtyExecutor, TimeoutKillsWholeTreeIgnoringSigterm) {
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  Command cmd;
  std::string pidfile = "/tmp/ccci-runner-exec-" + std::to_string(getpid());
  cmd.argv = {
      "bash", "-c",
      "trap '' TERM; (trap '' TERM; sleep 300 & echo $! > " + pidfile + "; wait) & sleep 300"};
  cmd.timeout = std::chrono::milliseconds(300);
  cmd.grace = std::chrono::milliseconds(200);
  auto r = ex.Run(cmd, sink, cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->signal, SIGKILL);
  pid_t grandchild = std::stoi(ReadFile(pidfile));
  unlink(pidfile.c_str());
  bool gone = false;
  for (int i = 0; i < 500 && !gone; ++i) {  // bounded wait for init to reap
    gone = !Running(grandchild);
    if (!gone) usleep(10000);
  }
  EXPECT_TRUE(gone) << "orphan " << grandchild;
}

// A member that let go of the terminal and ignores SIGTERM (and the SIGHUP of the terminal's
// hangup): the leader dies of the SIGTERM and the terminal closes at once, yet Run returns
// only once the member is dead too (SIGKILL after the grace), not while it still runs.
TEST(PtyExecutor, AnEndedGroupIsDeadWhenRunReturnsEvenWithoutItsTerminal) {
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  Command cmd;
  std::string pidfile = "/tmp/ccci-runner-detached-" + std::to_string(getpid());
  unlink(pidfile.c_str());
  cmd.argv = {"bash", "-c",
              "(trap '' TERM HUP; exec sleep 300 </dev/null >/dev/null 2>&1) & echo $! > " +
                  pidfile + ".tmp && mv " + pidfile + ".tmp " + pidfile + "; wait"};
  cmd.grace = std::chrono::milliseconds(200);
  std::thread canceller([&] {
    ccci::testing::WaitUntil([&] { return !ReadFile(pidfile).empty(); });
    cancel.Cancel();
  });
  auto r = ex.Run(cmd, sink, cancel);
  canceller.join();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cancelled);
  EXPECT_EQ(r->signal, SIGTERM) << "the leader did not ignore it";
  pid_t member = std::stoi(ReadFile(pidfile));
  unlink(pidfile.c_str());
  EXPECT_FALSE(Running(member)) << "the group's member outlived Run";
  kill(member, SIGKILL);
}

TEST(PtyExecutor, CancelStopsCommand) {
  PtyExecutor ex;
  StringSink sink;
  CancelToken cancel;
  cancel.Cancel();
  Command cmd;
  cmd.argv = {"sleep", "300"};
  cmd.grace = std::chrono::milliseconds(200);
  auto r = ex.Run(cmd, sink, cancel);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->cancelled);
  EXPECT_FALSE(r->ok());
}

TEST(RedactingFileSink, RedactsSecretsSplitAcrossWrites) {
  std::string path = "/tmp/ccci-runner-sink-" + std::to_string(getpid());
  unlink(path.c_str());
  {
    RedactingFileSink sink(path, {"hunter2", "s3cr3t-token"}, 1 << 20);
    sink.Write("password=hun");
    sink.Write("ter2 and s3c");
    sink.Write("r3t-tok");
    sink.Write("en end hunter");
    sink.Close();
  }
  EXPECT_EQ(ReadFile(path), "password=*** and *** end hunter");
  unlink(path.c_str());
}

TEST(RedactingFileSink, CapsSize) {
  std::string path = "/tmp/ccci-runner-cap-" + std::to_string(getpid());
  unlink(path.c_str());
  {
    RedactingFileSink sink(path, {}, 10);
    sink.Write("0123456789abcdef");
  }
  std::string got = ReadFile(path);
  EXPECT_EQ(got.substr(0, 10), "0123456789");
  EXPECT_NE(got.find("truncated"), std::string::npos);
  unlink(path.c_str());
}

// The sink held back the last (longest secret - 1) bytes whatever they were, so a hung
// command's last line never reached the live log.
TEST(RedactingFileSink, ATailThatCannotStartASecretIsWrittenAtOnce) {
  std::string path = "/tmp/ccci-runner-tail-" + std::to_string(getpid());
  unlink(path.c_str());
  RedactingFileSink sink(path, {"hunter2", "s3cr3t-token"}, 1 << 20);
  sink.Write("step 1\nwaiting for the database");
  EXPECT_EQ(ReadFile(path), "step 1\nwaiting for the database");
  unlink(path.c_str());
}

TEST(RedactingFileSink, ATailThatMayStartASecretIsWrittenAfterASecondOfQuiet) {
  std::string path = "/tmp/ccci-runner-held-" + std::to_string(getpid());
  unlink(path.c_str());
  testing::FakeClock clock;
  RedactingFileSink sink(path, {"hunter2"}, 1 << 20, &clock);
  sink.Write("password: hun");
  sink.Idle();
  EXPECT_EQ(ReadFile(path), "password: ") << "\"hun\" may start the secret";
  clock.Advance(std::chrono::milliseconds(999));
  sink.Idle();
  EXPECT_EQ(ReadFile(path), "password: ");
  clock.Advance(std::chrono::milliseconds(1));
  sink.Idle();
  EXPECT_EQ(ReadFile(path), "password: hun") << "quiet for a second: shown";
  // Should the secret go on after all, the rest of it is still hidden.
  sink.Write("ter2 and more\n");
  EXPECT_EQ(ReadFile(path), "password: hun*** and more\n");
  unlink(path.c_str());
}

TEST(RedactingFileSink, OutputKeepsCountingAsNewWhileItArrives) {
  std::string path = "/tmp/ccci-runner-busy-" + std::to_string(getpid());
  unlink(path.c_str());
  testing::FakeClock clock;
  RedactingFileSink sink(path, {"hunter2"}, 1 << 20, &clock);
  sink.Write("a h");
  clock.Advance(std::chrono::milliseconds(900));
  sink.Write("un");
  clock.Advance(std::chrono::milliseconds(900));
  sink.Idle();
  EXPECT_EQ(ReadFile(path), "a ") << "the last write was 0.9 s ago";
  sink.Write("ter2");
  sink.Close();
  EXPECT_EQ(ReadFile(path), "a ***");
  unlink(path.c_str());
}

// A command that prints a line and hangs: that line is in the log while it runs.
TEST(PtyExecutor, AHungCommandsLastLineIsInTheLogWhileItRuns) {
  std::string path = "/tmp/ccci-runner-hung-" + std::to_string(getpid());
  unlink(path.c_str());
  RedactingFileSink sink(path, {"a-long-secret-value-of-32-bytes!"}, 1 << 20);
  PtyExecutor ex;
  CancelToken cancel;
  Command cmd;
  cmd.argv = {"bash", "-c", "printf 'step 1\\nwaiting for the database'; sleep 300"};
  cmd.grace = std::chrono::milliseconds(200);
  std::thread run([&] { (void)ex.Run(cmd, sink, cancel); });
  bool seen = false;
  for (int i = 0; i < 1000 && !seen; ++i) {  // bounded wait for the output to arrive
    seen = ReadFile(path).find("waiting for the database") != std::string::npos;
    if (!seen) usleep(10000);
  }
  cancel.Cancel();
  run.join();
  EXPECT_TRUE(seen) << "the log while the command hung: " << ReadFile(path);
  unlink(path.c_str());
}

}  // namespace
}  // namespace ccci::runner
