// The forge half of `cc-ci doctor` (doctor.h): Gitea and the bot's token, the webhook
// secret, server.public_url.

#include <fstream>
#include <sstream>
#include <thread>

#include "bot/cli/doctor.h"
#include "bot/forge/gitea_client.h"
#include "bot/runner/readiness_probe.h"

namespace ccci {
namespace {

DoctorCheck Pass(std::string what) { return {true, std::move(what), ""}; }
DoctorCheck Fail(std::string what, std::string fix) {
  return {false, std::move(what), std::move(fix)};
}

constexpr const char* kTokenScopes = "write:issue, write:repository and read:user";

// What to do about a failed call, by its code.
std::string FixFor(const Status& s, const Config& c) {
  switch (s.code()) {
    case Code::kUnauthenticated:
      return std::string("make a new token for ") + c.bot_login + " with " + kTokenScopes;
    case Code::kPermissionDenied:
      return std::string("give the token the scopes ") + kTokenScopes;
    case Code::kNotFound:
      return "check the name, and that " + c.bot_login + " can see the repo";
    default:
      return "check gitea.url and that this host reaches it";
  }
}

std::vector<DoctorCheck> RepoChecks(GiteaClient& gitea, const Config& c, const std::string& repo) {
  auto access = gitea.GetRepoAccess(repo);
  if (!access.ok()) return {Fail(repo + ": " + access.status().message(), FixFor(access.status(), c))};
  std::vector<DoctorCheck> out;
  out.push_back(access->push
                    ? Pass(repo + ": may post commit statuses (write)")
                    : Fail(repo + ": no write access, so commit statuses are refused",
                           "add " + c.bot_login + " to the repo as a collaborator with write"));
  if (access->admin) {
    out.push_back(Pass(repo + ": may read PR authors' permissions (admin)"));
  } else if (!c.trusted_users.empty()) {
    out.push_back(Pass(repo + ": not admin, so trust comes from gitea.trusted_users (" +
                       std::to_string(c.trusted_users.size()) + ") and ok-to-test"));
  } else {
    out.push_back(Fail(repo + ": cannot read other users' permissions (needs admin), so every "
                              "PR waits for a !cc-ci ok-to-test",
                       "give " + c.bot_login + " admin on " + repo +
                           ", or list the maintainers in gitea.trusted_users"));
  }
  auto issues = gitea.CanWriteIssues(repo);
  if (!issues.ok()) {
    out.push_back(Fail(repo + ": " + issues.status().message(), FixFor(issues.status(), c)));
  } else {
    out.push_back(*issues ? Pass(repo + ": the token may write comments (write:issue)")
                          : Fail(repo + ": the token lacks write:issue, so comments and "
                                        "reactions are refused",
                                 std::string("make a token with ") + kTokenScopes));
  }
  return out;
}

// Whose the token is, against gitea.bot_login. False when Gitea did not answer the question
// at all (then nothing more is worth asking).
bool IdentityCheck(GiteaClient& gitea, const Config& c, std::vector<DoctorCheck>* out) {
  auto login = gitea.CurrentUser();
  if (!login.ok()) {
    out->push_back(
        Fail("Gitea " + c.gitea_url + ": " + login.status().message(), FixFor(login.status(), c)));
    return login.status().code() == Code::kPermissionDenied;
  }
  if (*login != c.bot_login) {
    out->push_back(Fail("the token is " + *login + "'s, but gitea.bot_login is " + c.bot_login,
                        "set gitea.bot_login = " + *login +
                            ", else cc-ci takes the bot's own comments for users'"));
  } else {
    out->push_back(
        Pass("Gitea " + c.gitea_url + ": the token is " + *login + "'s (gitea.bot_login)"));
  }
  return true;
}

GiteaClient ClientFor(const Config& c) {
  GiteaClient::Options o;
  o.base_url = c.gitea_url;
  o.token = c.gitea_token;
  o.max_attempts = 2;
  return GiteaClient(o);
}

std::vector<DoctorCheck> TokenChecks(Config& c) {
  if (c.gitea_url.empty()) {
    return {Fail("gitea.url is not set: reporting is dry-run, nothing reaches Gitea",
                 "set gitea.url and the bot's token (gitea.token_file or CC_CI_GITEA_TOKEN)")};
  }
  if (Status s = LoadToken(&c); !s.ok()) {
    return {Fail(s.message(), "write the bot's token there (mode 0600, owned by the cc-ci user)")};
  }
  if (c.gitea_token.empty()) {
    return {Fail("no Gitea token: reporting is dry-run",
                 "set gitea.token_file or CC_CI_GITEA_TOKEN to a token of " + c.bot_login)};
  }
  GiteaClient gitea = ClientFor(c);
  std::vector<DoctorCheck> out;
  if (!IdentityCheck(gitea, c, &out)) return out;
  if (c.repos.empty()) {
    out.push_back(Fail("gitea.repos is empty, so the reconciler watches only repos seen in "
                       "webhooks and the token's rights cannot be checked",
                       "list the watched repos in gitea.repos (owner/name, comma-separated)"));
  }
  for (const std::string& repo : c.repos) {
    for (DoctorCheck& d : RepoChecks(gitea, c, repo)) out.push_back(std::move(d));
  }
  return out;
}

DoctorCheck SecretCheck(const Config& c) {
  const char* fix =
      "start cc-ci serve once (it writes <data dir>/webhook-secret) or set "
      "gitea.webhook_secret_file; the Gitea webhook takes the same secret";
  if (!c.webhook_secrets.empty()) {
    return Pass("webhook secret from " + c.webhook_secret_source);
  }
  std::string path = c.webhook_secret_file.empty() ? c.data_dir + "/webhook-secret"
                                                   : c.webhook_secret_file;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail("no webhook secret in " + path, fix);
  }
  return Pass("webhook secret in " + path);
}

DoctorCheck PublicUrlCheck(const Config& c, bool* answers) {
  *answers = false;
  if (c.public_url.empty()) {
    return Fail("server.public_url is not set, so PR comments would link to http://" + c.listen,
                "set server.public_url to the address Gitea's users reach cc-ci at");
  }
  runner::ProbeOptions o;
  o.url = c.EffectivePublicUrl() + "/healthz";
  o.expected_codes = {200};
  o.timeout = std::chrono::seconds(5);
  o.interval = std::chrono::seconds(1);
  o.request_timeout = std::chrono::seconds(5);
  auto r = runner::WaitReady(o, [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); });
  if (!r.ok()) {
    return Fail(o.url + " does not answer: " + r.status().message(),
                "start cc-ci serve, and check the reverse proxy and DNS in front of it");
  }
  *answers = true;
  return Pass(c.EffectivePublicUrl() + " answers (/healthz)");
}

}  // namespace

