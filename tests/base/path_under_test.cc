#include "base/path_under.h"

#include <gtest/gtest.h>

namespace ccci {
namespace {

TEST(PathUnderTest, PlainRelativeNamesStayUnderTheRoot) {
  EXPECT_EQ(PathUnder("/data/work/1", "abra/recipes/nextcloud").value(),
            "/data/work/1/abra/recipes/nextcloud");
  EXPECT_EQ(PathUnder("/o", "nextcloud.ini").value(), "/o/nextcloud.ini");
  EXPECT_EQ(PathUnder("/o", "..hidden").value(), "/o/..hidden");
}

TEST(PathUnderTest, AnythingThatCouldLeaveTheRootIsRefused) {
  for (const std::string& bad :
       std::vector<std::string>{"", "/etc/passwd", "..", "../x", "a/../../x", "a/./b", "a//b", "a/",
                                "./a", "a\nb", std::string("a\0b", 3)}) {
    EXPECT_FALSE(PathUnder("/o", bad).ok()) << bad;
  }
  auto r = PathUnder("/o", "../../planted");
  EXPECT_EQ(r.status().message(),
            "'../../planted' is not a path under /o: it has an empty, . or .. part");
}

}  // namespace
}  // namespace ccci
