#pragma once
// How a stage status is shown, in one table (status_look.cc): the colour of its disc on the
// card, its symbol on the HTML pages, its emoji in Markdown (the PR comment).

#include "domain/stage.h"

namespace ccci::render {

const char* StatusColor(domain::StageStatus s);  // "#2da44e" for pass, ...
const char* StatusIcon(domain::StageStatus s);   // "✔" for pass, ...
const char* StatusEmoji(domain::StageStatus s);  // "✅" for pass, ...

}  // namespace ccci::render
