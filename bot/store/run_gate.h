#pragma once
// RunGate: asked by the run scheduler, just before a queued run would start, whether the run
// may start now. The trust gate (bot/gate/trust_gate.h) holds runs of PRs whose author is
// not trusted until a trusted user says `!cc-ci ok-to-test`.

#include <string>

#include "base/status.h"
#include "bot/store/records.h"

namespace ccci {

struct GateDecision {
  bool admit = true;
  std::string reason;  // when held: shown in the run's reason, e.g. "waiting for ok-to-test"
};

class RunGate {
 public:
  virtual ~RunGate() = default;
  // An error Status (e.g. the forge is unreachable) leaves the run queued; the scheduler asks
  // again on its next pass. Called from scheduler threads; must be thread-safe.
  virtual Result<GateDecision> Admit(const Run& run) = 0;
};

// Admits everything (tests, and `cc-ci check`).
class OpenGate : public RunGate {
 public:
  Result<GateDecision> Admit(const Run&) override { return GateDecision{}; }
};

}  // namespace ccci
