#pragma once
// Per-recipe overlays: small INI files an operator keeps for recipes that need more than the
// zero-config suite (`<overlay_dir>/<recipe>.ini`). Operators are trusted; the recipe's own
// repository is not, so nothing here is read from the recipe. Comments go on their own line.
// Example:
//
//   [app]
//   # probed for readiness; default /
//   health_path = /api/health
//   # default: any 2xx or 3xx
//   expected_codes = 200, 302
//   # waiting for the app to answer, and each abra command; defaults from [runner]
//   ready_timeout = 30m
//   stage_timeout = 60m
//   # upgrade from this tag instead of the previous release
//   upgrade_base = 1.2.0+3.4
//   # appended to the app's env file
//   env = SMTP_HOST=mail.test, FOO=bar
//   [suite]
//   # false: only install, functional, screenshot and teardown run
//   generic = true
//   # a script in the recipe's repo; runs only if the recipe is in runner.approved_recipes
//   recipe_checks = tests/cc-ci.sh
//   [skip]
//   # a declared skip: stage = reason
//   backup = needs an S3 bucket
//   [functional]
//   # named checks, run with sh -c in file order; env APP_URL, DOMAIN, STACK_NAME,
//   # CC_CI_CONNECT_TO
//   api = curl -fsS "$APP_URL/api/ping"
//   [data]
//   # the restore's data check (sh -c, env as [functional]): seed runs before the backup,
//   # change after it, verify after the restore and must find the seeded data again
//   seed = curl -fsS -X PUT --data v1 "$APP_URL/api/note"
//   change = curl -fsS -X PUT --data v2 "$APP_URL/api/note"
//   verify = test "$(curl -fsS "$APP_URL/api/note")" = v1

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace ccci::runner {

struct Overlay {
  std::string source;  // the file it came from; empty when there is none
  std::string health_path = "/";
  std::vector<int> expected_codes;
  std::optional<std::chrono::seconds> ready_timeout;
  std::optional<std::chrono::seconds> stage_timeout;
  std::string upgrade_base;
  std::vector<std::string> env;                   // KEY=VALUE
  bool generic = true;
  std::string recipe_checks;                      // path inside the recipe checkout
  std::map<std::string, std::string> skips;       // stage -> reason
  std::vector<std::pair<std::string, std::string>> checks;  // name -> shell command, in file order
  // The restore's data check; all empty when none is declared (then all three are needed).
  std::string data_seed, data_change, data_verify;
};

// Parses overlay text; errors name `source:line`.
Result<Overlay> ParseOverlay(const std::string& text, const std::string& source);
// `<dir>/<recipe>.ini`, or the default overlay when the file does not exist. InvalidArgument
// for a recipe name that would leave `dir` (base/path_under.h): overlays come from the
// operator's dir only.
Result<Overlay> LoadOverlay(const std::string& dir, const std::string& recipe);

}  // namespace ccci::runner
