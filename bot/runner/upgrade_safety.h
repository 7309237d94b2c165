#pragma once
// Rung 6, upgrade-safe: static checks between the previous release's tree and the head's, for
// the mistakes Co-op Cloud's "Recipe config upgrade checklist"
// (https://docs.coopcloud.tech/maintainers/upgrade/) warns about, which break the
// deployments of operators who upgrade:
//   - a config or secret the compose files build from a file (`configs:`/`secrets:` with
//     `file:`, usually a *.tmpl) changed, but the *_VERSION variable in its name was not
//     bumped ("If you update the traefik.yml.tmpl ... you must increment TRAEFIK_YML_VERSION.
//     Otherwise ... operators will see an obscure error message"): swarm refuses to change a
//     config in place. A name with no *_VERSION variable cannot be bumped at all;
//   - a variable new in .env.sample that a compose file uses without a default
//     ("If you add a new environment variable to the .env.sample then you can potentially
//     create manual upgrade work ... provide a default", e.g. ${NEW_ENV_VAR:-false}):
//     deployments made from the older sample do not have it;
//   - a service's image whose tag goes back to an older version (image_version.h);
//   - a new recipe version (the head's release tag, or the coop-cloud.*.version label `abra
//     recipe sync` writes) without release notes in release/<version>, which `abra` shows
//     operators before they upgrade.
// A variable's value is where a maintainer sets it: abra.sh's `export`, else .env.sample,
// else the default written in the compose file.

#include <string>
#include <vector>

#include "base/status.h"
#include "bot/runner/finding.h"
#include "bot/runner/recipe_tree.h"

namespace ccci::runner {

struct UpgradeSafetyInput {
  const RecipeTree* base = nullptr;  // the previous release
  const RecipeTree* head = nullptr;
  std::string base_version;  // the previous release's tag, e.g. 2.0.0+1.0.5-social-amd64
  std::string head_tag;      // the head's own release tag, empty when it has none
};

// Findings in rule order, then by file. InvalidArgument when a compose file is not YAML.
Result<std::vector<Finding>> CheckUpgradeSafety(const UpgradeSafetyInput& in);

}  // namespace ccci::runner
