#include "evo/strategy_factory.h"

#include <utility>

#include "core/error.h"

namespace evomem::evo {

std::vector<std::string> strategy_kind_names() { return {"cmaes", "sep", "ipop", "bipop"}; }

StrategyKind parse_strategy_kind(const std::string& text) {
  if (text == "cmaes") return StrategyKind::kCmaes;
  if (text == "sep") return StrategyKind::kSep;
  if (text == "ipop") return StrategyKind::kIpop;
  if (text == "bipop") return StrategyKind::kBipop;
  throw InputError("unknown strategy '" + text + "'; use cmaes, sep, ipop or bipop");
}

std::string to_string(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kCmaes: return "cmaes";
    case StrategyKind::kSep: return "sep";
    case StrategyKind::kIpop: return "ipop";
    case StrategyKind::kBipop: return "bipop";
  }
  return "cmaes";
}

std::unique_ptr<Strategy> make_strategy(StrategyKind kind, CmaOptions options, RestartOptions restart) {
  switch (kind) {
    case StrategyKind::kCmaes: return std::make_unique<CmaEs>(std::move(options));
    case StrategyKind::kSep:
      options.covariance = CovarianceModel::kSeparable;
      return std::make_unique<CmaEs>(std::move(options));
    case StrategyKind::kIpop:
      restart.regime = RestartRegime::kIpop;
      return std::make_unique<RestartStrategy>(std::move(options), restart);
    case StrategyKind::kBipop:
      restart.regime = RestartRegime::kBipop;
      return std::make_unique<RestartStrategy>(std::move(options), restart);
  }
  throw InternalError("unhandled strategy kind");
}

}  // namespace evomem::evo
