#pragma once
// The few dense kernels CMA-ES needs at n ~ 4,000, routed to the system BLAS/LAPACK
// (OpenBLAS): Eigen's own eigensolver is far too slow at that size. All matrices are
// column-major Eigen matrices; symmetric ones are read from and written to their lower
// triangle only.

#include <Eigen/Core>

namespace evomem::evo::linalg {

// A threaded BLAS splits its reductions by thread count, so the same strategy update gives
// results that differ in the last bits on machines with different core counts, and under MPI
// with different rank-to-core bindings; over generations the runs drift apart. While a guard
// lives, OpenBLAS runs on one thread (other BLAS libraries are left as they are); strategies
// hold one during ask() and tell(), which keeps runs bit-identical everywhere.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_ = 0;  // 0: nothing to restore
};

// Eigendecomposition of the symmetric matrix whose lower triangle is `symmetric`:
// eigenvectors into the columns of `vectors`, eigenvalues (ascending) into `values`.
// `scratch` is resized to n x n and destroyed (kept by callers to avoid reallocation).
// Returns false if LAPACK did not converge.
bool symmetric_eigen(const Eigen::MatrixXd& symmetric, Eigen::MatrixXd& scratch, Eigen::MatrixXd& vectors,
                     Eigen::VectorXd& values);

// Lower Cholesky factor of the symmetric matrix whose lower triangle is `symmetric`, written
// to `factor` (upper triangle zeroed). Returns false if the matrix is not positive definite.
bool cholesky_lower(const Eigen::MatrixXd& symmetric, Eigen::MatrixXd& factor);

// out = a * b.
void multiply(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, Eigen::MatrixXd& out);

// Lower triangle of c = alpha * a * a^T + beta * c (a is n x k).
void symmetric_rank_k(double alpha, const Eigen::MatrixXd& a, double beta, Eigen::MatrixXd& c);

// b = lower * b for a lower-triangular matrix (in place, b is n x k).
void lower_triangular_multiply(const Eigen::MatrixXd& lower, Eigen::MatrixXd& b);

// x = lower^{-1} x for a lower-triangular matrix (in place).
void lower_triangular_solve(const Eigen::MatrixXd& lower, Eigen::VectorXd& x);

// y = a * x.
void multiply_vector(const Eigen::MatrixXd& a, const Eigen::VectorXd& x, Eigen::VectorXd& y);

// y = a^T * x.
void multiply_transposed_vector(const Eigen::MatrixXd& a, const Eigen::VectorXd& x, Eigen::VectorXd& y);

}  // namespace evomem::evo::linalg
