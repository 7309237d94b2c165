#include "renderer/cli.h"

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "renderer/badge.h"
#include "renderer/card.h"
#include "renderer/screenshotter.h"

namespace ccci::render {
namespace {

constexpr const char* kUsage =
    "Usage: cc-ci render badge --label TEXT --message TEXT [--color C | --level N] --out FILE\n"
    "       cc-ci render card --run FILE.json --out FILE.png\n"
    "\n"
    "card: the 1200x630 summary card of a run, from a results JSON file (recipe, repo, pr,\n"
    "sha, state, previous_level, screenshot, stages[{name, status, reason, duration_ms}]).\n"
    "\n"
    "Renders a badge in shields.io's flat style with the bundled DejaVu Sans. The format comes\n"
    "from FILE's extension: .svg (text, readable by screen readers) or .png (add --scale 2 for\n"
    "high-density screens).\n"
    "\n"
    "Options:\n"
    "  --label TEXT     left text (default: cc-ci)\n"
    "  --message TEXT   right text (default with --level: \"level N\")\n"
    "  --color C        right background: #rgb, #rrggbb, or brightgreen, green, yellowgreen,\n"
    "                   yellow, orange, red, blue, lightgrey\n"
    "  --level N        0-8: the level's message and colour\n"
    "  --scale N        PNG only: 1 (20 px high, default) to 4\n"
    "  --out FILE       where to write (.svg or .png); '-' writes SVG to stdout\n";

int Usage(const std::string& error) {
  fprintf(stderr, "cc-ci render: %s\n(see cc-ci render --help)\n", error.c_str());
  return 2;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int RenderBadge(int argc, char** argv) {
  BadgeSpec spec;
  std::optional<std::string> message, color, out;
  std::optional<int> level;
  int scale = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return Usage(a + " needs a value");
    std::string v = argv[++i];
    if (a == "--label") {
      spec.label = v;
    } else if (a == "--message") {
      message = v;
    } else if (a == "--color") {
      color = v;
    } else if (a == "--out") {
      out = v;
    } else if (a == "--level") {
      if (v.size() != 1 || v[0] < '0' || v[0] > '0' + domain::kMaxLevel) {
        return Usage("--level must be 0-" + std::to_string(domain::kMaxLevel));
      }
      level = v[0] - '0';
    } else if (a == "--scale") {
      if (v.size() != 1 || v[0] < '1' || v[0] > '4') return Usage("--scale must be 1-4");
      scale = v[0] - '0';
    } else {
      return Usage("unknown option '" + a + "'");
    }
  }
  if (!out) return Usage("--out is required");
  if (color && level) return Usage("give --color or --level, not both");
  if (level) {
    BadgeSpec l = BadgeForLevel(*level);
    spec.color = l.color;
    spec.message = l.message;
  }
  if (message) spec.message = *message;
  if (!message && !level) return Usage("--message (or --level) is required");
  if (color) {
    auto c = NormalizeColor(*color);
    if (!c) return Usage("--color '" + *color + "' is not #rgb, #rrggbb or a known name");
    spec.color = *c;
  }
  std::string data;
  if (*out == "-" || EndsWith(*out, ".svg")) {
    data = RenderBadgeSvg(spec);
  } else if (EndsWith(*out, ".png")) {
    auto png = RenderBadgePng(spec, scale);
    if (!png.ok()) {
      fprintf(stderr, "cc-ci render: %s\n", png.status().message().c_str());
      return 1;
    }
    data = std::move(*png);
  } else {
    return Usage("--out must end in .svg or .png");
  }
  if (*out == "-") {
    fwrite(data.data(), 1, data.size(), stdout);
    return 0;
  }
  std::ofstream f(*out, std::ios::binary);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!f.good()) {
    fprintf(stderr, "cc-ci render: cannot write %s\n", out->c_str());
    return 1;
  }
  return 0;
}

int RenderCard(int argc, char** argv) {
  std::optional<std::string> run_file, out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return Usage(a + " needs a value");
    std::string v = argv[++i];
    if (a == "--run")
      run_file = v;
    else if (a == "--out")
      out = v;
    else
      return Usage("unknown option '" + a + "'");
  }
  if (!run_file || !out) return Usage("card needs --run FILE.json and --out FILE.png");
  std::ifstream in(*run_file, std::ios::binary);
  if (!in) {
    fprintf(stderr, "cc-ci render: cannot read %s\n", run_file->c_str());
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string dir =
      run_file->find('/') == std::string::npos ? "." : run_file->substr(0, run_file->rfind('/'));
  auto run = ParseRunJson(text.str(), dir);
  if (!run.ok()) {
    fprintf(stderr, "cc-ci render: %s: %s\n", run_file->c_str(), run.status().message().c_str());
    return 1;
  }
  auto png = RenderCardPng(*run);
  if (!png.ok()) {
    fprintf(stderr, "cc-ci render: %s\n", png.status().message().c_str());
    return 1;
  }
  std::ofstream f(*out, std::ios::binary);
  f.write(png->data(), static_cast<std::streamsize>(png->size()));
  if (!f.good()) {
    fprintf(stderr, "cc-ci render: cannot write %s\n", out->c_str());
    return 1;
  }
  return 0;
}

constexpr const char* kScreenshotUsage =
    "Usage: cc-ci screenshot URL --out FILE.png [--timeout SECONDS]\n"
    "\n"
    "Loads URL (http or https) in headless Chromium (/usr/bin/chromium) at 1280x800, waits for\n"
    "its load event and writes a PNG. Requests to other origins than URL's fail, as in CI.\n"
    "\n"
    "Options:\n"
    "  --out FILE.png     where to write\n"
    "  --timeout SECONDS  give up after this long, browser start included (default 30)\n";

int ScreenshotUsage(const std::string& error) {
  fprintf(stderr, "cc-ci screenshot: %s\n(see cc-ci screenshot --help)\n", error.c_str());
  return 2;
}

}  // namespace

