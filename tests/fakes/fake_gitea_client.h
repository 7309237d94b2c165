#pragma once
// cc-ci's real GiteaClient pointed at a FakeGitea, as the outbox uses it.

#include <memory>
#include <string>

#include "bot/forge/gitea_client.h"
#include "tests/fakes/fake_gitea.h"

namespace ccci::testing {

// One attempt per call: the outbox does the retrying.
inline std::unique_ptr<GiteaClient> ClientOf(const FakeGitea& gitea,
                                             const std::string& token = "tok") {
  GiteaClient::Options o;
  o.base_url = gitea.base_url();
  o.token = token;
  o.max_attempts = 1;
  return std::make_unique<GiteaClient>(o);
}

}  // namespace ccci::testing
