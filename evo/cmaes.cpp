#include "evo/cmaes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "core/error.h"
#include "evo/covariance_update.h"
#include "evo/linear_algebra.h"
#include "evo/statistics.h"
#include "evo/stop_criteria.h"

namespace evomem::evo {
namespace {

constexpr std::size_t kMaxHistory = 20000;

std::string kind_of(CovarianceModel model) { return model == CovarianceModel::kFull ? "cmaes" : "sep"; }

}  // namespace

CmaEs::CmaEs(CmaOptions options) : options_(std::move(options)), rng_(options_.seed) {
  validate(options_);
  n_ = options_.dimension;
  transform_ = BoxTransform(options_.lower, options_.upper, n_);
  if (options_.scaling.size() == 0) options_.scaling = Eigen::VectorXd::Ones(n_);
  separable_ = options_.covariance == CovarianceModel::kSeparable;
  use_cholesky_ = !separable_ && (options_.decomposition == Decomposition::kCholesky ||
                                  (options_.decomposition == Decomposition::kAuto && n_ >= kCholeskyFromDimension));
  lambda_ = options_.population_size > 0
                ? options_.population_size
                : 4 + static_cast<Eigen::Index>(std::floor(3.0 * std::log(static_cast<double>(n_))));
  mu_ = options_.parent_count > 0 ? options_.parent_count : lambda_ / 2;
  if (mu_ < 1) mu_ = 1;
  set_parameters();

  Eigen::VectorXd start = options_.initial_mean.size() != 0
                              ? options_.initial_mean
                              : Eigen::VectorXd::Constant(n_, options_.initial_mean_value);
  mean_ = to_internal(start);
  sigma_ = options_.sigma0;
  path_sigma_ = Eigen::VectorXd::Zero(n_);
  path_c_ = Eigen::VectorXd::Zero(n_);
  if (separable_) {
    diagonal_ = Eigen::VectorXd::Ones(n_);
  } else {
    covariance_ = Eigen::MatrixXd::Identity(n_, n_);
    factor_ = Eigen::MatrixXd::Identity(n_, n_);
    if (!use_cholesky_) scales_ = Eigen::VectorXd::Ones(n_);
  }
  best_solution_ = Eigen::VectorXd();
  best_fitness_ = std::numeric_limits<double>::quiet_NaN();
  mean_fitness_ = std::numeric_limits<double>::quiet_NaN();
  injected_.resize(n_, 0);
}

void CmaEs::set_parameters() {
  const double n = static_cast<double>(n_);
  const double lambda = static_cast<double>(lambda_);
  Eigen::VectorXd raw(lambda_);
  for (Eigen::Index i = 0; i < lambda_; ++i) raw[i] = std::log((lambda + 1.0) / 2.0) - std::log(double(i + 1));
  // With a custom parent count the positive weights are the first mu log-rank weights.
  const double positive_sum = raw.head(mu_).sum();
  const double positive_squares = raw.head(mu_).squaredNorm();
  // Guard the degenerate lambda = 2, mu = 1 case (raw[0] = ln 1.5 > 0 anyway).
  mu_eff_ = positive_sum * positive_sum / positive_squares;

  const double alpha_cov = 2.0;
  c_sigma_ = (mu_eff_ + 2.0) / (n + mu_eff_ + 5.0);
  d_sigma_ = 1.0 + 2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (n + 1.0)) - 1.0) + c_sigma_;
  c_c_ = (4.0 + mu_eff_ / n) / (n + 4.0 + 2.0 * mu_eff_ / n);
  c_1_ = alpha_cov / ((n + 1.3) * (n + 1.3) + mu_eff_);
  c_mu_ = std::min(1.0 - c_1_, alpha_cov * (0.25 + mu_eff_ + 1.0 / mu_eff_ - 2.0) /
                                   ((n + 2.0) * (n + 2.0) + alpha_cov * mu_eff_ / 2.0));
  if (separable_) {
    // Ros & Hansen (2008): a diagonal covariance can learn (n + 2) / 3 times faster.
    const double speedup = (n + 2.0) / 3.0;
    c_1_ = std::min(1.0, c_1_ * speedup);
    c_mu_ = std::min(1.0 - c_1_, c_mu_ * speedup);
  }
  chi_n_ = std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));

  weights_ = Eigen::VectorXd::Zero(lambda_);
  for (Eigen::Index i = 0; i < mu_; ++i) weights_[i] = raw[i] / positive_sum;
  if (options_.active && lambda_ > mu_) {
    double negative_sum = 0.0;
    double negative_squares = 0.0;
    for (Eigen::Index i = mu_; i < lambda_; ++i) {
      const double w = std::min(raw[i], 0.0);
      negative_sum += w;
      negative_squares += w * w;
    }
    if (negative_sum < 0.0) {
      const double mu_eff_minus = negative_sum * negative_sum / negative_squares;
      const double alpha_mu = 1.0 + c_1_ / c_mu_;
      const double alpha_mu_eff = 1.0 + 2.0 * mu_eff_minus / (mu_eff_ + 2.0);
      const double alpha_posdef = (1.0 - c_1_ - c_mu_) / (n * c_mu_);
      const double scale = std::min({alpha_mu, alpha_mu_eff, alpha_posdef}) / -negative_sum;
      for (Eigen::Index i = mu_; i < lambda_; ++i) weights_[i] = std::min(raw[i], 0.0) * scale;
    }
  }
  decomposition_gap_ = std::max<Eigen::Index>(1,
                                              static_cast<Eigen::Index>(std::floor(1.0 / (10.0 * n * (c_1_ + c_mu_)))));
}

