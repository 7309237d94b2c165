// routes.h: the paths the server answers, built in one place.
#include "domain/routes.h"

#include <gtest/gtest.h>

namespace ccci {
namespace {

TEST(RoutesTest, RunPaths) {
  EXPECT_EQ(routes::Run(42), "/runs/42");
  EXPECT_EQ(routes::RunBadge(42), "/runs/42/badge.svg");
  EXPECT_EQ(routes::RunCard(42), "/runs/42/card.png");
  EXPECT_EQ(routes::RunScreenshot(42), "/runs/42/screenshot.png");
  EXPECT_EQ(routes::ApiRun(42), "/api/runs/42");
}

TEST(RoutesTest, AStageLogNamesTheRetryAndEncodesTheName) {
  EXPECT_EQ(routes::StageLog(7, "install"), "/runs/7/logs/install");
  EXPECT_EQ(routes::StageLog(7, "backup", 2), "/runs/7/logs/backup.1");
  // As Poco::URI::encode(name, "/?#%&+;=") did before: ':' and '@' stay.
  EXPECT_EQ(routes::StageLog(7, "a b/c?d:e@f"), "/runs/7/logs/a%20b%2Fc%3Fd:e@f");
}

TEST(RoutesTest, BadgePaths) {
  EXPECT_EQ(routes::RecipeBadge("coop-cloud/bonfire", "svg"), "/badge/coop-cloud/bonfire.svg");
  EXPECT_EQ(routes::HistoryBadge("coop-cloud/bonfire"), "/badge/coop-cloud/bonfire/history.svg");
  EXPECT_EQ(routes::PrBadge("coop-cloud/bonfire", 3), "/badge/coop-cloud/bonfire/pulls/3.svg");
}

}  // namespace
}  // namespace ccci
