#include "renderer/cli.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "renderer/png_writer.h"
#include "tests/fakes/test_files.h"
#include "tests/renderer/page_server.h"

namespace ccci::render {
namespace {

int Invoke(int (*command)(int, char**), std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return command(static_cast<int>(args.size()), argv.data());
}

TEST(ScreenshotCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(Invoke(RunScreenshotCommand, {"screenshot"}), 2);
  EXPECT_EQ(Invoke(RunScreenshotCommand, {"screenshot", "http://127.0.0.1:9/"}), 2);  // no --out
  EXPECT_EQ(Invoke(RunScreenshotCommand, {"screenshot", "http://a/", "--out"}), 2);
  EXPECT_EQ(Invoke(RunScreenshotCommand,
                   {"screenshot", "http://a/", "--out", "x.png", "--timeout", "soon"}),
            2);
  EXPECT_EQ(Invoke(RunScreenshotCommand, {"screenshot", "http://a/", "--bogus", "1"}), 2);
  EXPECT_EQ(Invoke(RunScreenshotCommand, {"screenshot", "file:///etc/passwd", "--out", "x.png"}),
            2);
  EXPECT_EQ(Invoke(RunScreenshotCommand, {"screenshot", "--help"}), 0);
}

TEST(ScreenshotCommand, WritesThePagePng) {
  testing::PageServer page("#22aa44");
  testing::TempDir dir;
  const std::string out = dir.path() + "/shot.png";
  ASSERT_EQ(Invoke(RunScreenshotCommand, {"screenshot", page.url(), "--out", out}), 0);
  auto img = DecodePng(testing::ReadFileOrDie(out));
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->width, 1280);
  EXPECT_EQ(img->height, 800);
}

TEST(ScreenshotCommand, AnUnreachablePageExitsOne) {
  testing::RefusingUrl gone;
  testing::TempDir dir;
  EXPECT_EQ(
      Invoke(RunScreenshotCommand, {"screenshot", gone.url(), "--out", dir.path() + "/x.png"}),
      1);
}

TEST(RenderCommand, UsageErrorsExitTwo) {
  EXPECT_EQ(Invoke(RunRenderCommand, {"render"}), 2);
  EXPECT_EQ(Invoke(RunRenderCommand, {"render", "poster"}), 2);
  EXPECT_EQ(Invoke(RunRenderCommand, {"render", "card", "--out", "x.png"}), 2);
  EXPECT_EQ(Invoke(RunRenderCommand, {"render", "--help"}), 0);
}

}  // namespace
}  // namespace ccci::render