Eigen::VectorXd CmaEs::to_user(const Eigen::VectorXd& internal) const {
  Eigen::VectorXd x = internal.cwiseProduct(options_.scaling);
  transform_.apply(x);
  return x;
}

Eigen::VectorXd CmaEs::to_internal(const Eigen::VectorXd& user) const {
  Eigen::VectorXd x = user;
  transform_.invert(x);
  return x.cwiseQuotient(options_.scaling);
}

Eigen::VectorXd CmaEs::mean() const { return to_user(mean_); }

Eigen::VectorXd CmaEs::recommendation() const {
  if (options_.recommendation == Recommendation::kMean || !has_best_) return mean();
  return best_solution_;
}

Eigen::VectorXd CmaEs::covariance_diagonal() const {
  return separable_ ? diagonal_ : Eigen::VectorXd(covariance_.diagonal());
}

double CmaEs::condition_number() const {
  if (separable_) return diagonal_.maxCoeff() / diagonal_.minCoeff();
  if (use_cholesky_) {
    const Eigen::VectorXd d = factor_.diagonal().cwiseAbs();
    const double ratio = d.maxCoeff() / d.minCoeff();
    return ratio * ratio;
  }
  const double ratio = scales_.maxCoeff() / scales_.minCoeff();
  return ratio * ratio;
}

void CmaEs::decompose() {
  ++decompositions_;
  decomposed_at_ = generation_;
  if (use_cholesky_) {
    if (linalg::cholesky_lower(covariance_, factor_)) return;
    // Rounding can make an active update indefinite in the last digits: add a growing
    // multiple of the mean variance to the diagonal until the factorisation succeeds.
    const double jitter_base = covariance_.diagonal().mean();
    for (double jitter = 1e-14; jitter <= 1e-2; jitter *= 100.0) {
      covariance_.diagonal().array() += jitter * jitter_base;
      if (linalg::cholesky_lower(covariance_, factor_)) return;
    }
    throw InternalError("covariance matrix lost positive definiteness at generation " + std::to_string(generation_) +
                        " (Cholesky factorisation failed)");
  }
  Eigen::VectorXd eigenvalues;
  if (!linalg::symmetric_eigen(covariance_, scratch_, factor_, eigenvalues)) {
    throw InternalError("eigendecomposition of the covariance did not converge at generation " +
                        std::to_string(generation_));
  }
  const double largest = std::max(eigenvalues.maxCoeff(), std::numeric_limits<double>::min());
  scales_ = eigenvalues.cwiseMax(largest * 1e-20).cwiseSqrt();
}

Eigen::VectorXd CmaEs::whiten(const Eigen::VectorXd& y) const {
  if (separable_) return y.cwiseQuotient(diagonal_.cwiseSqrt());
  Eigen::VectorXd z = y;
  if (use_cholesky_) {
    linalg::lower_triangular_solve(factor_, z);
    return z;
  }
  linalg::multiply_transposed_vector(factor_, y, z);
  return z.cwiseQuotient(scales_);
}

