#include "evo/search_space.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace evomem::evo {
namespace {

SearchSpace titans_space() {
  SearchSpace space;
  space.add({"forgetting", 1e-4, 1e-1, ParameterScale::kLog, true, 1e-3});
  space.add({"momentum", 0.5, 0.99, ParameterScale::kLinear, false, 0.0});
  return space;
}

TEST(SearchSpace, MapsLinearAndLogParameters) {
  const SearchSpace space = titans_space();
  EXPECT_EQ(space.dimension(), 2);
  const Eigen::VectorXd values = space.to_values(Eigen::Vector2d(0.5, 0.5));
  EXPECT_NEAR(values[0], std::sqrt(1e-4 * 1e-1), 1e-12);  // geometric midpoint
  EXPECT_NEAR(values[1], 0.745, 1e-12);
  const Eigen::VectorXd back = space.to_coordinates(values);
  EXPECT_NEAR(back[0], 0.5, 1e-12);
  EXPECT_NEAR(back[1], 0.5, 1e-12);
  const auto named = space.to_named_values(Eigen::Vector2d(0.0, 1.0));
  EXPECT_DOUBLE_EQ(named.at("forgetting"), 1e-4);
  EXPECT_DOUBLE_EQ(named.at("momentum"), 0.99);
  EXPECT_NEAR(space.from_named_values(named)[1], 1.0, 1e-12);
}

TEST(SearchSpace, InitialPointAndStrategyOptions) {
  const SearchSpace space = titans_space();
  const Eigen::VectorXd start = space.initial_coordinates();
  EXPECT_NEAR(start[0], 1.0 / 3.0, 1e-12);  // 1e-3 is a third of the way from 1e-4 to 1e-1
  EXPECT_DOUBLE_EQ(start[1], 0.5);
  CmaOptions options;
  options.sigma0 = 0.2;
  space.configure(options);
  EXPECT_EQ(options.dimension, 2);
  EXPECT_EQ(options.lower, Eigen::Vector2d(0.0, 0.0));
  EXPECT_EQ(options.upper, Eigen::Vector2d(1.0, 1.0));
  EXPECT_NO_THROW(CmaEs{options});
}

TEST(SearchSpace, RejectsBadParameters) {
  SearchSpace space = titans_space();
  EXPECT_THROW(space.add({"momentum", 0.0, 1.0, ParameterScale::kLinear, false, 0.0}), InputError);
  EXPECT_THROW(space.add({"lr", 1.0, 0.5, ParameterScale::kLinear, false, 0.0}), InputError);
  EXPECT_THROW(space.add({"lr", 0.0, 0.5, ParameterScale::kLog, false, 0.0}), InputError);
  EXPECT_THROW(space.add({"lr", 0.1, 0.5, ParameterScale::kLinear, true, 0.7}), InputError);
  EXPECT_THROW(space.index_of("nope"), InputError);
  EXPECT_THROW(space.to_values(Eigen::VectorXd::Zero(3)), InputError);
  EXPECT_THROW(parse_parameter_scale("cubic"), InputError);
  EXPECT_THROW(SearchSpace().configure(*std::make_unique<CmaOptions>()), InputError);
}

}  // namespace
}  // namespace evomem::evo
