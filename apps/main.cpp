// The `evomem` command. Every error is caught here, once, and printed as one line:
// exit 1 for the user's mistakes (bad flags, files, configs), 2 for evomem's own bugs.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "apps/commands/commands.h"
#include "core/allocator.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/provenance.h"
#include "core/version.h"

namespace {

// OpenMP's runtime (libgomp) reads OMP_WAIT_POLICY once, when it is loaded, before main().
// Unset, its idle threads spin before they sleep, taking the cores that the other processes of
// a busy machine need (docs/model.md, "Threads"). So unless the user chose a policy, set
// PASSIVE and start this same program again, once: the new image finds the variable set.
// execv keeps the process id, so mpirun and whoever waits for the process see nothing of it.
void wait_passively_in_openmp(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0) return;
  execv("/proc/self/exe", argv);
  unsetenv("OMP_WAIT_POLICY");  // no /proc: go on with the policy the runtime has
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// CLI11 reports a mistyped command as "a subcommand is required"; name the word instead.
std::string unknown_command(const CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--config" || word == "--set" || word == "--log-level") {
      ++i;  // skip the option's value
      continue;
    }
    if (word.empty() || word.front() == '-') continue;
    for (const auto* command : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (command->check_name(word)) return "";
    }
    return word;
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  wait_passively_in_openmp(argv);
  using namespace evomem;
  core::keep_freed_memory_for_reuse();
  core::set_command_line(argc, argv);
  CLI::App app{"evomem: evolve memory policies (NAMM) for frozen transformer language models"};
  app.set_version_flag("--version", std::string("evomem ") + core::version_text());
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand name

  apps::GlobalOptions globals;
  app.add_option("--config", globals.config_path, "Run configuration (TOML)");
  app.add_option("--set", globals.overrides, "Override a configuration key: --set section.key=value (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--log-level", globals.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_flag("-q,--quiet", globals.quiet, "Only warnings and errors; no progress output");

  apps::CommandRegistry registry(app, globals);
  apps::add_all_commands(registry);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& request) {
    return app.exit(request);
  } catch (const CLI::CallForAllHelp& request) {
    return app.exit(request);
  } catch (const CLI::CallForVersion& request) {
    return app.exit(request);
  } catch (const CLI::ParseError& error) {
    if (const std::string word = unknown_command(app, argc, argv); !word.empty()) {
      std::cerr << "evomem: error: unknown command '" << word << "'; see 'evomem --help' for the commands\n";
      return 1;
    }
    std::cerr << "evomem: error: " << first_line(error.what()) << "; see 'evomem --help'\n";
    return 1;
  }

  try {
    core::log::configure(core::log::parse_level(globals.log_level), globals.quiet);
    return registry.run_selected();
  } catch (const InputError& error) {
    std::cerr << "evomem: error: " << first_line(error.what()) << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "evomem: internal error: " << first_line(error.what()) << "\n";
    return 2;
  }
}
