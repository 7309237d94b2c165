// The parsers under rungs 6-8, on the real recipes in ../shared/recipes: .env.sample and
// abra.sh assignments, compose files (services, healthchecks, file-made configs, the version
// label, variables) and a recipe tree read from a directory.
#include <gtest/gtest.h>

#include "bot/runner/compose_file.h"
#include "bot/runner/env_assignments.h"
#include "bot/runner/image_version.h"
#include "bot/runner/recipe_tree.h"
#include "tests/fakes/test_files.h"

namespace ccci::runner {
namespace {

using ccci::testing::ReadShared;

TEST(EnvAssignments, ReadsSetAndCommentedSettingsButNotProse) {
  auto all = ParseEnvAssignments(ReadShared("recipes/bonfire/.env.sample"));
  const EnvAssignment* domain = FindSet(all, "DOMAIN");
  ASSERT_NE(domain, nullptr);
  EXPECT_EQ(domain->value, "bonfire.example.com");
  EXPECT_EQ(domain->line, 13);
  EXPECT_EQ(FindSet(all, "APP_VERSION"), nullptr) << "#APP_VERSION=latest is only a suggestion";
  const EnvAssignment* salt = FindSet(all, "SECRET_SIGNING_SALT_VERSION");
  ASSERT_NE(salt, nullptr);
  EXPECT_EQ(salt->value, "v1") << "the trailing '# length=128' is a comment";
  bool commented_seen = false;
  for (const auto& a : all) {
    EXPECT_NE(a.name, "DO") << "prose is not an assignment";
    if (a.name == "APP_FLAVOUR") commented_seen = a.commented;
  }
  EXPECT_TRUE(commented_seen);
  EXPECT_EQ(DeployedComposeFiles(all),
            (std::vector<std::string>{"compose.yml", "compose.postgres.yml"}));
}

TEST(EnvAssignments, AbraShExportsAndQuotes) {
  auto all = ParseEnvAssignments("#!/bin/bash\nexport TRAEFIK_YML_VERSION=v29\nX=\"a # b\"\n");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "TRAEFIK_YML_VERSION");
  EXPECT_EQ(all[0].line, 2);
  EXPECT_EQ(all[1].value, "a # b");
  EXPECT_EQ(DeployedComposeFiles(all), std::vector<std::string>{"compose.yml"});
  EXPECT_EQ(DeployedComposeFiles(ParseEnvAssignments(ReadShared("recipes/traefik/.env.sample"))),
            std::vector<std::string>{"compose.yml"})
      << "every COMPOSE_FILE in traefik's sample is commented";
}

TEST(ComposeFile, ReadsTraefik) {
  auto f = ParseComposeFile("compose.yml", ReadShared("recipes/traefik/compose.yml"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->services.size(), 1u);
  EXPECT_EQ(f->services[0].image, "traefik:v2.4.8");
  EXPECT_EQ(f->services[0].image_line, 4);
  EXPECT_EQ(f->services[0].healthcheck, std::optional<bool>(true));
  ASSERT_EQ(f->file_entries.size(), 3u);
  EXPECT_EQ(f->file_entries[0].key, "traefik_yml");
  EXPECT_EQ(f->file_entries[0].file, "traefik.yml.tmpl");
  EXPECT_EQ(f->file_entries[0].name, "${STACK_NAME}_traefik_yml_${TRAEFIK_YML_VERSION}");
  EXPECT_EQ(f->version, "v2.4.8-d7d63b0d") << "the old coop-cloud.*.app.version label";
}

TEST(ComposeFile, ReadsBonfiresVersionLabelAndVariables) {
  auto f = ParseComposeFile("compose.yml", ReadShared("recipes/bonfire/compose.yml"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->version, "2.0.1+1.0.6-social-amd64");
  EXPECT_EQ(f->version_line, 89);
  bool domain = false, timeout = false;
  for (const ComposeVarUse& u : f->var_uses) {
    if (u.name == "DOMAIN") domain = !u.has_default;
    if (u.name == "TIMEOUT") timeout = u.has_default;
  }
  EXPECT_TRUE(domain);
  EXPECT_TRUE(timeout);
  auto pg =
      ParseComposeFile("compose.postgres.yml", ReadShared("recipes/bonfire/compose.postgres.yml"));
  ASSERT_TRUE(pg.ok()) << pg.status().ToString();
  for (const ComposeVarUse& u : pg->var_uses) {
    EXPECT_NE(u.name, "POSTGRES_USER") << "$$POSTGRES_USER is an escaped dollar";
  }
}

TEST(ComposeFile, HealthchecksCanBeDisabled) {
  auto f = ParseComposeFile("c.yml",
                            "services:\n  a:\n    healthcheck:\n      disable: true\n"
                            "  b:\n    healthcheck:\n      test: [\"NONE\"]\n  c:\n    image: x\n"
                            "  d:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->services[0].healthcheck, std::optional<bool>(false));
  EXPECT_EQ(f->services[1].healthcheck, std::optional<bool>(false));
  EXPECT_EQ(f->services[2].healthcheck, std::nullopt);
  EXPECT_EQ(f->services[3].healthcheck, std::optional<bool>(true));
}

TEST(ComposeFile, VariablesInCommentsAndDefaults) {
  auto uses =
      FindVarUses("a: ${A} # ${COMMENTED}\n# ${ALSO}\nb: ${B:-x} $C ${D?required} ${E-y}\n");
  std::vector<std::string> names;
  for (const auto& u : uses)
    names.push_back(u.name + (u.has_default ? "+" : "") + "@" + std::to_string(u.line));
  EXPECT_EQ(names, (std::vector<std::string>{"A@1", "B+@3", "C@3", "D@3", "E+@3"}));
}

TEST(ComposeFile, InterpolateUsesDefaultsThenTheLookup) {
  auto lookup = [](const std::string& n) -> std::optional<std::string> {
    if (n == "SET") return std::string("v");
    return std::nullopt;
  };
  EXPECT_EQ(Interpolate("${A:-1.0}-${SET}-$SET-${SET:-x}", lookup), "1.0-v-v-v");
  EXPECT_EQ(Interpolate("${UNSET}", lookup), std::nullopt);
  EXPECT_EQ(Interpolate("${UNSET:?boom}", lookup), std::nullopt);
  EXPECT_EQ(Interpolate("$$HOME", lookup), "$HOME");
}

TEST(RecipeTree, LoadsWhatTheRulesRead) {
  auto t = LoadRecipeTree(ccci::testing::SharedDir() + "/recipes/bonfire");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_NE(t->File("compose.yml"), nullptr);
  EXPECT_NE(t->File("compose.postgres.yml"), nullptr);
  EXPECT_NE(t->File("README.md"), nullptr);
  EXPECT_EQ(t->File("TAGS.txt"), nullptr) << "not something the rules read";
  EXPECT_EQ(t->release_notes,
            (std::set<std::string>{"1.0.0+1.0.5-social-amd64", "2.0.0+1.0.5-social-amd64"}));
  auto services = DeployedServices(*t);
  ASSERT_TRUE(services.ok());
  ASSERT_EQ(services->size(), 2u) << "compose.yml and compose.postgres.yml (COMPOSE_FILE)";
  EXPECT_EQ((*services)[0].name, "app");
  EXPECT_TRUE((*services)[0].healthcheck);
  EXPECT_EQ((*services)[1].name, "db");
  EXPECT_EQ((*services)[1].file, "compose.postgres.yml");
  EXPECT_TRUE((*services)[1].healthcheck);
  EXPECT_FALSE(LoadRecipeTree("/nonexistent/recipe").ok());
}

// A PR's recipe decides what cc-ci reads: not more than kMaxRecipeTreeBytes of it.
TEST(RecipeTree, ReadsAtMostItsBudget) {
  ccci::testing::TempDir dir;
  std::string compose = "services:\n  app:\n    image: x:1\nconfigs:\n";
  std::string mib(kMaxRecipeFileBytes, 'x');
  for (int i = 0; i < 20; ++i) {
    std::string n = std::to_string(i);
    ccci::testing::WriteFile(dir.File("c" + n + ".tmpl"), mib);
    compose += "  c" + n + ":\n    name: c" + n + "_${C_VERSION}\n    file: c" + n + ".tmpl\n";
  }
  ccci::testing::WriteFile(dir.File("compose.yml"), compose);
  ccci::testing::WriteFile(dir.File("big.tmpl"), mib + "y");
  auto t = LoadRecipeTree(dir.path());
  ASSERT_TRUE(t.ok());
  size_t read = 0;
  for (const auto& [path, text] : t->files) read += text.size();
  EXPECT_LE(read, kMaxRecipeTreeBytes);
  EXPECT_EQ(t->files.size(), 16u) << "compose.yml and 15 of the 1 MiB files";
  EXPECT_EQ(t->unreadable.size(), 5u);
  EXPECT_EQ(t->unreadable.begin()->second, "the recipe's files are over 16777216 bytes");
}

TEST(RecipeTree, AnOverlayDisablingAHealthcheckWins) {
  RecipeTree t;
  t.files["compose.yml"] = "services:\n  app:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n";
  t.files["compose.off.yml"] = "services:\n  app:\n    healthcheck:\n      disable: true\n";
  t.files[".env.sample"] =
      "COMPOSE_FILE=compose.yml\nCOMPOSE_FILE=\"${COMPOSE_FILE}:compose.off.yml\"\n";
  auto services = DeployedServices(t);
  ASSERT_TRUE(services.ok());
  ASSERT_EQ(services->size(), 1u);
  EXPECT_FALSE((*services)[0].healthcheck);
}

struct TagCase {
  const char* a;
  const char* b;
  std::optional<int> cmp;
};

TEST(ImageVersion, ComparesOnlyTagsThatAreVersions) {
  const TagCase cases[] = {
      {"v2.4.8", "v2.4.8", 0},
      {"v2.3.7", "v2.4.8", -1},
      {"v2.10.0", "v2.9.9", 1},
      {"1.0.6-social-amd64", "1.0.5-social-amd64", 1},
      {"17-3.5", "16-3.4", 1},
      {"1.2", "1.2.0", 0},
      {"20240101", "20231231", 1},
      {"latest", "v1", std::nullopt},
      {"alpine", "3.19", std::nullopt},
      {"1a2b3c4d", "1.0", std::nullopt},
      {"2.4.8rc1", "2.4.7", std::nullopt},
      {"", "1", std::nullopt},
  };
  for (const TagCase& c : cases) {
    EXPECT_EQ(CompareTags(c.a, c.b), c.cmp) << c.a << " vs " << c.b;
  }
  EXPECT_EQ(SplitImage("traefik:v2.4.8").tag, "v2.4.8");
  EXPECT_EQ(SplitImage("host:5000/team/app").tag, "latest");
  EXPECT_EQ(SplitImage("host:5000/team/app:1.2@sha256:abc").repo, "host:5000/team/app");
  EXPECT_EQ(SplitImage("host:5000/team/app:1.2@sha256:abc").tag, "1.2");
}

}  // namespace
}  // namespace ccci::runner
