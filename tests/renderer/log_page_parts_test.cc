// The log page split around its log (how the server streams it) is the same page.
#include <gtest/gtest.h>

#include "renderer/pages.h"

namespace ccci::render {
namespace {

TEST(LogPagePartsTest, BeforeLogAfterIsThePage) {
  LogView v;
  v.stage = "install <x1>";  // escaped, so it can never look like the log's place
  v.log_html = "<span class=\"ansi-fg1\">x</span>\n";
  v.partial_html = "50%";
  v.sgr = "1;31";
  v.events_url = "/runs/9/logs/install/events";
  PageParts parts = RenderLogPageParts(v, "v1");
  EXPECT_EQ(parts.before + v.log_html + parts.after, RenderLogPage(v, "v1"));
  EXPECT_EQ(parts.before.substr(parts.before.size() - 1), ">") << "ends in the <pre> tag";
  EXPECT_EQ(parts.after.find("<span class=\"partial\" id=\"partial\">50%</span>"), 0u);
  EXPECT_NE(parts.after.find("data-sgr=\"1;31\""), std::string::npos);
}

}  // namespace
}  // namespace ccci::render
