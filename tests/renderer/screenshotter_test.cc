#include "renderer/screenshotter.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "base/leftover_group.h"
#include "renderer/png_writer.h"
#include "tests/fakes/test_files.h"
#include "tests/renderer/page_server.h"

namespace ccci::render {
namespace {

using std::chrono::seconds;

std::string Pixel(const DecodedPng& img, int x, int y) {
  const auto* p = reinterpret_cast<const unsigned char*>(
      &img.rgba[(static_cast<size_t>(y) * img.width + x) * 4]);
  char buf[8];
  snprintf(buf, sizeof(buf), "#%02x%02x%02x", p[0], p[1], p[2]);
  return buf;
}

// One warm browser for the suite, as in production.
class ScreenshotterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shooter_ = new ChromiumScreenshotter(); }
  static void TearDownTestSuite() {
    delete shooter_;
    shooter_ = nullptr;
  }
  static ChromiumScreenshotter* shooter_;
};
ChromiumScreenshotter* ScreenshotterTest::shooter_ = nullptr;

TEST_F(ScreenshotterTest, CapturesThePageAt1280x800InItsColour) {
  testing::PageServer page("#3366cc");
  auto png = shooter_->Capture(page.url("/"), seconds(30));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  auto img = DecodePng(*png);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->width, kScreenshotWidth);
  EXPECT_EQ(img->height, kScreenshotHeight);
  EXPECT_EQ(Pixel(*img, 640, 400), "#3366cc");
  EXPECT_EQ(Pixel(*img, 1279, 799), "#3366cc");
  EXPECT_EQ(Pixel(*img, 1, 1), "#ffffff");  // the same-origin image loaded
  EXPECT_EQ(page.hits("/pixel.svg"), 1);
}

TEST_F(ScreenshotterTest, WarmBrowserServesConsecutiveCapturesOfDifferentPages) {
  testing::PageServer red("#cc0000");
  testing::PageServer green("#00aa00");
  auto a = shooter_->Capture(red.url(), seconds(30));
  pid_t pid = shooter_->browser_pid();
  auto b = shooter_->Capture(green.url(), seconds(30));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(shooter_->browser_pid(), pid);
  EXPECT_EQ(Pixel(*DecodePng(*a), 640, 400), "#cc0000");
  EXPECT_EQ(Pixel(*DecodePng(*b), 640, 400), "#00aa00");
}

// The capture comes after the load event and shows what the page drew in it.
TEST_F(ScreenshotterTest, CapturesThePageAsItIsAfterItsLoadEvent) {
  testing::PageServer page("#00aa00");
  auto png = shooter_->Capture(page.url("/onload"), seconds(30));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(Pixel(*DecodePng(*png), 640, 400), "#00aa00");
}

// The warm tab and its frame are reused: a second capture of the same URL must show the
// page's new content, not the last frame of the first.
TEST_F(ScreenshotterTest, RecapturingTheSameUrlShowsItsNewContent) {
  testing::PageServer page("#cc0000");
  auto first = shooter_->Capture(page.url(), seconds(30));
  page.SetColor("#0000cc");
  auto second = shooter_->Capture(page.url(), seconds(30));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Pixel(*DecodePng(*first), 640, 400), "#cc0000");
  EXPECT_EQ(Pixel(*DecodePng(*second), 640, 400), "#0000cc");
}

TEST_F(ScreenshotterTest, RequestsToOtherOriginsFail) {
  testing::PageServer foreign("#000000");
  testing::PageServer page("#3366cc", foreign.origin());
  auto png = shooter_->Capture(page.url(), seconds(30));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(page.hits("/"), 1);
  EXPECT_EQ(page.hits("/pixel.svg"), 1);
  EXPECT_EQ(foreign.hits("/foreign.svg"), 0);
}

TEST_F(ScreenshotterTest, OtherOriginsLoadWhenNotRestricted) {
  ChromiumOptions options;
  options.same_origin_only = false;
  ChromiumScreenshotter open(options);
  testing::PageServer foreign("#000000");
  testing::PageServer page("#3366cc", foreign.origin());
  auto png = open.Capture(page.url(), seconds(30));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(foreign.hits("/foreign.svg"), 1);  // proves the test above can fail
}

// An app domain no DNS knows is reached through runner.connect_to, as the readiness probe
// reaches it; without the mapping the same URL cannot be captured.
TEST_F(ScreenshotterTest, ReachesAnAppDomainThroughConnectTo) {
  testing::PageServer page("#3366cc");
  std::string port = page.origin().substr(page.origin().rfind(':') + 1);
  ChromiumOptions options;
  options.connect_to = {"app-1.ccci.test:80:127.0.0.1:" + port};
  ChromiumScreenshotter mapped(options);
  auto png = mapped.Capture("http://app-1.ccci.test/", seconds(30));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(Pixel(*DecodePng(*png), 640, 400), "#3366cc");
  EXPECT_EQ(Pixel(*DecodePng(*png), 1, 1), "#ffffff");  // same origin (the app domain) loads
  EXPECT_EQ(page.hits("/"), 1);

  auto unmapped = shooter_->Capture("http://app-1.ccci.test/", seconds(20));
  EXPECT_FALSE(unmapped.ok());
  EXPECT_EQ(page.hits("/"), 1);
}

