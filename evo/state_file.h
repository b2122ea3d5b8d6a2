#pragma once
// Saving a StrategyState into an HDF5 group and reading it back (run files keep it under
// /strategy). Layout, readable with h5py:
//   <group> attribute "kind"            strategy kind ("cmaes", "sep", "ipop", "bipop")
//   <group>/arrays/<name>               float64 datasets (matrices as [columns, rows])
//   <group>/integers/<name>             int64 datasets (the RNG words are bit-cast uint64)
//   <group>/texts/names, texts/values   variable-length strings
// Nested names ("inner/mean") become nested groups. Empty arrays are stored as a
// one-element dataset with attribute "empty" = 1, since zero-sized datasets are awkward
// for many readers.

#include <filesystem>

#include "core/hdf5.h"
#include "evo/strategy.h"

namespace evomem::evo {

void save_state(const StrategyState& state, core::h5::Group& group);
// Throws FormatError naming the file and object when something is missing or malformed.
StrategyState load_state(const core::h5::Group& group);

// Whole-file helpers: the state at the root group of `path` (written atomically).
void save_state_file(const StrategyState& state, const std::filesystem::path& path);
StrategyState load_state_file(const std::filesystem::path& path);

}  // namespace evomem::evo