void CmaEs::inject(const Eigen::VectorXd& solution) {
  if (solution.size() != n_) {
    throw InputError("injected solution has " + std::to_string(solution.size()) + " values for dimension " +
                     std::to_string(n_) + "; give one value per coordinate");
  }
  if (!solution.allFinite()) throw InputError("injected solution contains NaN or inf; give finite values");
  injected_.conservativeResize(n_, injected_.cols() + 1);
  injected_.col(injected_.cols() - 1) = solution;
}

const Eigen::MatrixXd& CmaEs::ask() {
  const linalg::SingleThreadedBlas deterministic;
  if (pending_) return candidates_;
  if (!separable_ && generation_ - decomposed_at_ >= decomposition_gap_) decompose();

  z_.resize(n_, lambda_);
  for (Eigen::Index k = 0; k < lambda_; ++k) {
    if (options_.mirrored && k % 2 == 1) {
      z_.col(k) = -z_.col(k - 1);
    } else {
      rng_.fill_normal(z_.col(k).data(), static_cast<std::size_t>(n_));
    }
  }
  if (separable_) {
    y_ = z_.array().colwise() * diagonal_.cwiseSqrt().array();
  } else if (use_cholesky_) {
    y_ = z_;
    linalg::lower_triangular_multiply(factor_, y_);
  } else {
    const Eigen::MatrixXd scaled = z_.array().colwise() * scales_.array();
    linalg::multiply(factor_, scaled, y_);
  }

  candidates_.resize(n_, lambda_ + (options_.evaluate_mean ? 1 : 0));
  const Eigen::Index injected_now = std::min(injected_.cols(), lambda_);
  for (Eigen::Index k = 0; k < lambda_; ++k) {
    if (k < injected_now) {
      // The candidate is evaluated where the caller put it; the update uses its step,
      // shortened to a tolerable Mahalanobis length so one far point cannot wreck C.
      Eigen::VectorXd y = (to_internal(injected_.col(k)) - mean_) / sigma_;
      Eigen::VectorXd z = whiten(y);
      const double limit = std::sqrt(double(n_)) + 2.0 * double(n_) / (double(n_) + 2.0);
      const double length = z.norm();
      if (length > limit) {
        y *= limit / length;
        z *= limit / length;
      }
      y_.col(k) = y;
      z_.col(k) = z;
      Eigen::VectorXd user = injected_.col(k);
      Eigen::VectorXd internal = to_internal(user);
      candidates_.col(k) = to_user(internal);
    } else {
      candidates_.col(k) = to_user(mean_ + sigma_ * y_.col(k));
    }
  }
  if (injected_now > 0) {
    const Eigen::Index left = injected_.cols() - injected_now;
    Eigen::MatrixXd rest = injected_.rightCols(left);
    injected_ = rest;
  }
  if (options_.evaluate_mean) candidates_.col(lambda_) = to_user(mean_);
  pending_ = true;
  return candidates_;
}

double CmaEs::to_internal_fitness(double value) const {
  return options_.direction == Direction::kMinimize ? value : -value;
}

std::vector<Eigen::Index> CmaEs::rank(const std::vector<double>& internal_fitness) const {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(lambda_));
  std::iota(order.begin(), order.end(), 0);
  auto better = [&](Eigen::Index a, Eigen::Index b) {
    const double fa = internal_fitness[static_cast<std::size_t>(a)];
    const double fb = internal_fitness[static_cast<std::size_t>(b)];
    if (fa != fb) return fa < fb;
    return a < b;
  };
  if (!options_.mirrored) {
    std::stable_sort(order.begin(), order.end(), better);
    return order;
  }
  // Pairwise selection: winners of mirrored pairs first, then the losers.
  std::vector<Eigen::Index> winners;
  std::vector<Eigen::Index> losers;
  for (Eigen::Index k = 0; k < lambda_; k += 2) {
    if (k + 1 >= lambda_) {
      winners.push_back(k);
    } else if (better(k + 1, k)) {
      winners.push_back(k + 1);
      losers.push_back(k);
    } else {
      winners.push_back(k);
      losers.push_back(k + 1);
    }
  }
  std::stable_sort(winners.begin(), winners.end(), better);
  std::stable_sort(losers.begin(), losers.end(), better);
  order = winners;
  order.insert(order.end(), losers.begin(), losers.end());
  return order;
}

