#pragma once
// The registry of `evomem`'s subcommands: binds each command to its action and runs the one the
// user selected. The commands themselves are in apps/commands/.

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace evomem::apps {

// Options every subcommand sees (given before or after the subcommand name).
struct GlobalOptions {
  std::string config_path;             // --config FILE (TOML)
  std::vector<std::string> overrides;  // --set key.sub=value, repeatable
  std::string log_level = "info";      // --log-level
  bool quiet = false;                  // --quiet
};

// Returns the process exit code (0 on success). Throw evomem::InputError for user mistakes.
using CommandAction = std::function<int()>;

class CommandRegistry {
 public:
  explicit CommandRegistry(CLI::App& root, GlobalOptions& globals) : root_(root), globals_(globals) {}

  // Adds `name` under `parent` (the root app or a command group) and binds its action.
  CLI::App& add(CLI::App& parent, const std::string& name, const std::string& description, CommandAction action);
  // Adds a group such as `tasks` or `backbone` whose own subcommands do the work.
  CLI::App& add_group(CLI::App& parent, const std::string& name, const std::string& description);

  CLI::App& root() { return root_; }
  const GlobalOptions& globals() const { return globals_; }

  // Runs the action of the deepest subcommand the user selected.
  int run_selected() const;

 private:
  CLI::App& root_;
  GlobalOptions& globals_;
  std::map<const CLI::App*, CommandAction> actions_;
};

}  // namespace evomem::apps
