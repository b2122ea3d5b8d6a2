#include "evo/state_file.h"

#include <string>
#include <vector>

#include "core/error.h"
#include "core/files.h"

namespace evomem::evo {
namespace {

template <typename Visit>
void walk(const core::h5::Group& group, const std::string& prefix, const Visit& visit) {
  for (const auto& child : group.children()) {
    const std::string name = prefix.empty() ? child : prefix + "/" + child;
    if (group.is_group(child)) {
      walk(group.group(child), name, visit);
    } else {
      visit(name, group.dataset(child));
    }
  }
}

}  // namespace

void save_state(const StrategyState& state, core::h5::Group& group) {
  group.set_attribute("kind", state.kind);
  core::h5::Group arrays = group.require_group("arrays");
  // Names such as "sep/diagonal" become nested groups (the wrapper creates them).
  for (const auto& [name, entry] : state.arrays) {
    arrays.write<double>(name, entry.values, core::h5::Shape(entry.shape.begin(), entry.shape.end()));
  }
  core::h5::Group integers = group.require_group("integers");
  for (const auto& [name, values] : state.integers) integers.write<std::int64_t>(name, values);
  core::h5::Group texts = group.require_group("texts");
  std::vector<std::string> names;
  std::vector<std::string> values;
  for (const auto& [name, value] : state.texts) {
    names.push_back(name);
    values.push_back(value);
  }
  texts.set_attribute("count", static_cast<std::int64_t>(names.size()));
  if (!names.empty()) {
    texts.write_strings("names", names);
    texts.write_strings("values", values);
  }
}

StrategyState load_state(const core::h5::Group& group) {
  StrategyState state;
  if (!group.has_attribute("kind")) {
    throw FormatError(group.describe() + " has no attribute 'kind'; it does not hold a strategy state");
  }
  state.kind = group.string_attribute("kind");
  for (const char* required : {"arrays", "integers", "texts"}) {
    if (!group.contains(required) || !group.is_group(required)) {
      throw FormatError(group.describe() + " has no group '" + required + "'; the strategy state is incomplete");
    }
  }
  walk(group.group("arrays"), "", [&](const std::string& name, const core::h5::Dataset& dataset) {
    StateArray entry;
    entry.values = dataset.read<double>();
    for (hsize_t extent : dataset.shape()) entry.shape.push_back(extent);
    state.arrays[name] = std::move(entry);
  });
  walk(group.group("integers"), "", [&](const std::string& name, const core::h5::Dataset& dataset) {
    state.integers[name] = dataset.read<std::int64_t>();
  });
  const core::h5::Group texts = group.group("texts");
  const std::int64_t count = texts.has_attribute("count") ? texts.int_attribute("count") : -1;
  if (count < 0) throw FormatError(texts.describe() + " has no attribute 'count'; the strategy state is corrupt");
  if (count > 0) {
    const auto names = texts.dataset("names").read_strings();
    const auto values = texts.dataset("values").read_strings();
    if (names.size() != static_cast<std::size_t>(count) || values.size() != names.size()) {
      throw FormatError(texts.describe() + " holds " + std::to_string(names.size()) + " names and " +
                        std::to_string(values.size()) + " values, expected " + std::to_string(count) +
                        "; the strategy state is corrupt");
    }
    for (std::size_t k = 0; k < names.size(); ++k) state.texts[names[k]] = values[k];
  }
  return state;
}

void save_state_file(const StrategyState& state, const std::filesystem::path& path) {
  core::h5::write_file_atomically(path, [&](core::h5::File& file) { save_state(state, file); });
}

StrategyState load_state_file(const std::filesystem::path& path) {
  core::h5::File file = core::h5::File::open(path);
  return load_state(file);
}

}  // namespace evomem::evo
