// Rung 6's rules, table by table, on the real traefik and bonfire recipes
// (../shared/recipes): the previous release is the recipe as it is, the head that recipe with
// one change, as a maintainer's PR would make it.
#include "bot/runner/upgrade_safety.h"

#include <gtest/gtest.h>

#include <functional>

#include "tests/fakes/test_files.h"

namespace ccci::runner {
namespace {

RecipeTree Shared(const std::string& name) {
  auto t = LoadRecipeTree(ccci::testing::SharedDir() + "/recipes/" + name);
  if (!t.ok()) throw std::runtime_error(t.status().ToString());
  return *t;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  if (at == std::string::npos) throw std::runtime_error("test edit: no '" + from + "'");
  return s.replace(at, from.size(), to);
}

using Edit = std::function<void(RecipeTree& base, RecipeTree& head)>;

// The edit that replaces the first `from` in the head's `file` with `to`.
Edit ReplaceInHead(std::string file, std::string from, std::string to) {
  return [=](RecipeTree&, RecipeTree& h) { h.files[file] = Replace(h.files[file], from, to); };
}

struct Case {
  const char* name;
  const char* recipe;
  Edit edit;
  std::string head_tag;
  std::vector<std::string> findings;  // FormatFinding of each, in order
  // The previous release; by default the one the files as they are belong to.
  std::string base_version = "";
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const char* kTraefikBase = "1.0.0+v2.4.8";
const char* kBonfireBase = "2.0.1+1.0.6-social-amd64";

const Case kCases[] = {
    {"traefik_unchanged", "traefik", [](RecipeTree&, RecipeTree&) {}, "", {}},
    {"template_changed_version_set_nowhere",
     "traefik",
     [](RecipeTree&, RecipeTree& h) { h.files["traefik.yml.tmpl"] += "\n# more\n"; },
     "",
     {"compose.yml:53: config traefik_yml: traefik.yml.tmpl changed since 1.0.0+v2.4.8 but "
      "TRAEFIK_YML_VERSION is set nowhere (abra.sh, .env.sample or a default): bump it, or "
      "upgrading operators get an obscure error"}},
    {"template_changed_version_not_bumped_in_abra_sh",
     "traefik",
     [](RecipeTree& b, RecipeTree& h) {
       b.files["abra.sh"] = "export TRAEFIK_YML_VERSION=v29\nexport FILE_PROVIDER_YML_VERSION=v1\n";
       h.files["abra.sh"] = b.files["abra.sh"];
       h.files["traefik.yml.tmpl"] += "\n# more\n";
     },
     "",
     {"compose.yml:53: config traefik_yml: traefik.yml.tmpl changed since 1.0.0+v2.4.8 but "
      "TRAEFIK_YML_VERSION is still 'v29' (abra.sh:1): bump it, or upgrading operators get an "
      "obscure error"}},
    {"template_changed_version_bumped",
     "traefik",
     [](RecipeTree& b, RecipeTree& h) {
       b.files["abra.sh"] = "export TRAEFIK_YML_VERSION=v29\n";
       h.files["abra.sh"] = "export TRAEFIK_YML_VERSION=v30\n";
       h.files["traefik.yml.tmpl"] += "\n# more\n";
     },
     "",
     {}},
    {"config_without_a_version_variable",
     "traefik",
     [](RecipeTree& b, RecipeTree& h) {
       b.files["abra.sh"] = "export TRAEFIK_YML_VERSION=v1\n";
       h.files["abra.sh"] = "export TRAEFIK_YML_VERSION=v2\n";
       for (RecipeTree* t : {&b, &h}) {
         t->files["compose.yml"] =
             Replace(t->files["compose.yml"],
                     "${STACK_NAME}_file_provider_yml_${FILE_PROVIDER_YML_VERSION}",
                     "${STACK_NAME}_file_provider");
       }
       h.files["file-provider.yml.tmpl"] += "# tls options\n";
     },
     "",
     {"compose.yml:57: config file_provider_yml: file-provider.yml.tmpl changed since "
      "1.0.0+v2.4.8 but the name (${STACK_NAME}_file_provider) has no *_VERSION variable to "
      "bump: swarm cannot change a config in place"}},
    {"new_variable_used_without_default",
     "traefik",
     [](RecipeTree&, RecipeTree& h) {
       h.files[".env.sample"] += "METRICS_PORT=8082\n";
       h.files["compose.yml"] = Replace(h.files["compose.yml"], "      - LOG_LEVEL\n",
                                        "      - LOG_LEVEL\n      - METRICS=${METRICS_PORT}\n");
     },
     "",
     {".env.sample:54: METRICS_PORT is new since 1.0.0+v2.4.8 and compose.yml:27 uses it "
      "without a default: deployments made before have no METRICS_PORT (give one: "
      "${METRICS_PORT:-...})"}},
    {"new_variable_with_a_default",
     "traefik",
     [](RecipeTree&, RecipeTree& h) {
       h.files[".env.sample"] += "METRICS_PORT=8082\n";
       h.files["compose.yml"] =
           Replace(h.files["compose.yml"], "      - LOG_LEVEL\n",
                   "      - LOG_LEVEL\n      - METRICS=${METRICS_PORT:-8082}\n");
     },
     "",
     {}},
    {"uncommented_sample_setting_passed_through_is_fine",
     "traefik",
     ReplaceInHead(".env.sample", "# DASHBOARD_ENABLED=true", "DASHBOARD_ENABLED=true"),
     "",
     {}},
    {"image_goes_back",
     "traefik",
     ReplaceInHead("compose.yml", "traefik:v2.4.8", "traefik:v2.3.7"),
     "",
     {"compose.yml:4: service app's image goes back from traefik:v2.4.8 (1.0.0+v2.4.8) to "
      "traefik:v2.3.7"}},
    {"image_goes_forward",
     "traefik",
     ReplaceInHead("compose.yml", "traefik:v2.4.8", "traefik:v2.10.0"),
     "",
     {}},
    {"image_to_a_non_version_tag_is_not_judged",
     "traefik",
     ReplaceInHead("compose.yml", "traefik:v2.4.8", "traefik:latest"),
     "",
     {}},
    {"bonfire_unchanged", "bonfire", [](RecipeTree&, RecipeTree&) {}, "", {}},
    {"bonfire_image_default_goes_back",
     "bonfire",
     ReplaceInHead("compose.yml", "${APP_VERSION:-1.0.6}", "${APP_VERSION:-1.0.4}"),
     "",
     {"compose.yml:6: service app's image goes back from "
      "bonfirenetworks/bonfire:1.0.6-social-amd64 (2.0.1+1.0.6-social-amd64) to "
      "bonfirenetworks/bonfire:1.0.4-social-amd64"}},
    {"bonfire_db_image_goes_back",
     "bonfire",
     ReplaceInHead("compose.postgres.yml", "${DB_DOCKER_VERSION:-17-3.5}",
                   "${DB_DOCKER_VERSION:-16-3.4}"),
     "",
     {"compose.postgres.yml:17: service db's image goes back from "
      "ghcr.io/baosystems/postgis:17-3.5 "
      "(2.0.1+1.0.6-social-amd64) to ghcr.io/baosystems/postgis:16-3.4"}},
    // The real bonfire: 2.0.1 was released without release/2.0.1+1.0.6-social-amd64.
    {"bonfire_release_tag_without_notes",
     "bonfire",
     [](RecipeTree&, RecipeTree&) {},
     "2.0.1+1.0.6-social-amd64",
     {"release/2.0.1+1.0.6-social-amd64: new version 2.0.1+1.0.6-social-amd64 (after "
      "2.0.0+1.0.5-social-amd64) has no release notes: add release/2.0.1+1.0.6-social-amd64"},
     "2.0.0+1.0.5-social-amd64"},
    {"bonfire_version_label_bumped_without_notes",
     "bonfire",
     ReplaceInHead("compose.yml", "version=2.0.1+1.0.6-social-amd64",
                   "version=2.1.0+1.0.7-social-amd64"),
     "",
     {"compose.yml:89: new version 2.1.0+1.0.7-social-amd64 (after 2.0.1+1.0.6-social-amd64) "
      "has no release notes: add release/2.1.0+1.0.7-social-amd64"}},
    {"bonfire_version_label_bumped_with_notes",
     "bonfire",
     [](RecipeTree&, RecipeTree& h) {
       h.files["compose.yml"] = Replace(h.files["compose.yml"], "version=2.0.1+1.0.6-social-amd64",
                                        "version=2.1.0+1.0.7-social-amd64");
       h.release_notes.insert("2.1.0+1.0.7-social-amd64");
     },
     "",
     {}},
    {"bonfire_default_config_version_not_bumped",
     "bonfire",
     [](RecipeTree& b, RecipeTree& h) {
       b.files["entrypoint.sh.tmpl"] = "#!/bin/sh\nexec \"$@\"\n";
       h.files["entrypoint.sh.tmpl"] = "#!/bin/sh\nset -e\nexec \"$@\"\n";
     },
     "",
     {"compose.yml:106: config app_entrypoint: entrypoint.sh.tmpl changed since "
      "2.0.1+1.0.6-social-amd64 but APP_ENTRYPOINT_VERSION is still 'v3' (compose.yml:106): "
      "bump it, or upgrading operators get an obscure error"}},
};

class UpgradeSafetyTest : public ::testing::TestWithParam<Case> {};

TEST_P(UpgradeSafetyTest, FindsWhatBreaksUpgrades) {
  const Case& c = GetParam();
  RecipeTree base = Shared(c.recipe), head = base;
  c.edit(base, head);
  UpgradeSafetyInput in;
  in.base = &base;
  in.head = &head;
  in.base_version = !c.base_version.empty()              ? c.base_version
                    : std::string(c.recipe) == "traefik" ? kTraefikBase
                                                         : kBonfireBase;
  in.head_tag = c.head_tag;
  auto found = CheckUpgradeSafety(in);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  std::vector<std::string> got;
  for (const Finding& f : *found) got.push_back(FormatFinding(f));
  EXPECT_EQ(got, c.findings);
}

INSTANTIATE_TEST_SUITE_P(Rules, UpgradeSafetyTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(UpgradeSafetyErrors, AComposeFileThatIsNotYamlIsAnError) {
  RecipeTree base = Shared("traefik"), head = base;
  head.files["compose.yml"] = "services: [\n";
  UpgradeSafetyInput in{&base, &head, kTraefikBase, ""};
  auto found = CheckUpgradeSafety(in);
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.status().message().find("compose.yml: not YAML"), std::string::npos);
}

TEST(UpgradeSafetyErrors, AConfigFileOutsideTheRecipeIsNotReadAndSaysSo) {
  ccci::testing::TempDir dir;
  ccci::testing::WriteFile(dir.File("compose.yml"),
                           "services:\n  app:\n    image: x:1\nconfigs:\n  c:\n"
                           "    name: ${STACK_NAME}_c_${C_VERSION}\n    file: ../../etc/passwd\n");
  auto head = LoadRecipeTree(dir.path());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->unreadable.at("../../etc/passwd"), "outside the recipe");
  EXPECT_EQ(head->File("../../etc/passwd"), nullptr);
  RecipeTree base = *head;
  base.unreadable.clear();
  UpgradeSafetyInput in{&base, &*head, "1.0.0+1", ""};
  auto found = CheckUpgradeSafety(in);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(FormatFinding((*found)[0]),
            "compose.yml:5: config c: ../../etc/passwd cannot be checked: outside the recipe");
}

}  // namespace
}  // namespace ccci::runner
