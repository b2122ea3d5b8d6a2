#include "evo/state_file.h"

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/files.h"

namespace evomem::evo {
namespace {

// Splits "a/b/c" into the group chain {"a", "b"} and the leaf "c".
std::pair<std::vector<std::string>, std::string> split_name(const std::string& name) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', start)) {
    parts.push_back(name.substr(start, slash - start));
    start = slash + 1;
  }
  return {parts, name.substr(start)};
}

template <typename T>
void write_array(core::h5::Group& root, const std::string& name, const std::vector<T>& values,
                 const std::vector<std::uint64_t>& shape) {
  auto [chain, leaf] = split_name(name);
  if (!chain.empty()) {
    core::h5::Group parent = root.require_group(chain.front());
    for (std::size_t k = 1; k < chain.size(); ++k) parent = parent.require_group(chain[k]);
    chain.clear();
    write_array<T>(parent, leaf, values, shape);
    return;
  }
  if (values.empty()) {
    core::h5::Dataset dataset = root.write<T>(leaf, std::vector<T>{T{}});
    dataset.set_attribute("empty", std::int64_t{1});
    return;
  }
  core::h5::Shape h5_shape(shape.begin(), shape.end());
  root.write<T>(leaf, values, h5_shape);
}

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

bool is_empty_marker(const core::h5::Dataset& dataset) {
  return dataset.has_attribute("empty") && dataset.int_attribute("empty") == 1;
}

}  // namespace

void save_state(const StrategyState& state, core::h5::Group& group) {
  group.set_attribute("kind", state.kind);
  core::h5::Group arrays = group.require_group("arrays");
  for (const auto& [name, entry] : state.arrays) write_array<double>(arrays, name, entry.values, entry.shape);
  core::h5::Group integers = group.require_group("integers");
  for (const auto& [name, values] : state.integers) {
    write_array<std::int64_t>(integers, name, values, {static_cast<std::uint64_t>(values.size())});
  }
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
    if (!is_empty_marker(dataset)) {
      entry.values = dataset.read<double>();
      for (hsize_t extent : dataset.shape()) entry.shape.push_back(extent);
    } else {
      entry.shape = {0};
    }
    state.arrays[name] = std::move(entry);
  });
  walk(group.group("integers"), "", [&](const std::string& name, const core::h5::Dataset& dataset) {
    state.integers[name] = is_empty_marker(dataset) ? std::vector<std::int64_t>{} : dataset.read<std::int64_t>();
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
  core::write_file_atomically(path, [&](const std::filesystem::path& temporary) {
    core::h5::File file = core::h5::File::create(temporary);
    save_state(state, file);
    file.flush();
  });
}

StrategyState load_state_file(const std::filesystem::path& path) {
  core::h5::File file = core::h5::File::open(path);
  return load_state(file);
}

}  // namespace evomem::evo