std::vector<bool> CmaEs::failed_evaluations(const std::vector<double>& fitness,
                                            const std::vector<bool>& missing) const {
  if (!pending_) {
    throw InputError("tell() without a pending population at generation " + std::to_string(generation_) +
                     "; call ask() first and tell each population once");
  }
  const auto columns = static_cast<std::size_t>(candidates_.cols());
  if (fitness.size() != columns) {
    throw InputError("tell() got " + std::to_string(fitness.size()) + " fitness values for a population of " +
                     std::to_string(columns) + " at generation " + std::to_string(generation_) +
                     "; give one value per candidate (NaN for a failed evaluation)");
  }
  if (!missing.empty() && missing.size() != columns) {
    throw InputError("tell() got a missing-mask of " + std::to_string(missing.size()) + " entries for " +
                     std::to_string(columns) + " candidates; give one flag per candidate or none");
  }
  std::vector<bool> failed(columns);
  for (std::size_t k = 0; k < columns; ++k) failed[k] = !std::isfinite(fitness[k]) || (!missing.empty() && missing[k]);
  const auto failed_now = std::count(failed.begin(), failed.begin() + lambda_, true);
  if (static_cast<double>(failed_now) > options_.max_failed_fraction * static_cast<double>(lambda_)) {
    throw InputError("generation " + std::to_string(generation_) + ": " + std::to_string(failed_now) + " of " +
                     std::to_string(lambda_) + " evaluations failed (NaN, inf or missing), more than the allowed " +
                     "fraction " + std::to_string(options_.max_failed_fraction) +
                     "; fix the objective or raise max_failed_fraction");
  }
  return failed;
}

std::vector<double> CmaEs::record_evaluations(const std::vector<double>& fitness, const std::vector<bool>& failed) {
  // Failed evaluations rank behind every valid one.
  std::vector<double> internal(static_cast<std::size_t>(lambda_));
  for (std::size_t k = 0; k < internal.size(); ++k) {
    internal[k] = failed[k] ? std::numeric_limits<double>::infinity() : to_internal_fitness(fitness[k]);
  }
  const std::size_t columns = fitness.size();
  evaluations_ += static_cast<std::int64_t>(columns);
  failed_ += std::count(failed.begin(), failed.begin() + lambda_, true);
  for (std::size_t k = 0; k < columns; ++k) {
    if (failed[k]) continue;
    const bool improves = !has_best_ || to_internal_fitness(fitness[k]) < to_internal_fitness(best_fitness_);
    if (improves) {
      has_best_ = true;
      best_fitness_ = fitness[k];
      best_solution_ = candidates_.col(static_cast<Eigen::Index>(k));
    }
  }
  mean_fitness_ = options_.evaluate_mean && !failed[columns - 1] ? fitness[columns - 1]
                                                                 : std::numeric_limits<double>::quiet_NaN();
  return internal;
}

void CmaEs::tell(const std::vector<double>& fitness, const std::vector<bool>& missing) {
  const linalg::SingleThreadedBlas deterministic;
  const std::vector<bool> failed = failed_evaluations(fitness, missing);
  const std::vector<double> internal = record_evaluations(fitness, failed);
  update_distribution(rank(internal));
  ++generation_;
  pending_ = false;
  update_stop_reasons(internal);
}

Eigen::VectorXd CmaEs::effective_weights(const std::vector<Eigen::Index>& order) const {
  // Negative weights rescaled by n / ||z||^2 (tutorial, active CMA).
  const double n = static_cast<double>(n_);
  Eigen::VectorXd effective(lambda_);
  for (Eigen::Index i = 0; i < lambda_; ++i) {
    const double w = weights_[i];
    if (w >= 0.0) {
      effective[i] = w;
    } else {
      const double squared = z_.col(order[static_cast<std::size_t>(i)]).squaredNorm();
      effective[i] = squared > 0.0 ? w * n / squared : 0.0;
    }
  }
  return effective;
}

