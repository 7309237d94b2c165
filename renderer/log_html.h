#pragma once
// A stage log as HTML. Logs are what abra wrote to a pty: ANSI colours, \r progress lines,
// cursor and title escapes. This is a small terminal: SGR colours and styles become spans
// with classes (assets/style.css; no inline styles, so a strict CSP holds), a line rewritten
// after \r keeps only its last rewrite, every other escape sequence is dropped, and all text
// is HTML-escaped. assets/log.js does the same for live lines in the browser; keep the two
// in step. A line longer than kMaxLineBytes is broken there, so a log of any length renders
// in bounded memory when its HTML is taken as it goes (TakeFinished).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccci::render {

class LogHtml {
 public:
  static constexpr size_t kMaxLineBytes = 64 * 1024;

  // Feeds more of the log. Sequences and lines split across calls are joined.
  void Feed(std::string_view bytes);

  // The HTML (for inside a <pre>) of everything fed (since the last Take*): the finished
  // lines, each ending in '\n', then the unfinished line as it stands.
  std::string Html() const;
  // The HTML of the lines finished since the last Take*, handed over and forgotten.
  std::string TakeFinished();
  // Html(), handed over: the unfinished line is forgotten too (the style stays).
  std::string TakeAll();

  // SGR parameters ("1;31") that reproduce the current style, "" when plain: a live view
  // that continues the log from here starts in this style.
  std::string SgrState() const;

  struct Style {
    int fg = -1;  // 0..15 (the 16 terminal colours), -1 default
    int bg = -1;
    bool bold = false, dim = false, italic = false, underline = false;
    bool operator==(const Style&) const = default;
  };

 private:
  struct Segment {
    Style style;
    std::string text;
  };
  enum class Mode { kText, kEsc, kEscSkip, kCsi, kOsc, kOscEsc };

  void Put(char c);
  // Put() inside an escape sequence (mode_ is not kText).
  void PutInSequence(char c);
  void Backspace();
  // Appends printable text to the line, in the current style.
  void AppendText(std::string_view text);
  void EndLine();
  void ClearLine();
  std::string LineHtml() const;
  void Csi(char final_byte);
  void Sgr(const std::vector<int>& params);

  std::string done_;  // HTML of the finished lines
  std::vector<Segment> line_;
  size_t line_bytes_ = 0;    // text bytes in line_
  bool pending_cr_ = false;  // a \r was seen: the next text rewrites the line
  Style style_;
  Mode mode_ = Mode::kText;
  std::string params_;
  size_t osc_bytes_ = 0;
};

// The whole log at once.
std::string RenderLogHtml(std::string_view log);

// The nearest of the 16 terminal colours (xterm's palette) to an RGB colour and to an entry
// of the 256-colour palette; the log's CSS has a class per terminal colour only.
int NearestTerminalColor(int r, int g, int b);
int TerminalColorOf256(int n);

}  // namespace ccci::render