std::vector<DoctorCheck> GiteaChecks(Config config, bool* public_url_answers) {
  std::vector<DoctorCheck> out = TokenChecks(config);
  out.push_back(SecretCheck(config));
  out.push_back(PublicUrlCheck(config, public_url_answers));
  return out;
}

std::vector<DoctorCheck> WorkerGiteaChecks(Config c) {
  std::vector<DoctorCheck> out;
  if (c.gitea_url.empty()) {
    out.push_back(Fail("gitea.url is not set, so this worker refuses to clone PR heads from Gitea",
                       "set gitea.url as on the front node"));
  } else {
    out.push_back(Pass("gitea.url " + c.gitea_url + ": PR heads are cloned from it"));
  }
  if (Status s = LoadToken(&c); !s.ok()) {
    out.push_back(
        Fail(s.message(), "write the bot's token there (mode 0600, owned by the cc-ci user)"));
    return out;
  }
  if (c.gitea_token.empty()) {
    std::string trusted = c.trusted_users.empty()
                              ? "every PR waits for a !cc-ci ok-to-test"
                              : "only gitea.trusted_users' PRs run without a !cc-ci ok-to-test";
    out.push_back(
        Fail("no Gitea token, so this worker cannot ask Gitea who may run a PR: " + trusted,
             "give it the front node's token (gitea.token_file or CC_CI_GITEA_TOKEN) "
             "and gitea.trusted_users"));
    return out;
  }
  if (c.gitea_url.empty()) return out;
  GiteaClient gitea = ClientFor(c);
  (void)IdentityCheck(gitea, c, &out);
  return out;
}

}  // namespace ccci