int RunScreenshotCommand(int argc, char** argv) {
  std::optional<std::string> url, out;
  double timeout_s = 30;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(kScreenshotUsage, stdout);
      return 0;
    }
    if (a.rfind("--", 0) != 0) {
      if (url) return ScreenshotUsage("more than one URL");
      url = a;
      continue;
    }
    if (i + 1 >= argc) return ScreenshotUsage(a + " needs a value");
    std::string v = argv[++i];
    if (a == "--out") {
      out = v;
    } else if (a == "--timeout") {
      char* end = nullptr;
      timeout_s = strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(timeout_s > 0) || timeout_s > 3600) {
        return ScreenshotUsage("--timeout needs a number of seconds (0-3600)");
      }
    } else {
      return ScreenshotUsage("unknown option '" + a + "'");
    }
  }
  if (!url) return ScreenshotUsage("needs a URL");
  if (!out) return ScreenshotUsage("needs --out FILE.png");
  ChromiumScreenshotter shooter;
  auto png =
      shooter.Capture(*url, std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));
  if (!png.ok()) {
    fprintf(stderr, "cc-ci screenshot: %s\n", png.status().ToString().c_str());
    return png.status().code() == Code::kInvalidArgument ? 2 : 1;
  }
  std::ofstream f(*out, std::ios::binary);
  f.write(png->data(), static_cast<std::streamsize>(png->size()));
  if (!f.good()) {
    fprintf(stderr, "cc-ci screenshot: cannot write %s\n", out->c_str());
    return 1;
  }
  return 0;
}

int RunRenderCommand(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string what = argv[1];
  if (what == "badge") return RenderBadge(argc - 1, argv + 1);
  if (what == "card") return RenderCard(argc - 1, argv + 1);
  return Usage("unknown target '" + what + "' (render badge | render card)");
}

}  // namespace ccci::render