void CmaEs::update_distribution(const std::vector<Eigen::Index>& order) {
  const double n = static_cast<double>(n_);
  Eigen::VectorXd y_w = Eigen::VectorXd::Zero(n_);
  Eigen::VectorXd z_w = Eigen::VectorXd::Zero(n_);
  for (Eigen::Index i = 0; i < mu_; ++i) {
    y_w.noalias() += weights_[i] * y_.col(order[static_cast<std::size_t>(i)]);
    z_w.noalias() += weights_[i] * z_.col(order[static_cast<std::size_t>(i)]);
  }
  mean_.noalias() += options_.mean_learning_rate * sigma_ * y_w;

  // Step-size path in whitened coordinates: C^{-1/2} y_w = B z_w (eigen), z_w (Cholesky, sep).
  Eigen::VectorXd whitened_step;
  if (!separable_ && !use_cholesky_) {
    linalg::multiply_vector(factor_, z_w, whitened_step);
  } else {
    whitened_step = z_w;
  }
  path_sigma_ = (1.0 - c_sigma_) * path_sigma_ + std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_) * whitened_step;
  const double generations_done = static_cast<double>(generation_ + 1);
  const double path_norm = path_sigma_.norm();
  const bool h_sigma = path_norm / std::sqrt(1.0 - std::pow(1.0 - c_sigma_, 2.0 * generations_done)) <
                       (1.4 + 2.0 / (n + 1.0)) * chi_n_;
  path_c_ = (1.0 - c_c_) * path_c_;
  if (h_sigma) path_c_.noalias() += std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * y_w;
  const double delta_h = h_sigma ? 0.0 : c_c_ * (2.0 - c_c_);

  const Eigen::VectorXd effective = effective_weights(order);
  const RankUpdate update{y_,   order, effective, path_c_, 1.0 + c_1_ * delta_h - c_1_ - c_mu_ * weights_.sum(),
                          c_1_, c_mu_};
  if (separable_) {
    SeparableCovarianceUpdate::apply(update, diagonal_);
  } else {
    FullCovarianceUpdate::apply(update, covariance_);
  }

  sigma_ *= std::exp(std::min(1.0, (c_sigma_ / d_sigma_) * (path_norm / chi_n_ - 1.0)));
}

void CmaEs::update_stop_reasons(const std::vector<double>& internal_fitness) {
  std::vector<double> valid;
  for (double value : internal_fitness) {
    if (std::isfinite(value)) valid.push_back(value);
  }
  const double generation_best = valid.empty() ? std::numeric_limits<double>::infinity()
                                               : *std::min_element(valid.begin(), valid.end());
  best_history_.push_back(generation_best);
  median_history_.push_back(median(valid));
  if (best_history_.size() > kMaxHistory) {
    best_history_.erase(best_history_.begin());
    median_history_.erase(median_history_.begin());
  }
  const StopContext context{options_.stop,
                            generation_,
                            evaluations_,
                            has_best_,
                            has_best_ ? to_internal_fitness(best_fitness_) : 0.0,
                            to_internal_fitness(options_.stop.target_fitness),
                            valid,
                            best_history_,
                            median_history_,
                            kMaxHistory,
                            static_cast<double>(n_),
                            static_cast<double>(lambda_),
                            sigma_,
                            path_c_,
                            [this] { return covariance_diagonal(); },
                            [this] { return condition_number(); }};
  stop_reasons_ = reached_stop_criteria(context);
}

StrategyState CmaEs::state() const {
  StrategyState state;
  state.kind = kind_of(options_.covariance);
  state.set_integer("dimension", n_);
  state.set_integer("lambda", lambda_);
  state.set_integer("mu", mu_);
  state.set_integer("cholesky", use_cholesky_ ? 1 : 0);
  state.set_integer("evaluate_mean", options_.evaluate_mean ? 1 : 0);
  state.set_rng(rng_);
  state.set_vector("mean", mean_);
  state.set_real("sigma", sigma_);
  state.set_vector("path_sigma", path_sigma_);
  state.set_vector("path_c", path_c_);
  if (separable_) {
    state.set_vector("diagonal", diagonal_);
  } else {
    state.set_matrix("covariance", covariance_);
    state.set_matrix("factor", factor_);
    if (!use_cholesky_) state.set_vector("scales", scales_);
  }
  state.set_integer("decomposed_at", decomposed_at_);
  state.set_integer("decompositions", decompositions_);
  state.set_integer("generation", generation_);
  state.set_integer("evaluations", evaluations_);
  state.set_integer("failed", failed_);
  state.set_integer("has_best", has_best_ ? 1 : 0);
  state.set_vector("best_solution", has_best_ ? best_solution_ : Eigen::VectorXd::Zero(n_).eval());
  state.set_real("best_fitness", best_fitness_);
  state.set_real("mean_fitness", mean_fitness_);
  state.arrays["best_history"] = StateArray{{best_history_.size()}, best_history_};
  state.arrays["median_history"] = StateArray{{median_history_.size()}, median_history_};
  state.set_stop_reasons(stop_reasons_);
  state.set_integer("pending", pending_ ? 1 : 0);
  if (pending_) {
    state.set_matrix("z", z_);
    state.set_matrix("y", y_);
    state.set_matrix("candidates", candidates_);
  }
  state.set_integer("injected_count", injected_.cols());
  state.set_matrix("injected", injected_);
  return state;
}