TEST(HostResolverRules, TranslatesCurlConnectToEntries) {
  std::vector<std::string> left_out;
  EXPECT_EQ(HostResolverRules({"::127.0.0.1:443", "app.ci.test:80:10.0.0.5:", "a.test::b.test:8443",
                               "[::1]:443:[::1]:8443"},
                              &left_out),
            "MAP * 127.0.0.1:443,MAP app.ci.test:80 10.0.0.5,MAP a.test b.test:8443,"
            "MAP [::1]:443 [::1]:8443");
  EXPECT_TRUE(left_out.empty());
  EXPECT_EQ(HostResolverRules({"a.test:443::8443", "not-an-entry", "::127.0.0.1:443"}, &left_out),
            "MAP * 127.0.0.1:443");
  EXPECT_EQ(left_out, (std::vector<std::string>{"a.test:443::8443", "not-an-entry"}));
  EXPECT_EQ(HostResolverRules({}), "");
}

TEST_F(ScreenshotterTest, APageThatNeverLoadsTimesOutAndTheBrowserStaysUsable) {
  testing::PageServer page;
  auto png = shooter_->Capture(page.url("/slow"), std::chrono::milliseconds(1500));
  EXPECT_EQ(png.status().code(), Code::kDeadlineExceeded) << png.status().ToString();
  page.Release();
  auto next = shooter_->Capture(page.url("/"), seconds(30));
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(Pixel(*DecodePng(*next), 640, 400), "#3366cc");
}

TEST_F(ScreenshotterTest, AnUnreachableAppIsUnavailable) {
  testing::RefusingUrl gone;
  auto png = shooter_->Capture(gone.url(), seconds(30));
  EXPECT_EQ(png.status().code(), Code::kUnavailable) << png.status().ToString();
}

TEST_F(ScreenshotterTest, RejectsNonHttpUrls) {
  EXPECT_EQ(shooter_->Capture("file:///etc/passwd", seconds(5)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(shooter_->Capture("javascript:alert(1)", seconds(5)).status().code(),
            Code::kInvalidArgument);
}

TEST(ChromiumScreenshotter, TheBrowserGetsNoneOfCcCisSecrets) {
  setenv("CC_CI_GITEA_TOKEN", "tok-browser-3c1d", 1);
  ChromiumScreenshotter shooter;
  ASSERT_TRUE(shooter.Start().ok());
  unsetenv("CC_CI_GITEA_TOKEN");
  std::string env = testing::ReadFileOrDie("/proc/" + std::to_string(shooter.browser_pid()) + "/environ");
  EXPECT_NE(env.find("PATH="), std::string::npos);
  EXPECT_EQ(env.find("CC_CI_"), std::string::npos);
  EXPECT_EQ(env.find("tok-browser-3c1d"), std::string::npos);
}

// Chromium's own temporary files (its singleton socket's dir) are made in the profile dir
// and go with it: a browser killed with SIGKILL cannot remove them, and left in /tmp they
// piled up by one per browser.
TEST(ChromiumScreenshotter, TheBrowsersTemporaryFilesGoWithItsProfile) {
  std::string tmpdir;
  {
    ChromiumScreenshotter shooter;
    ASSERT_TRUE(shooter.Start().ok());
    std::string env =
        testing::ReadFileOrDie("/proc/" + std::to_string(shooter.browser_pid()) + "/environ");
    for (size_t at = 0; at < env.size(); at = env.find('\0', at) + 1) {
      std::string entry = env.c_str() + at;
      if (entry.rfind("TMPDIR=", 0) == 0) tmpdir = entry.substr(7);
      if (env.find('\0', at) == std::string::npos) break;
    }
    ASSERT_EQ(tmpdir.rfind("/tmp/ccci-chromium-", 0), 0u) << "TMPDIR=" << tmpdir;
    bool singleton = false;
    for (const auto& entry : std::filesystem::directory_iterator(tmpdir)) {
      singleton |= entry.path().filename().string().rfind("org.chromium.Chromium.", 0) == 0;
    }
    EXPECT_TRUE(singleton) << "chromium made its singleton dir in " << tmpdir;
  }
  EXPECT_FALSE(std::filesystem::exists(tmpdir));
}

TEST(ChromiumScreenshotter, RestartsABrowserThatDied) {
  ChromiumScreenshotter shooter;
  ASSERT_TRUE(shooter.Start().ok());
  pid_t first = shooter.browser_pid();
  ASSERT_GT(first, 0);
  kill(-first, SIGKILL);
  testing::PageServer page("#123456");
  auto png = shooter.Capture(page.url(), seconds(30));
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(Pixel(*DecodePng(*png), 640, 400), "#123456");
  EXPECT_NE(shooter.browser_pid(), first);
}

TEST(ChromiumScreenshotter, TheBrowserInheritsNoDescriptorsOfTheServer) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);  // no O_CLOEXEC, like Poco's sockets
  auto link = [](const std::string& path) {
    char buf[256];
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  };
  const std::string pipe_name = link("/proc/self/fd/" + std::to_string(fds[0]));
  ASSERT_FALSE(pipe_name.empty());
  ChromiumScreenshotter shooter;
  ASSERT_TRUE(shooter.Start().ok());
  const std::string dir = "/proc/" + std::to_string(shooter.browser_pid()) + "/fd";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++seen;
    EXPECT_NE(link(entry.path().string()), pipe_name) << entry.path();
  }
  EXPECT_GT(seen, 2);
  close(fds[0]);
  close(fds[1]);
}

