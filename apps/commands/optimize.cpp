// `evomem optimize`: runs a strategy on a built-in test function and prints one JSON line.
// It checks an install and feeds the convergence tests and benchmarks.

#include <iostream>
#include <memory>
#include <string>

#include "apps/commands/commands.h"
#include "core/error.h"
#include "core/json_file.h"
#include "evo/optimize.h"
#include "evo/strategy_factory.h"
#include "evo/test_functions.h"

namespace evomem::apps {

void add_optimize_command(CommandRegistry& registry, CLI::App& parent) {
  struct Options {
    std::string strategy = "cmaes";
    std::string function = "sphere";
    long long dimension = 10;
    unsigned long long seed = 1;
    double target = 1e-8;
    double x0 = 1.0;
    double sigma0 = 1.0;
    long long popsize = 0;
    long long max_evaluations = 0;
    long long max_generations = 0;
    std::string decomposition = "auto";
    bool mirrored = false;
    bool passive = false;
    long long max_restarts = 9;
  };
  auto options = std::make_shared<Options>();
  auto& command = registry.add(
      parent, "optimize", "Run a CMA-ES strategy on a built-in test function and print one JSON line", [options]() {
        evo::CmaOptions cma;
        cma.dimension = options->dimension;
        cma.initial_mean_value = options->x0;
        cma.sigma0 = options->sigma0;
        cma.seed = options->seed;
        cma.population_size = options->popsize;
        cma.mirrored = options->mirrored;
        cma.active = !options->passive;
        cma.decomposition = evo::parse_decomposition(options->decomposition);
        cma.stop.has_target = true;
        cma.stop.target_fitness = options->target;
        cma.stop.max_evaluations = options->max_evaluations > 0 ? options->max_evaluations : 1000000;
        cma.stop.max_generations = options->max_generations;
        evo::RestartOptions restart;
        restart.max_restarts = options->max_restarts;
        const evo::StrategyKind kind = evo::parse_strategy_kind(options->strategy);
        const evo::TestFunction function = evo::make_test_function(options->function, options->dimension);
        auto strategy = evo::make_strategy(kind, cma, restart);
        const evo::OptimizeResult result = evo::optimize(*strategy, function);
        core::Json line{{"strategy", options->strategy},
                        {"function", result.function},
                        {"dim", result.dimension},
                        {"seed", options->seed},
                        {"evaluations", result.evaluations},
                        {"generations", result.generations},
                        {"final_f", result.final_fitness},
                        {"target", options->target},
                        {"reached", result.final_fitness <= options->target},
                        {"stop", result.stop_reasons},
                        {"wall_s", result.wall_seconds}};
        std::cout << line.dump() << std::endl;
        return 0;
      });
  command.add_option("--strategy", options->strategy, "cmaes, sep, ipop or bipop")->capture_default_str();
  command
      .add_option("--function", options->function,
                  "sphere, ellipsoid, rotated_ellipsoid, rosenbrock, rastrigin, rotated_rastrigin, cigar, discus")
      ->capture_default_str();
  command.add_option("--dim", options->dimension, "Dimension")->capture_default_str();
  command.add_option("--seed", options->seed, "Random seed")->capture_default_str();
  command.add_option("--target", options->target, "Stop once the best f is at or below this")->capture_default_str();
  command.add_option("--x0", options->x0, "Initial mean (the same value in every coordinate)")->capture_default_str();
  command.add_option("--sigma0", options->sigma0, "Initial step size")->capture_default_str();
  command.add_option("--popsize", options->popsize, "Population size (0: 4 + 3 ln n)")->capture_default_str();
  command.add_option("--max-evals", options->max_evaluations, "Evaluation budget (0: 1e6)")->capture_default_str();
  command.add_option("--max-generations", options->max_generations, "Generation budget (0: none)")
      ->capture_default_str();
  command.add_option("--decomposition", options->decomposition, "auto, eigen or cholesky")->capture_default_str();
  command.add_option("--max-restarts", options->max_restarts, "ipop/bipop: restarts allowed (0: unlimited)")
      ->capture_default_str();
  command.add_flag("--mirrored", options->mirrored, "Mirrored sampling with pairwise selection");
  command.add_flag("--passive", options->passive, "No negative (active) weights");
}

}  // namespace evomem::apps
