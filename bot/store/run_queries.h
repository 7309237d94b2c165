#pragma once
// Questions about runs that several readers ask the Store the same way (the reporter's level
// change, the run card's "previous level"): plain functions over the RunReader slice, no state.

#include <cstdint>
#include <optional>

#include "bot/store/run_reader.h"

namespace ccci {

// The level of the repo's newest finished default-branch run, for a PR run's "level change";
// nullopt for a branch run, when the branch has none, or when the store does not answer.
std::optional<int64_t> DefaultBranchLevel(RunReader* store, const Run& run);

}  // namespace ccci
