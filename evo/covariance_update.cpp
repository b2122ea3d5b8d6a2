#include "evo/covariance_update.h"

#include <cmath>

#include "evo/linear_algebra.h"

namespace evomem::evo {

void FullCovarianceUpdate::apply(const RankUpdate& update, Eigen::MatrixXd& lower) {
  const Eigen::Index n = update.steps.rows();
  const Eigen::Index lambda = update.weights.size();
  Eigen::Index positive_count = 0;
  Eigen::Index negative_count = 0;
  for (Eigen::Index i = 0; i < lambda; ++i) {
    if (update.weights[i] > 0.0) ++positive_count;
    if (update.weights[i] < 0.0) ++negative_count;
  }
  Eigen::MatrixXd columns_positive(n, positive_count + 1);
  Eigen::MatrixXd columns_negative(n, negative_count);
  Eigen::Index p = 0;
  Eigen::Index q = 0;
  for (Eigen::Index i = 0; i < lambda; ++i) {
    const auto column = update.steps.col(update.order[static_cast<std::size_t>(i)]);
    if (update.weights[i] > 0.0) {
      columns_positive.col(p++) = std::sqrt(update.weights[i]) * column;
    } else if (update.weights[i] < 0.0) {
      columns_negative.col(q++) = std::sqrt(-update.weights[i]) * column;
    }
  }
  columns_positive.col(p) = std::sqrt(update.c_1 / update.c_mu) * update.path;
  linalg::symmetric_rank_k(update.c_mu, columns_positive, update.decay, lower);
  if (negative_count > 0) linalg::symmetric_rank_k(-update.c_mu, columns_negative, 1.0, lower);
}

void SeparableCovarianceUpdate::apply(const RankUpdate& update, Eigen::VectorXd& diagonal) {
  const Eigen::Index n = update.steps.rows();
  Eigen::VectorXd positive = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd negative = Eigen::VectorXd::Zero(n);
  for (Eigen::Index i = 0; i < update.weights.size(); ++i) {
    const double w = update.weights[i];
    if (w == 0.0) continue;
    const auto column = update.steps.col(update.order[static_cast<std::size_t>(i)]).array().square().matrix();
    if (w > 0.0) {
      positive.noalias() += w * column;
    } else {
      negative.noalias() += w * column;
    }
  }
  const double decay = update.decay;
  const double c_1 = update.c_1;
  const double c_mu = update.c_mu;
  const Eigen::VectorXd& path = update.path;
  Eigen::VectorXd updated = decay * diagonal + c_1 * path.cwiseAbs2() + c_mu * (positive + negative);
  for (Eigen::Index j = 0; j < n; ++j) {
    if (!(updated[j] > 0.0)) updated[j] = decay * diagonal[j] + c_1 * path[j] * path[j] + c_mu * positive[j];
    if (!(updated[j] > 0.0)) updated[j] = diagonal[j];
  }
  diagonal = updated;
}

}  // namespace evomem::evo
