#include "base/child_env.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ccci {
namespace {

bool Has(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(ChildEnvTest, OnlyWhatAChildNeedsIsCopiedAndNeverCcCisOwn) {
  std::vector<std::string> parent_strings = {"PATH=/usr/bin",
                                             "HOME=/root",
                                             "LC_TIME=C",
                                             "CC_CI_GITEA_TOKEN=tok",
                                             "CC_CI_WEBHOOK_SECRET=sec",
                                             "AWS_SECRET_ACCESS_KEY=k",
                                             "FAKE_SWARM_DIR=/s",
                                             "NOEQUALS"};
  std::vector<char*> parent;
  for (auto& s : parent_strings) parent.push_back(s.data());
  parent.push_back(nullptr);
  auto env = ChildEnvironment({"FAKE_*", "CC_CI_*"}, {"ABRA_DIR=/a", "HOME=/work"}, parent.data());
  EXPECT_TRUE(Has(env, "PATH=/usr/bin"));
  EXPECT_TRUE(Has(env, "LC_TIME=C"));
  EXPECT_TRUE(Has(env, "FAKE_SWARM_DIR=/s"));
  EXPECT_TRUE(Has(env, "ABRA_DIR=/a"));
  EXPECT_TRUE(Has(env, "HOME=/work"));
  EXPECT_FALSE(Has(env, "HOME=/root")) << "a set entry overrides the copied one";
  for (const std::string& e : env) {
    EXPECT_NE(e.rfind("CC_CI_", 0), 0u) << e;
    EXPECT_NE(e.rfind("AWS_", 0), 0u) << e;
    EXPECT_NE(e, "NOEQUALS");
  }
}

}  // namespace
}  // namespace ccci
