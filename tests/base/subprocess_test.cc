#include "base/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace ccci {
namespace {

const std::string kPath = "PATH=/usr/local/bin:/usr/bin:/bin";

// Reads `fd` to its end and closes it.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// No such process, or only its zombie (whoever adopted it may not have reaped it yet).
bool Gone(pid_t pid) {
  int fd = open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;
  std::string stat = ReadAll(fd);
  size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] == 'Z' ||
         stat[paren + 2] == 'X';
}

// Runs `script` under sh with `options`, stdout to a pipe; what it printed.
std::string Output(const std::string& script, SpawnOptions options = {}) {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
  options.argv = {"sh", "-c", script};
  if (options.env.empty()) options.env = {kPath};
  options.stdout_fd = p[1];
  auto child = Subprocess::Spawn(options);
  close(p[1]);
  EXPECT_TRUE(child.ok()) << child.status().ToString();
  std::string out = ReadAll(p[0]);
  if (child.ok()) child->Wait();
  return out;
}

TEST(SubprocessTest, AMissingProgramIsNotFoundAndLeavesNothing) {
  SpawnOptions o;
  o.argv = {"/nonexistent/program"};
  o.env = {kPath};
  auto child = Subprocess::Spawn(o);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), Code::kNotFound) << child.status().ToString();
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << "the failed child was reaped";
}

TEST(SubprocessTest, AMissingDirIsNotFound) {
  SpawnOptions o;
  o.argv = {"true"};
  o.env = {kPath};
  o.cwd = "/nonexistent/dir";
  auto child = Subprocess::Spawn(o);
  ASSERT_FALSE(child.ok());
  EXPECT_EQ(child.status().code(), Code::kNotFound);
}

TEST(SubprocessTest, TheEnvironmentIsExactlyTheOneGiven) {
  setenv("CC_CI_SUBPROCESS_SECRET", "s3cret", 1);
  SpawnOptions o;
  o.env = {kPath, "GIVEN=yes"};
  EXPECT_EQ(Output("echo \"$GIVEN:$CC_CI_SUBPROCESS_SECRET:$HOME\"", o), "yes::\n");
  unsetenv("CC_CI_SUBPROCESS_SECRET");
}

TEST(SubprocessTest, NoDescriptorIsInheritedButTheThreeGiven) {
  int leaky = open("/dev/null", O_RDONLY);  // without close-on-exec, as a careless owner would
  ASSERT_GE(leaky, 3);
  std::string fds = Output("ls /proc/$$/fd");
  close(leaky);
  EXPECT_EQ(fds.find(std::to_string(leaky) + "\n"), std::string::npos) << fds;
  EXPECT_NE(fds.find("1\n"), std::string::npos) << fds;
}

TEST(SubprocessTest, ItLeadsItsOwnGroupOrStaysInOurs) {
  // "<pid> <pgid>" of the shell (field 5 of /proc/<pid>/stat is the group).
  const std::string script = "echo $$ $(cut -d' ' -f5 /proc/$$/stat)";
  std::string own = Output(script);
  std::string pid = own.substr(0, own.find(' '));
  EXPECT_EQ(own, pid + " " + pid + "\n");
  SpawnOptions o;
  o.group = ProcessGroup::kInherit;
  std::string inherited = Output(script, o);
  EXPECT_EQ(inherited.substr(inherited.find(' ') + 1), std::to_string(getpgrp()) + "\n");
}

TEST(SubprocessTest, APtyIsTheControllingTerminalOfTheGivenSize) {
  SpawnOptions o;
  o.argv = {"sh", "-c", "tty; stty size"};
  o.env = {kPath};
  o.pty = true;
  o.pty_rows = 50;
  o.pty_columns = 200;
  auto child = Subprocess::Spawn(o);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(child->pty(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(child->Wait(), 0);
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
  EXPECT_NE(out.find("50 200"), std::string::npos) << out;
}

TEST(SubprocessTest, TerminateGroupEndsWhatTheChildStartedToo) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  // The grandchild ignores SIGTERM: only the SIGKILL after the grace ends it.
  SpawnOptions o;
  o.argv = {"sh", "-c", "trap '' TERM; sleep 60 & echo $!; wait"};
  o.env = {kPath};
  o.stdout_fd = p[1];
  auto child = Subprocess::Spawn(o);
  close(p[1]);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  std::string line;
  char c;
  while (read(p[0], &c, 1) == 1 && c != '\n') line += c;
  close(p[0]);
  pid_t grandchild = std::stoi(line);
  EXPECT_FALSE(child->WaitFor(std::chrono::milliseconds(50)).has_value()) << "still running";
  pid_t pid = child->pid();
  EXPECT_TRUE(TerminateGroup(pid, std::chrono::milliseconds(200), std::chrono::seconds(5),
                             [&] { return child->TryWait() && Gone(grandchild); }));
  EXPECT_TRUE(Gone(grandchild)) << "the grandchild outlived its group";
  ASSERT_TRUE(child->TryWait().has_value());
}

}  // namespace
}  // namespace ccci
