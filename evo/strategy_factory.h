#pragma once
// Builds a strategy by name ("cmaes", "sep", "ipop", "bipop"), the names used in run
// configs and by `evomem optimize`.

#include <memory>
#include <string>
#include <vector>

#include "evo/cmaes.h"
#include "evo/restarts.h"

namespace evomem::evo {

enum class StrategyKind { kCmaes, kSep, kIpop, kBipop };

StrategyKind parse_strategy_kind(const std::string& text);
std::string to_string(StrategyKind kind);
std::vector<std::string> strategy_kind_names();

// sep forces the separable covariance; ipop and bipop wrap full CMA-ES (or sep-CMA-ES when
// options.covariance is separable).
std::unique_ptr<Strategy> make_strategy(StrategyKind kind, CmaOptions options, RestartOptions restart = {});

}  // namespace evomem::evo
