#pragma once
// Questions about runs that several readers ask the Store the same way (the reporter's level
// change, the run card's "previous level"): plain functions over Store, no state.

#include <cstdint>
#include <optional>

#include "bot/store/store.h"

namespace ccci {

// The level of the repo's newest finished default-branch run, for a PR run's "level change";
// nullopt for a branch run, when the branch has none, or when the store does not answer.
std::optional<int64_t> DefaultBranchLevel(Store* store, const Run& run);

}  // namespace ccci
