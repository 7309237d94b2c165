#include "renderer/log_html.h"

#include <array>

namespace ccci::render {
namespace {

constexpr size_t kMaxParams = 64;      // longer CSI parameter strings are garbage: dropped
constexpr size_t kMaxOscBytes = 4096;  // an OSC never closed must not swallow the log

// xterm's default palette, which the 256-colour and RGB escapes are matched against.
constexpr std::array<std::array<int, 3>, 16> kPalette = {{
    {0, 0, 0},
    {205, 0, 0},
    {0, 205, 0},
    {205, 205, 0},
    {0, 0, 238},
    {205, 0, 205},
    {0, 205, 205},
    {229, 229, 229},
    {127, 127, 127},
    {255, 0, 0},
    {0, 255, 0},
    {255, 255, 0},
    {92, 92, 255},
    {255, 0, 255},
    {0, 255, 255},
    {255, 255, 255},
}};

void AppendEscaped(std::string* out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&':
        *out += "&amp;";
        break;
      case '<':
        *out += "&lt;";
        break;
      case '>':
        *out += "&gt;";
        break;
      case '"':
        *out += "&quot;";
        break;
      case '\'':
        *out += "&#39;";
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string ClassOf(const LogHtml::Style& s) {
  std::string c;
  auto add = [&](const std::string& name) {
    if (!c.empty()) c.push_back(' ');
    c += name;
  };
  if (s.bold) add("ansi-bold");
  if (s.dim) add("ansi-dim");
  if (s.italic) add("ansi-italic");
  if (s.underline) add("ansi-underline");
  if (s.fg >= 0) add("ansi-fg" + std::to_string(s.fg));
  if (s.bg >= 0) add("ansi-bg" + std::to_string(s.bg));
  return c;
}

}  // namespace

int NearestTerminalColor(int r, int g, int b) {
  int best = 0;
  long best_d = -1;
  for (int i = 0; i < 16; ++i) {
    long dr = r - kPalette[i][0], dg = g - kPalette[i][1], db = b - kPalette[i][2];
    long d = dr * dr + dg * dg + db * db;
    if (best_d < 0 || d < best_d) {
      best = i;
      best_d = d;
    }
  }
  return best;
}

int TerminalColorOf256(int n) {
  if (n < 0 || n > 255) return -1;
  if (n < 16) return n;
  if (n >= 232) {
    int level = 8 + 10 * (n - 232);
    return NearestTerminalColor(level, level, level);
  }
  static constexpr int kCube[6] = {0, 95, 135, 175, 215, 255};
  int i = n - 16;
  return NearestTerminalColor(kCube[i / 36], kCube[(i / 6) % 6], kCube[i % 6]);
}

namespace {

// Bytes shown as they are: everything but the C0 controls and DEL, plus the tab.
bool IsPlain(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 0x20 && u != 0x7f) || c == '\t';
}

}  // namespace

void LogHtml::Feed(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (mode_ == Mode::kText && !pending_cr_) {
      size_t j = i;
      while (j < bytes.size() && IsPlain(bytes[j])) ++j;
      if (j > i) {
        AppendText(bytes.substr(i, j - i));
        i = j;
        continue;
      }
    }
    Put(bytes[i++]);
  }
}

void LogHtml::AppendText(std::string_view text) {
  while (!text.empty()) {
    size_t room = kMaxLineBytes - line_bytes_;
    size_t n = text.size();
    if (n > room) {
      n = room;
      // Break before a character, not inside one.
      while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xc0) == 0x80) --n;
      if (n == 0 && line_bytes_ == 0) n = room;
    }
    if (n > 0) {
      if (line_.empty() || !(line_.back().style == style_)) line_.push_back({style_, ""});
      line_.back().text.append(text.substr(0, n));
      line_bytes_ += n;
      text.remove_prefix(n);
    }
    if (!text.empty()) EndLine();
  }
}

void LogHtml::PutInSequence(char c) {
  switch (mode_) {
    case Mode::kEsc:
      if (c == '[') {
        mode_ = Mode::kCsi;
        params_.clear();
      } else if (c == ']') {
        mode_ = Mode::kOsc;
        params_.clear();
      } else if (c == '(' || c == ')' || c == '*' || c == '+') {
        mode_ = Mode::kEscSkip;  // a charset designation: one more byte
      } else {
        mode_ = Mode::kText;  // a two-byte escape (ESC 7, ESC =, ...): dropped
      }
      return;
    case Mode::kEscSkip:
      mode_ = Mode::kText;
      return;
    case Mode::kCsi: {
      auto u = static_cast<unsigned char>(c);
      if (u >= 0x30 && u <= 0x3f) {
        if (params_.size() < kMaxParams) params_.push_back(c);
      } else if (u >= 0x40 && u <= 0x7e) {
        mode_ = Mode::kText;
        if (params_.size() < kMaxParams) Csi(c);
      } else if (u < 0x20 || u == 0x7f) {
        mode_ = Mode::kText;  // a broken sequence: the control byte still counts
        Put(c);
      }  // intermediate bytes (0x20-0x2f) are part of the sequence and ignored
      return;
    }
    case Mode::kOsc:
      // Window titles and hyperlinks: never shown. Ended by BEL or ESC \; a newline or an
      // overlong one ends it too, so a stray ESC ] cannot hide the rest of the log.
      if (c == '\a') {
        mode_ = Mode::kText;
      } else if (c == '\x1b') {
        mode_ = Mode::kOscEsc;
      } else if (c == '\n' || ++osc_bytes_ > kMaxOscBytes) {
        mode_ = Mode::kText;
        if (c == '\n') Put(c);
      }
      if (mode_ != Mode::kOsc) osc_bytes_ = 0;
      return;
    case Mode::kOscEsc:
      mode_ = Mode::kText;
      osc_bytes_ = 0;
      return;
    case Mode::kText:
      break;
  }
}