void CmaEs::restore(const StrategyState& state) {
  const std::string expected = kind_of(options_.covariance);
  state.require_kind(expected);
  state.require_integer("dimension", n_);
  state.require_integer("lambda", lambda_);
  state.require_integer("mu", mu_);
  state.require_integer("cholesky", use_cholesky_ ? 1 : 0);
  state.require_integer("evaluate_mean", options_.evaluate_mean ? 1 : 0);

  // Read everything before assigning anything, so a corrupt state leaves this object intact.
  const Rng rng = state.rng();
  Eigen::VectorXd mean = state.vector("mean", n_);
  const double sigma = state.real("sigma");
  if (!(sigma > 0.0) || !std::isfinite(sigma) || !mean.allFinite()) {
    throw FormatError(expected + " state has a non-finite mean or non-positive sigma; the state file is corrupt");
  }
  Eigen::VectorXd path_sigma = state.vector("path_sigma", n_);
  Eigen::VectorXd path_c = state.vector("path_c", n_);
  Eigen::VectorXd diagonal;
  Eigen::MatrixXd covariance;
  Eigen::MatrixXd factor;
  Eigen::VectorXd scales;
  if (separable_) {
    diagonal = state.vector("diagonal", n_);
  } else {
    covariance = state.matrix("covariance", n_, n_);
    factor = state.matrix("factor", n_, n_);
    if (!use_cholesky_) scales = state.vector("scales", n_);
  }
  const bool has_best = state.integer("has_best") != 0;
  Eigen::VectorXd best_solution = state.vector("best_solution", n_);
  const auto& best_history = state.array("best_history").values;
  const auto& median_history = state.array("median_history").values;
  if (best_history.size() != median_history.size()) {
    throw FormatError(expected + " state has histories of different lengths; the state file is corrupt");
  }
  std::vector<StopReason> reasons = state.stop_reasons();
  const bool pending = state.integer("pending") != 0;
  Eigen::MatrixXd z, y, candidates;
  if (pending) {
    z = state.matrix("z", n_, lambda_);
    y = state.matrix("y", n_, lambda_);
    candidates = state.matrix("candidates", n_, population_size());
  }
  const std::int64_t injected_count = state.integer("injected_count");
  if (injected_count < 0)
    throw FormatError(expected + " state has a negative injected count; the state file is corrupt");
  Eigen::MatrixXd injected = state.matrix("injected", n_, injected_count);

  rng_ = rng;
  mean_ = std::move(mean);
  sigma_ = sigma;
  path_sigma_ = std::move(path_sigma);
  path_c_ = std::move(path_c);
  diagonal_ = std::move(diagonal);
  covariance_ = std::move(covariance);
  factor_ = std::move(factor);
  scales_ = std::move(scales);
  decomposed_at_ = state.integer("decomposed_at");
  decompositions_ = state.integer("decompositions");
  generation_ = state.integer("generation");
  evaluations_ = state.integer("evaluations");
  failed_ = state.integer("failed");
  has_best_ = has_best;
  best_solution_ = has_best ? best_solution : Eigen::VectorXd();
  best_fitness_ = state.real("best_fitness");
  mean_fitness_ = state.real("mean_fitness");
  best_history_ = best_history;
  median_history_ = median_history;
  stop_reasons_ = reasons;
  pending_ = pending;
  z_ = std::move(z);
  y_ = std::move(y);
  candidates_ = std::move(candidates);
  injected_ = std::move(injected);
}

}  // namespace evomem::evo
