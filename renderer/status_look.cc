#include "renderer/status_look.h"

#include <cstddef>
#include <iterator>

namespace ccci::render {
namespace {

struct Look {
  const char* color;
  const char* icon;
  const char* emoji;
};

// One row a status, in the order StageStatus declares them. The icons: a heavy check mark, a
// heavy ballot x, a clockwise arrow (stepped over), a question mark, a warning sign, a white
// circle, a black circle, a clockwise open circle arrow (passed on its retry).
constexpr Look kLooks[] = {
    /* kPass */ {"#2da44e", "\u2714", "\u2705"},
    /* kFail */ {"#cf222e", "\u2718", "\u274c"},
    /* kSkip */ {"#8c959f", "\u21b7", "\u23ed\ufe0f"},
    /* kUnverified */ {"#bf8700", "?", "\u2754"},
    /* kError */ {"#57606a", "\u26a0", "\u26a0\ufe0f"},
    /* kPending */ {"#8c959f", "\u25cb", "\u23f3"},
    /* kRunning */ {"#007ec6", "\u25cf", "\U0001f504"},
    /* kFlaky */ {"#d29922", "\u21bb", "\U0001f501"},
};
static_assert(std::size(kLooks) == static_cast<size_t>(domain::StageStatus::kFlaky) + 1,
              "one look for every StageStatus");

// A value outside the enum (a corrupt cast) is shown as an error.
constexpr Look kUnknown = {"#57606a", "?", "\u2754"};

const Look& LookOf(domain::StageStatus s) {
  auto i = static_cast<size_t>(s);
  return i < std::size(kLooks) ? kLooks[i] : kUnknown;
}

}  // namespace

const char* StatusColor(domain::StageStatus s) { return LookOf(s).color; }
const char* StatusIcon(domain::StageStatus s) { return LookOf(s).icon; }
const char* StatusEmoji(domain::StageStatus s) { return LookOf(s).emoji; }

}  // namespace ccci::render
