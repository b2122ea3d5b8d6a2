// `evomem inspect`: what is inside a safetensors file or checkpoint, or an HDF5 file.

#include <filesystem>
#include <iostream>

#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/hdf5.h"
#include "core/json_file.h"
#include "core/safetensors.h"
#include "core/text.h"

namespace evomem::apps {
namespace {
namespace fs = std::filesystem;

int inspect_safetensors(const fs::path& path, bool as_json) {
  const core::SafetensorsCheckpoint checkpoint(path);
  core::Json tensors = core::Json::array();
  std::int64_t parameters = 0;
  std::size_t bytes = 0;
  for (const auto& name : checkpoint.names()) {
    const auto& view = checkpoint.tensor(name);
    parameters += view.element_count();
    bytes += view.byte_size;
    tensors.push_back({{"name", name}, {"dtype", core::dtype_name(view.dtype)}, {"shape", view.shape}});
  }
  if (as_json) {
    std::cout << core::Json{{"tensors", tensors},
                            {"metadata", checkpoint.metadata()},
                            {"parameters", parameters},
                            {"bytes", bytes},
                            {"shards", checkpoint.shard_count()}}
                     .dump()
              << "\n";
    return 0;
  }
  for (const auto& tensor : tensors) {
    std::cout << tensor["name"].get<std::string>() << "  " << tensor["dtype"].get<std::string>() << "  "
              << core::shape_text(tensor["shape"].get<std::vector<std::int64_t>>()) << "\n";
  }
  for (const auto& [key, value] : checkpoint.metadata()) {
    std::cout << "metadata " << key << " = " << (value.size() > 120 ? value.substr(0, 117) + "..." : value) << "\n";
  }
  std::cout << tensors.size() << " tensors, " << parameters << " values, " << bytes << " bytes in "
            << checkpoint.shard_count() << " file(s)\n";
  return 0;
}

core::Json describe_group(const core::h5::Group& group) {
  core::Json node = core::Json::object();
  for (const auto& name : group.children()) {
    if (group.is_group(name)) {
      node[name] = describe_group(group.group(name));
    } else {
      const auto dataset = group.dataset(name);
      node[name] = {{"shape", dataset.shape()}};
    }
  }
  return node;
}

void print_tree(const core::Json& node, const std::string& indent) {
  for (const auto& [name, child] : node.items()) {
    if (child.contains("shape") && child["shape"].is_array()) {
      std::cout << indent << name << "  " << core::shape_text(child["shape"].get<std::vector<std::int64_t>>()) << "\n";
    } else {
      std::cout << indent << name << "/\n";
      print_tree(child, indent + "  ");
    }
  }
}

int inspect_hdf5(const fs::path& path, bool as_json) {
  const auto file = core::h5::File::open(path);
  const core::Json tree = describe_group(file);
  if (as_json) {
    std::cout << tree.dump() << "\n";
  } else {
    print_tree(tree, "");
  }
  return 0;
}

}  // namespace

void add_inspect_command(CommandRegistry& registry, CLI::App& parent) {
  struct Options {
    std::string path;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto& inspect = registry.add(
      parent, "inspect", "Show what a safetensors file, checkpoint folder or HDF5 file holds", [options]() {
        const fs::path path(options->path);
        if (!fs::exists(path)) throw InputError(path.string() + ": does not exist; check the path");
        if (fs::is_directory(path) || path.extension() == ".safetensors" || path.extension() == ".json") {
          return inspect_safetensors(path, options->json);
        }
        if (H5Fis_hdf5(path.c_str()) > 0) return inspect_hdf5(path, options->json);
        throw InputError(path.string() +
                         ": not a safetensors file, checkpoint folder or HDF5 file (use a .safetensors, "
                         "model.safetensors.index.json, folder or .h5 path)");
      });
  inspect.add_option("path", options->path, "File or checkpoint folder")->required();
  inspect.add_flag("--json", options->json, "Print one JSON object instead of text");
}

}  // namespace evomem::apps