void LogHtml::Backspace() {
  // Removes the last character (a whole UTF-8 sequence).
  if (line_.empty()) return;
  std::string& t = line_.back().text;
  size_t before = t.size();
  while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xc0) == 0x80) t.pop_back();
  if (!t.empty()) t.pop_back();
  line_bytes_ -= before - t.size();
  if (t.empty()) line_.pop_back();
}

void LogHtml::Put(char c) {
  if (mode_ != Mode::kText) return PutInSequence(c);
  switch (c) {
    case '\x1b':
      mode_ = Mode::kEsc;
      return;
    case '\n':
      EndLine();
      return;
    case '\r':
      pending_cr_ = true;
      return;
    case '\b':
      Backspace();
      return;
    case '\t':
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') return;
  }
  if (pending_cr_) {
    ClearLine();  // the line is rewritten: only the last rewrite is kept
    pending_cr_ = false;
  }
  AppendText(std::string_view(&c, 1));
}

void LogHtml::Csi(char final_byte) {
  if (!params_.empty() && (params_[0] < '0' || params_[0] > ';')) return;  // private (?25l)
  std::vector<int> params;
  int cur = 0;
  bool any = false;
  for (char c : params_) {
    if (c >= '0' && c <= '9') {
      if (cur < 100000) cur = cur * 10 + (c - '0');
      any = true;
    } else {
      params.push_back(any ? cur : 0);
      cur = 0;
      any = false;
    }
  }
  params.push_back(any ? cur : 0);
  switch (final_byte) {
    case 'm':
      Sgr(params);
      break;
    case 'K':  // erase in line: after a \r (or for "whole line") the line is gone
      if (params[0] == 2 || (params[0] == 0 && pending_cr_)) ClearLine();
      break;
    case 'G':  // cursor to column 1 is a \r
      if (params[0] <= 1) pending_cr_ = true;
      break;
    default:
      break;  // cursor movement and the rest: a line-based log cannot show them
  }
}

void LogHtml::Sgr(const std::vector<int>& p) {
  for (size_t i = 0; i < p.size(); ++i) {
    int n = p[i];
    if (n == 0) {
      style_ = Style{};
    } else if (n == 1) {
      style_.bold = true;
    } else if (n == 2) {
      style_.dim = true;
    } else if (n == 3) {
      style_.italic = true;
    } else if (n == 4) {
      style_.underline = true;
    } else if (n == 21 || n == 22) {
      style_.bold = style_.dim = false;
    } else if (n == 23) {
      style_.italic = false;
    } else if (n == 24) {
      style_.underline = false;
    } else if (n >= 30 && n <= 37) {
      style_.fg = n - 30;
    } else if (n == 39) {
      style_.fg = -1;
    } else if (n >= 40 && n <= 47) {
      style_.bg = n - 40;
    } else if (n == 49) {
      style_.bg = -1;
    } else if (n >= 90 && n <= 97) {
      style_.fg = n - 90 + 8;
    } else if (n >= 100 && n <= 107) {
      style_.bg = n - 100 + 8;
    } else if (n == 38 || n == 48) {
      int color = -1;
      if (i + 2 < p.size() && p[i + 1] == 5) {
        color = TerminalColorOf256(p[i + 2]);
        i += 2;
      } else if (i + 4 < p.size() && p[i + 1] == 2) {
        color = NearestTerminalColor(p[i + 2], p[i + 3], p[i + 4]);
        i += 4;
      } else {
        return;  // malformed: the rest of the parameters cannot be trusted
      }
      (n == 38 ? style_.fg : style_.bg) = color;
    }
  }
}

void LogHtml::ClearLine() {
  line_.clear();
  line_bytes_ = 0;
}

void LogHtml::EndLine() {
  done_ += LineHtml();
  done_.push_back('\n');
  ClearLine();
  pending_cr_ = false;
}

std::string LogHtml::LineHtml() const {
  std::string out;
  for (const Segment& s : line_) {
    std::string cls = ClassOf(s.style);
    if (cls.empty()) {
      AppendEscaped(&out, s.text);
    } else {
      out += "<span class=\"" + cls + "\">";
      AppendEscaped(&out, s.text);
      out += "</span>";
    }
  }
  return out;
}

std::string LogHtml::Html() const { return done_ + LineHtml(); }

std::string LogHtml::TakeFinished() {
  std::string out;
  out.swap(done_);
  return out;
}

std::string LogHtml::TakeAll() {
  std::string out = TakeFinished() + LineHtml();
  ClearLine();
  return out;
}

std::string LogHtml::SgrState() const {
  std::string out;
  auto add = [&](int n) {
    if (!out.empty()) out.push_back(';');
    out += std::to_string(n);
  };
  if (style_.bold) add(1);
  if (style_.dim) add(2);
  if (style_.italic) add(3);
  if (style_.underline) add(4);
  if (style_.fg >= 0) add(style_.fg < 8 ? 30 + style_.fg : 90 + style_.fg - 8);
  if (style_.bg >= 0) add(style_.bg < 8 ? 40 + style_.bg : 100 + style_.bg - 8);
  return out;
}

std::string RenderLogHtml(std::string_view log) {
  LogHtml h;
  h.Feed(log);
  return h.Html();
}

}  // namespace ccci::render
