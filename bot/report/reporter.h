#pragma once
// The reporter: turns what happens to runs into messages for the PR (one sticky comment,
// edited in place, and the `cc-ci/recipe` commit status), through the Outbox.

#include <string>

#include "bot/forge/outbox.h"
#include "bot/store/store.h"

namespace ccci {

class Reporter {
 public:
  struct Options {
    std::string public_url = "http://127.0.0.1:8080";  // links in comments
    int pass_level = 1;
    std::string context = "cc-ci/recipe";
  };
  Reporter(Outbox* outbox, Options options);

  // A run's state changed (queued, running, finished, error, cancelled): update the PR.
  // Branch runs (pr == 0) get only the commit status.
  Status RunChanged(const Run& run, const std::string& stage = "");

  // The commit status a run's state maps to (pending/success/failure/error + description).
  CommitStatusRequest StatusFor(const Run& run) const;

 private:
  Outbox* outbox_;
  Options options_;
};

}  // namespace ccci
