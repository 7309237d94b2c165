#pragma once
// Badges in shields.io's "flat" style (DESIGN.md): 20 px high, corner radius 3, 5 px of
// padding each side of each text, DejaVu Sans 11 px, white text over a dark shadow. The SVG is
// small real text (a screen reader reads it); the PNG has the same geometry and font, drawn
// without a Cairo context per badge (flat fills, and glyph masks Cairo rasterized once: see
// PixelTextPainter), so a server renders tens of thousands a second.

#include <optional>
#include <string>

#include "base/status.h"
#include "domain/level.h"

namespace ccci::render {

struct BadgeSpec {
  std::string label = "cc-ci";
  std::string message;
  std::string color = "#9f9f9f";  // message background, #rgb or #rrggbb
  std::string label_color = "#555";
};

// Colours per DESIGN.md (the level's own: LevelColor in domain/level.h).
inline constexpr const char* kColorError = "#9f9f9f";
inline constexpr const char* kColorUnknown = "#9f9f9f";
inline constexpr const char* kColorActive = "#007ec6";     // queued, running
inline constexpr const char* kColorWaiting = "#6f42c1";    // waiting for ok-to-test
inline constexpr const char* kColorCancelled = "#6a737d";  // cancelled, superseded
// The colour of a run state without a level: queued and running, waiting, cancelled and
// superseded each have their own; anything else (ci error, unknown) is grey.
const char* StateColor(const std::string& state);

BadgeSpec BadgeForLevel(int level);                // "level 3"
BadgeSpec BadgeForState(const std::string& text);  // "queued", "waiting", "ci error", ...

struct BadgeGeometry {
  int label_width = 0;  // px, padding included
  int message_width = 0;
  int width() const { return label_width + message_width; }
  double label_text_width = 0;  // px, measured
  double message_text_width = 0;
};
BadgeGeometry MeasureBadge(const BadgeSpec& spec);

// Parses "#rgb" / "#rrggbb" (or a shields name: brightgreen, green, yellowgreen, yellow,
// orange, red, blue, lightgrey). Returns nullopt for anything else.
std::optional<std::string> NormalizeColor(const std::string& color);

std::string RenderBadgeSvg(const BadgeSpec& spec);
// `scale` 1 gives a 20 px high image, 2 a 40 px one for high-density screens.
Result<std::string> RenderBadgePng(const BadgeSpec& spec, int scale = 1);

// Escapes &, <, >, " and ' for XML text and attributes.
std::string XmlEscape(const std::string& s);

}  // namespace ccci::render
