// Stage logs as HTML: ANSI colours to classes, \r rewrites, dropped escapes, escaping.
#include "renderer/log_html.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace ccci::render {
namespace {

struct Case {
  const char* name;
  std::string log;
  std::string html;
};

// Test names show the case's name, not its bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LogHtmlCases : public ::testing::TestWithParam<Case> {};

TEST_P(LogHtmlCases, Renders) {
  const Case& c = GetParam();
  EXPECT_EQ(RenderLogHtml(c.log), c.html);
  // Fed in two pieces at every split point (the live stream cuts anywhere), same result.
  for (size_t i = 1; i < c.log.size(); ++i) {
    LogHtml h;
    h.Feed(std::string_view(c.log).substr(0, i));
    h.Feed(std::string_view(c.log).substr(i));
    ASSERT_EQ(h.Html(), c.html) << "split at " << i;
  }
  // Taken as it goes, a line at a time (how a log page is streamed), same result.
  LogHtml h;
  std::string taken;
  for (char ch : c.log) {
    h.Feed(std::string_view(&ch, 1));
    taken += h.TakeFinished();
  }
  EXPECT_EQ(taken + h.TakeAll(), c.html);
}

TEST(LogHtmlTest, AVeryLongLineIsBrokenSoMemoryStaysBounded) {
  std::string line(LogHtml::kMaxLineBytes * 2 + 10, 'x');
  line.replace(LogHtml::kMaxLineBytes - 1, 2, "\xc3\xa9");  // an é across the limit
  LogHtml h;
  h.Feed(line);
  std::string done = h.TakeFinished();
  size_t nl = done.find('\n');
  EXPECT_EQ(nl, LogHtml::kMaxLineBytes - 1) << "broken before the é, not inside it";
  EXPECT_EQ(done.substr(nl + 1, 2), "\xc3\xa9");
  EXPECT_EQ(std::count(done.begin(), done.end(), '\n'), 2);
  h.Feed("\n");
  std::string rest = h.TakeAll();
  EXPECT_EQ(done.size() + rest.size(), line.size() + 3) << "two breaks and the newline";
}

INSTANTIATE_TEST_SUITE_P(
    Terminal, LogHtmlCases,
    ::testing::Values(
        Case{"plain", "hello\nworld\n", "hello\nworld\n"},
        Case{"escaped", "<script>alert('x')</script> & \"q\"\n",
             "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\n"},
        Case{"colour_and_reset", "\x1b[31mred\x1b[0m plain\n",
             "<span class=\"ansi-fg1\">red</span> plain\n"},
        Case{"bold_bright", "\x1b[1;92mok\x1b[22m thin\x1b[39m\n",
             "<span class=\"ansi-bold ansi-fg10\">ok</span><span class=\"ansi-fg10\"> "
             "thin</span>\n"},
        Case{"background_and_default", "\x1b[41;97mX\x1b[49mY\x1b[mZ",
             "<span class=\"ansi-fg15 ansi-bg1\">X</span><span class=\"ansi-fg15\">Y</span>Z"},
        Case{"colour_256", "\x1b[38;5;196mA\x1b[38;5;2mB\x1b[48;5;232mC",
             "<span class=\"ansi-fg9\">A</span><span class=\"ansi-fg2\">B</span>"
             "<span class=\"ansi-fg2 ansi-bg0\">C</span>"},
        Case{"truecolor", "\x1b[38;2;10;10;230mblue", "<span class=\"ansi-fg4\">blue</span>"},
        Case{"styles", "\x1b[2;3;4mx\x1b[23;24my",
             "<span class=\"ansi-dim ansi-italic ansi-underline\">x</span>"
             "<span class=\"ansi-dim\">y</span>"},
        Case{"colour_spans_lines", "\x1b[31ma\nb\x1b[0m\n",
             "<span class=\"ansi-fg1\">a</span>\n<span class=\"ansi-fg1\">b</span>\n"},
        Case{"progress_keeps_last_rewrite", "pull 10%\rpull 50%\rpull 100%\ndone\n",
             "pull 100%\ndone\n"},
        Case{"crlf_is_a_newline", "a\r\nb\r\n", "a\nb\n"},
        Case{"trailing_cr_keeps_line", "abc\r", "abc"},
        Case{"cr_then_erase", "waiting...\r\x1b[Kready\n", "ready\n"},
        Case{"erase_whole_line", "old\x1b[2Knew\n", "new\n"},
        Case{"column_one_is_cr", "spinner |\x1b[1Gspinner /\n", "spinner /\n"},
        Case{"coloured_rewrite", "\x1b[33m 1/3\r\x1b[32m 3/3\x1b[0m\n",
             "<span class=\"ansi-fg2\"> 3/3</span>\n"},
        Case{"osc_title_and_link", "\x1b]0;abra\x07\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\\n",
             "link\n"},
        Case{"osc_cut_by_newline", "\x1b]0;never closed\nvisible\n", "\nvisible\n"},
        Case{"cursor_and_private_modes", "\x1b[?25l\x1b[1A\x1b[2Jtext\x1b[?25h\n", "text\n"},
        Case{"charset_designation", "\x1b(Btext\x1b=\n", "text\n"},
        Case{"backspace_utf8", "caf\xc3\xa9\b\be!\n", "cae!\n"},
        Case{"controls_dropped_tab_kept", "a\x07\x01\tb\x7f\n", "a\tb\n"},
        Case{"utf8_passes", "\xe2\x9c\x94 ok \xf0\x9f\x9a\x80\n",
             "\xe2\x9c\x94 ok \xf0\x9f\x9a\x80\n"},
        Case{"markup_inside_colour", "\x1b[31m<img src=x onerror=alert(1)>\x1b[0m",
             "<span class=\"ansi-fg1\">&lt;img src=x onerror=alert(1)&gt;</span>"},
        Case{"malformed_extended_colour", "\x1b[38;9;1mx", "x"}),
    [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(LogHtmlTest, SgrStateReproducesTheStyle) {
  LogHtml h;
  EXPECT_EQ(h.SgrState(), "");
  h.Feed("\x1b[1;31;44mx");
  EXPECT_EQ(h.SgrState(), "1;31;44");
  h.Feed("\x1b[0;95;103m");
  EXPECT_EQ(h.SgrState(), "95;103");
  h.Feed("\x1b[0m");
  EXPECT_EQ(h.SgrState(), "");
  // Feeding the state back starts a new log in the same style.
  LogHtml a, b;
  a.Feed("\x1b[4;36mfirst\n");
  b.Feed("\x1b[" + a.SgrState() + "m");
  a.Feed("second");
  b.Feed("second");
  EXPECT_EQ(a.Html().substr(a.Html().find('\n') + 1), b.Html());
}

TEST(LogHtmlTest, TerminalColourMatching) {
  EXPECT_EQ(TerminalColorOf256(1), 1);
  EXPECT_EQ(TerminalColorOf256(15), 15);
  EXPECT_EQ(TerminalColorOf256(196), 9);  // #ff0000
  EXPECT_EQ(TerminalColorOf256(16), 0);   // #000000
  EXPECT_EQ(TerminalColorOf256(255), 7);  // #eeeeee
  EXPECT_EQ(TerminalColorOf256(300), -1);
  EXPECT_EQ(NearestTerminalColor(250, 250, 250), 15);
  EXPECT_EQ(NearestTerminalColor(120, 120, 120), 8);
}

TEST(LogHtmlTest, ALongLogIsLinear) {
  std::string line = "\x1b[32m[ok]\x1b[0m step <done>\r\n";
  std::string log;
  for (int i = 0; i < 20000; ++i) log += line;
  std::string html = RenderLogHtml(log);
  EXPECT_EQ(html.size(),
            20000 * std::string("<span class=\"ansi-fg2\">[ok]</span> step &lt;done&gt;\n").size());
}

}  // namespace
}  // namespace ccci::render
