// The real agent CLIs, installed from the npm registry by scripts/setup.sh into
// <build>/npm (@anthropic-ai/claude-code, opencode-ai): every flag the supervisor passes
// (supervisor/backend.cc), and the output formats it reads, must be in their --help. The
// fakes in tests/supervisor/fakes stand in for them elsewhere; this keeps both honest.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "supervisor/backend.h"
#include "supervisor/config.h"

namespace ccci::supervisor {
namespace {

const std::string kBin = CCCI_AGENT_BIN_DIR;

// `cli args --help`, with a HOME of its own so nothing of the user's is read or written.
std::string Help(const std::string& cli, const std::string& args) {
  char home[] = "/tmp/ccci-agent-home-XXXXXX";
  if (!mkdtemp(home)) return "";
  std::string cmd = "HOME=" + std::string(home) + " '" + kBin + "/" + cli + "' " + args +
                    " --help 2>&1; rm -rf '" + home + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

// "-p, --print", "--model <model>", "--format=json": the flag as a word of the help text.
bool Lists(const std::string& help, const std::string& flag) {
  for (size_t at = help.find(flag); at != std::string::npos; at = help.find(flag, at + 1)) {
    char before = at == 0 ? ' ' : help[at - 1];
    char after = at + flag.size() < help.size() ? help[at + flag.size()] : ' ';
    if ((before == ' ' || before == '\n') &&
        (after == ' ' || after == ',' || after == '=' || after == '\n')) {
      return true;
    }
  }
  return false;
}

std::vector<std::string> Flags(const AgentCommand& cmd) {
  std::vector<std::string> flags;
  for (const std::string& a : cmd.argv) {
    if (a.size() > 1 && a[0] == '-') flags.push_back(a);
  }
  return flags;
}

AgentCommand Command(Backend backend) {
  SupervisorConfig c;
  c.backend = backend;
  c.model = "m";
  c.opencode_url = "http://127.0.0.1:4096";
  SessionRequest r;
  r.loop = "builder";
  r.prompt = "p";
  r.resume_id = "a-session";  // every flag, --resume and --session included
  return BuildAgentCommand(c, r, {});
}

class AgentCliContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* cli : {"claude", "opencode"}) {
      ASSERT_EQ(access((kBin + "/" + cli).c_str(), X_OK), 0)
          << kBin << "/" << cli << " is missing: scripts/setup.sh installs it from npm";
    }
  }
};

TEST_F(AgentCliContractTest, ClaudeKnowsEveryFlagTheSupervisorPasses) {
  std::string help = Help("claude", "");
  ASSERT_THAT(help, ::testing::HasSubstr("Usage: claude")) << help;
  AgentCommand cmd = Command(Backend::kClaude);
  ASSERT_EQ(Flags(cmd).size(), 5u);
  for (const std::string& flag : Flags(cmd)) EXPECT_TRUE(Lists(help, flag)) << flag << "\n" << help;
  EXPECT_THAT(help, ::testing::HasSubstr("\"stream-json\""));
}

TEST_F(AgentCliContractTest, OpencodeRunKnowsEveryFlagTheSupervisorPasses) {
  std::string help = Help("opencode", "run");
  ASSERT_THAT(help, ::testing::HasSubstr("opencode run [message..]")) << help;
  AgentCommand cmd = Command(Backend::kOpencode);
  ASSERT_EQ(Flags(cmd).size(), 5u);
  for (const std::string& flag : Flags(cmd)) EXPECT_TRUE(Lists(help, flag)) << flag << "\n" << help;
  EXPECT_THAT(help, ::testing::HasSubstr("json (raw JSON events)"));
}

}  // namespace
}  // namespace ccci::supervisor
