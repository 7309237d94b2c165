#include "bot/runner/overlay.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/ini.h"
#include "base/path_under.h"

namespace ccci::runner {
namespace {

const char* const kStages[] = {"upgrade", "backup",       "restore", "functional", "lint",
                               "upgrade-safe", "clean", "maintained", "screenshot"};

bool KnownStage(const std::string& s) {
  return std::find(std::begin(kStages), std::end(kStages), s) != std::end(kStages);
}

}  // namespace

Result<Overlay> ParseOverlay(const std::string& text, const std::string& source) {
  auto parsed = ParseIni(text, source);
  if (!parsed.ok()) return parsed.status();
  Overlay o;
  o.source = source;
  // Checks keep the order they were written in: ParseIni's map is sorted, so sort by line.
  std::vector<std::pair<int, std::pair<std::string, std::string>>> checks;
  for (const auto& [key, iv] : *parsed) {
    const std::string& v = iv.value;
    auto bad = [&](const std::string& why) {
      return InvalidArgument(source + ":" + std::to_string(iv.line) + ": " + key + ": " + why);
    };
    auto seconds = [&](std::optional<std::chrono::seconds>* out) -> Status {
      int s;
      if (!ParseDurationSeconds(v, &s) || s == 0) return bad("not a duration (like 90s, 30m): '" + v + "'");
      *out = std::chrono::seconds(s);
      return Status::Ok();
    };
    if (key == "app.health_path") {
      if (v.empty() || v[0] != '/') return bad("must start with /");
      o.health_path = v;
    } else if (key == "app.expected_codes") {
      for (const std::string& c : SplitList(v, ",")) {
        int64_t n;
        if (!ParseInt64(c, &n) || n < 100 || n > 599) return bad("not an HTTP status: '" + c + "'");
        o.expected_codes.push_back(static_cast<int>(n));
      }
    } else if (key == "app.ready_timeout") {
      CCCI_RETURN_IF_ERROR(seconds(&o.ready_timeout));
    } else if (key == "app.stage_timeout") {
      CCCI_RETURN_IF_ERROR(seconds(&o.stage_timeout));
    } else if (key == "app.upgrade_base") {
      o.upgrade_base = v;
    } else if (key == "app.env") {
      for (const std::string& kv : SplitList(v, ",")) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) return bad("expected KEY=VALUE, got '" + kv + "'");
        o.env.push_back(kv);
      }
    } else if (key == "suite.generic") {
      if (!ParseBool(v, &o.generic)) return bad("not a boolean: '" + v + "'");
    } else if (key == "suite.recipe_checks") {
      if (v.empty() || v[0] == '/' || v.find("..") != std::string::npos) {
        return bad("must be a relative path inside the recipe");
      }
      o.recipe_checks = v;
    } else if (key.rfind("skip.", 0) == 0) {
      std::string stage = key.substr(5);
      if (!KnownStage(stage)) return bad("no such stage to skip (upgrade, backup, restore, functional, lint, upgrade-safe, clean, maintained, screenshot)");
      if (v.empty()) return bad("give the reason for the skip");
      o.skips[stage] = v;
    } else if (key == "data.seed" || key == "data.change" || key == "data.verify") {
      if (v.empty()) return bad("empty command");
      (key == "data.seed" ? o.data_seed : key == "data.change" ? o.data_change : o.data_verify) = v;
    } else if (key.rfind("functional.", 0) == 0) {
      if (v.empty()) return bad("empty check command");
      checks.push_back({iv.line, {key.substr(11), v}});
    } else {
      return bad("unknown key");
    }
  }
  bool any_data = !o.data_seed.empty() || !o.data_change.empty() || !o.data_verify.empty();
  if (any_data && (o.data_seed.empty() || o.data_change.empty() || o.data_verify.empty())) {
    return InvalidArgument(source + ": [data] needs seed, change and verify together");
  }
  std::sort(checks.begin(), checks.end());
  for (auto& c : checks) o.checks.push_back(std::move(c.second));
  return o;
}

Result<Overlay> LoadOverlay(const std::string& dir, const std::string& recipe) {
  if (dir.empty()) return Overlay{};
  // The name comes from a webhook: it must not reach a file outside the operator's dir.
  auto file = PathUnder(dir, recipe + ".ini");
  if (!file.ok()) return file.status();
  const std::string& path = *file;
  std::ifstream in(path);
  if (!in) return Overlay{};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseOverlay(ss.str(), path);
}

}  // namespace ccci::runner
