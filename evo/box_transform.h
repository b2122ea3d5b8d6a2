#pragma once
// Box bounds through a smooth transform instead of rejection or penalties: the strategy
// searches an unbounded space and every candidate is mapped into [lower, upper].
//
// Per coordinate with bounds [l, u] and margins a_l = min((u-l)/20, (1+|l|)/20) (a_u alike):
//   1. x is folded periodically (reflection) into [l - a_l, u + a_u];
//   2. on [l - a_l, l + a_l] it maps to l + (x - l + a_l)^2 / (4 a_l), on [u - a_u, u + a_u] to
//      u - (x - u - a_u)^2 / (4 a_u), and is the identity in between.
// The map is continuous with a continuous first derivative, the identity well inside the box,
// and its image is exactly [l, u]. Coordinates with infinite bounds are left alone.

#include <Eigen/Core>

namespace evomem::evo {

class BoxTransform {
 public:
  BoxTransform() = default;
  // Empty vectors mean unbounded; InputError if sizes differ or some lower > upper.
  BoxTransform(Eigen::VectorXd lower, Eigen::VectorXd upper, Eigen::Index dimension);

  bool active() const { return active_; }
  const Eigen::VectorXd& lower() const { return lower_; }
  const Eigen::VectorXd& upper() const { return upper_; }

  // Internal (unbounded) point -> feasible point.
  void apply(Eigen::Ref<Eigen::VectorXd> x) const;
  // Feasible point -> an internal point that apply() maps back to it (the one inside
  // [l - a_l, u + a_u]); values outside the box are clipped first.
  void invert(Eigen::Ref<Eigen::VectorXd> x) const;

 private:
  bool active_ = false;
  Eigen::VectorXd lower_;
  Eigen::VectorXd upper_;
  Eigen::VectorXd margin_lower_;
  Eigen::VectorXd margin_upper_;
};

}  // namespace evomem::evo
