#pragma once
// Order statistics of fitness values, shared by the strategies and the evolution loop.

#include <vector>

namespace evomem::evo {

// Median (mean of the two middle values for an even count); NaN for no values.
double median(std::vector<double> values);

}  // namespace evomem::evo
