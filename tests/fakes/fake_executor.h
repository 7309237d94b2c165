#pragma once
// Scripted Executor for unit tests of the suite: records every Command it was given and
// answers from a list of rules (first rule whose argv prefix matches wins), writing the
// rule's output to the sink. Unmatched commands exit 0 with no output.

#include <mutex>
#include <string>
#include <vector>

#include "bot/runner/executor.h"

namespace ccci::testing {

class FakeExecutor : public runner::Executor {
 public:
  struct Rule {
    std::vector<std::string> argv_prefix;
    runner::ExecResult result;
    std::string output;
    bool not_found = false;  // Run returns kNotFound, as for a missing abra
  };

  void AddRule(Rule rule) {
    std::lock_guard<std::mutex> l(mu_);
    rules_.push_back(std::move(rule));
  }

  Result<runner::ExecResult> Run(const runner::Command& cmd, runner::OutputSink& sink,
                                 const runner::CancelToken& cancel) override {
    std::lock_guard<std::mutex> l(mu_);
    calls_.push_back(cmd);
    for (const auto& r : rules_) {
      if (r.argv_prefix.size() > cmd.argv.size()) continue;
      if (!std::equal(r.argv_prefix.begin(), r.argv_prefix.end(), cmd.argv.begin())) continue;
      if (r.not_found) return NotFound("cannot start " + cmd.argv[0]);
      sink.Write(r.output);
      sink.Close();
      runner::ExecResult res = r.result;
      res.cancelled = res.cancelled || cancel.cancelled();
      return res;
    }
    sink.Close();
    runner::ExecResult ok;
    ok.exit_code = 0;
    ok.cancelled = cancel.cancelled();
    return ok;
  }

  std::vector<runner::Command> calls() const {
    std::lock_guard<std::mutex> l(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Rule> rules_;
  std::vector<runner::Command> calls_;
};

}  // namespace ccci::testing
