#include "apps/command_registry.h"

#include "core/error.h"

namespace evomem::apps {

CLI::App& CommandRegistry::add(CLI::App& parent, const std::string& name, const std::string& description,
                               CommandAction action) {
  CLI::App* command = parent.add_subcommand(name, description);
  actions_[command] = std::move(action);
  return *command;
}

CLI::App& CommandRegistry::add_group(CLI::App& parent, const std::string& name, const std::string& description) {
  CLI::App* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  return *group;
}

int CommandRegistry::run_selected() const {
  const CLI::App* selected = &root_;
  while (true) {
    const auto chosen = selected->get_subcommands();
    if (chosen.empty()) break;
    selected = chosen.front();
  }
  auto found = actions_.find(selected);
  EVOMEM_CHECK(found != actions_.end(), "no action bound to command '" + selected->get_name() + "'");
  return found->second();
}

}  // namespace evomem::apps