// A cc-ci that was SIGKILLed could not stop its browser (it leads its own process group);
// the next start finds it through the pid file and kills it, and only it.
TEST(ChromiumScreenshotter, KillsTheBrowserAKilledOwnerLeftBehind) {
  testing::TempDir dir;
  char tmpl[] = "/tmp/ccci-chromium-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string profile = tmpl;
  std::string flag = "--user-data-dir=" + profile + "/profile";
  pid_t leftover = fork();
  if (leftover == 0) {
    setpgid(0, 0);
    setenv("TMPDIR", profile.c_str(), 1);  // its singleton dir goes with the profile
    int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execl("/usr/bin/chromium", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          flag.c_str(), "about:blank", static_cast<char*>(nullptr));
    _exit(127);
  }
  pid_t bystander = fork();  // a process the pid file must not take for the browser
  if (bystander == 0) {
    execl("/bin/sleep", "sleep", "60", static_cast<char*>(nullptr));
    _exit(127);
  }
  auto cmdline = [](pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline");
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  for (int i = 0; i < 500 && cmdline(leftover).find(flag) == std::string::npos; ++i) usleep(10000);
  ASSERT_NE(cmdline(leftover).find(flag), std::string::npos);

  std::string pid_file = dir.File("chromium.pid");
  // The pid of the browser once recorded, now another process: the start time differs.
  std::ofstream(pid_file) << bystander << " " << ProcessStartTime(leftover) << " /tmp/ccci-chromium-gone\n";
  {
    ChromiumOptions options;
    options.pid_file = pid_file;
    ChromiumScreenshotter shooter(options);
    ASSERT_TRUE(shooter.Start().ok());
    EXPECT_EQ(waitpid(bystander, nullptr, WNOHANG), 0) << "not a browser of that profile";
  }
  RecordGroup(pid_file, leftover, profile);
  {
    ChromiumOptions options;
    options.pid_file = pid_file;
    ChromiumScreenshotter shooter(options);
    ASSERT_TRUE(shooter.Start().ok());
    int status = 0;
    ASSERT_EQ(waitpid(leftover, &status, 0), leftover);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    std::ifstream in(pid_file);
    pid_t written = 0;
    in >> written;
    EXPECT_EQ(written, shooter.browser_pid()) << "the file names the running browser";
    EXPECT_FALSE(std::filesystem::exists(profile)) << "the leftover's profile is removed";
  }
  EXPECT_FALSE(std::filesystem::exists(pid_file)) << "a browser stopped cleanly leaves no file";
  kill(bystander, SIGKILL);
  waitpid(bystander, nullptr, 0);
}

TEST(ChromiumScreenshotter, AMissingBinaryIsAnError) {
  ChromiumOptions options;
  options.binary = "/nonexistent/chromium";
  ChromiumScreenshotter shooter(options);
  testing::PageServer page;
  auto png = shooter.Capture(page.url(), seconds(10));
  EXPECT_EQ(png.status().code(), Code::kUnavailable) << png.status().ToString();
}

TEST(PlaceholderScreenshot, IsA1280x800PngEvenForALongMessage) {
  auto png = PlaceholderScreenshotPng("no screenshot: " + std::string(500, 'x') + " \xff");
  ASSERT_TRUE(png.ok());
  auto img = DecodePng(*png);
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->width, kScreenshotWidth);
  EXPECT_EQ(img->height, kScreenshotHeight);
  EXPECT_EQ(Pixel(*img, 10, 10), "#eeeeee");
  EXPECT_EQ(Pixel(*img, 10, 400), "#eeeeee");  // the text stays inside its margins
  bool has_text = false;
  for (int x = 40; x < 1240 && !has_text; ++x) has_text = Pixel(*img, x, 403) != "#eeeeee";
  EXPECT_TRUE(has_text);
}

}  // namespace
}  // namespace ccci::render
