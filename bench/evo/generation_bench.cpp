// Wall time of ask + tell per generation, amortised over the lazy covariance factorisations,
// and the peak resident memory of the process. One configuration per run, so that the peak
// memory belongs to it; prints one JSON line.
//
//   evo_generation_bench --n 4172 --lambda 32 --mode cholesky|eigen|sep [--cycles 2]
//
// It times `cycles * gap` generations starting at generation 1, which contain exactly
// `cycles` factorisations (gap = the tutorial's lazy-update interval).

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/json_file.h"
#include "evo/cmaes.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  using namespace evomem;
  long n = 1000;
  long lambda = 32;
  long cycles = 2;
  long min_generations = 20;
  std::string mode = "cholesky";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--n") n = std::stol(value);
    else if (flag == "--lambda") lambda = std::stol(value);
    else if (flag == "--cycles") cycles = std::stol(value);
    else if (flag == "--min-generations") min_generations = std::stol(value);
    else if (flag == "--mode") mode = value;
    else {
      std::cerr << "evo_generation_bench: unknown flag " << flag << "\n";
      return 1;
    }
  }
  try {
    evo::CmaOptions options;
    options.dimension = n;
    options.population_size = lambda;
    options.sigma0 = 0.065;
    options.initial_mean_value = 0.0;
    options.seed = 1;
    if (mode == "sep") {
      options.covariance = evo::CovarianceModel::kSeparable;
    } else {
      options.decomposition = evo::parse_decomposition(mode);
    }
    evo::CmaEs strategy(options);
    const long gap = mode == "sep" ? 1 : static_cast<long>(strategy.decomposition_gap());
    long generations = cycles * gap;
    // Sep has no factorisation; full runs with gap 1 still time a few generations.
    while (generations < min_generations) generations += (mode == "sep" ? 1 : gap);

    std::vector<double> fitness(static_cast<std::size_t>(lambda));
    auto evaluate = [&](const Eigen::MatrixXd& x) {
      for (Eigen::Index k = 0; k < x.cols(); ++k) fitness[static_cast<std::size_t>(k)] = x.col(k).squaredNorm();
    };
    // Generation 0 (no factorisation) is not timed.
    evaluate(strategy.ask());
    strategy.tell(fitness);
    const std::int64_t decompositions_before = strategy.decompositions();
    double ask_tell_seconds = 0.0;
    double slowest = 0.0;
    for (long g = 0; g < generations; ++g) {
      auto start = Clock::now();
      const Eigen::MatrixXd& x = strategy.ask();
      double step = seconds_since(start);
      evaluate(x);
      start = Clock::now();
      strategy.tell(fitness);
      step += seconds_since(start);
      ask_tell_seconds += step;
      slowest = std::max(slowest, step);
    }
    const core::Json line{
        {"mode", mode},
        {"n", n},
        {"lambda", lambda},
        {"gap", gap},
        {"generations", generations},
        {"decompositions", strategy.decompositions() - decompositions_before},
        {"seconds_per_generation", ask_tell_seconds / static_cast<double>(generations)},
        {"slowest_generation_s", slowest},
        {"peak_rss_mib", peak_resident_mib()},
        {"n2_doubles_mib", static_cast<double>(n) * static_cast<double>(n) * 8.0 / (1024.0 * 1024.0)}};
    std::cout << line.dump() << std::endl;
  } catch (const std::exception& error) {
    std::cerr << "evo_generation_bench: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
