#include "evo/linear_algebra.h"

#include <vector>

#include "core/error.h"

// Fortran BLAS/LAPACK entry points (column-major, every argument by pointer).
extern "C" {
void dsyevr_(const char* jobz, const char* range, const char* uplo, const int* n, double* a, const int* lda,
             const double* vl, const double* vu, const int* il, const int* iu, const double* abstol, int* m, double* w,
             double* z, const int* ldz, int* isuppz, double* work, const int* lwork, int* iwork, const int* liwork,
             int* info);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* b, const int* ldb, const double* beta, double* c,
            const int* ldc);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha, const double* a,
            const int* lda, const double* beta, double* c, const int* ldc);
void dsyr_(const char* uplo, const int* n, const double* alpha, const double* x, const int* incx, double* a,
           const int* lda);
void dtrmm_(const char* side, const char* uplo, const char* transa, const char* diag, const int* m, const int* n,
            const double* alpha, const double* a, const int* lda, double* b, const int* ldb);
void dtrsv_(const char* uplo, const char* trans, const char* diag, const int* n, const double* a, const int* lda,
            double* x, const int* incx);
void dgemv_(const char* trans, const int* m, const int* n, const double* alpha, const double* a, const int* lda,
            const double* x, const int* incx, const double* beta, double* y, const int* incy);
// OpenBLAS's thread control; weak, so that any other BLAS links too (the calls are skipped).
int openblas_get_num_threads() __attribute__((weak));
void openblas_set_num_threads(int threads) __attribute__((weak));
}

namespace evomem::evo::linalg {
namespace {

int as_int(Eigen::Index value) {
  EVOMEM_CHECK(value >= 0 && value <= 0x7fffffff, "matrix dimension does not fit a LAPACK integer");
  return static_cast<int>(value);
}

}  // namespace

SingleThreadedBlas::SingleThreadedBlas() {
  if (openblas_get_num_threads == nullptr || openblas_set_num_threads == nullptr) return;
  previous_ = openblas_get_num_threads();
  if (previous_ != 1) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous_ > 1) openblas_set_num_threads(previous_);
}

bool symmetric_eigen(const Eigen::MatrixXd& symmetric, Eigen::MatrixXd& scratch, Eigen::MatrixXd& vectors,
                     Eigen::VectorXd& values) {
  const int n = as_int(symmetric.rows());
  EVOMEM_CHECK(symmetric.cols() == symmetric.rows(), "eigendecomposition of a non-square matrix");
  if (n == 0) return true;
  scratch = symmetric;
  vectors.resize(n, n);
  values.resize(n);
  const double zero = 0.0;
  const int none = 0;
  int found = 0;
  int info = 0;
  std::vector<int> support(2 * static_cast<std::size_t>(n));
  int work_size = -1;
  int iwork_size = -1;
  double work_query = 0.0;
  int iwork_query = 0;
  dsyevr_("V", "A", "L", &n, scratch.data(), &n, &zero, &zero, &none, &none, &zero, &found, values.data(),
          vectors.data(), &n, support.data(), &work_query, &work_size, &iwork_query, &iwork_size, &info);
  if (info != 0) return false;
  work_size = static_cast<int>(work_query);
  iwork_size = iwork_query;
  std::vector<double> work(static_cast<std::size_t>(work_size));
  std::vector<int> iwork(static_cast<std::size_t>(iwork_size));
  dsyevr_("V", "A", "L", &n, scratch.data(), &n, &zero, &zero, &none, &none, &zero, &found, values.data(),
          vectors.data(), &n, support.data(), work.data(), &work_size, iwork.data(), &iwork_size, &info);
  return info == 0 && found == n;
}

bool cholesky_lower(const Eigen::MatrixXd& symmetric, Eigen::MatrixXd& factor) {
  const int n = as_int(symmetric.rows());
  factor = symmetric;
  if (n == 0) return true;
  int info = 0;
  dpotrf_("L", &n, factor.data(), &n, &info);
  if (info != 0) return false;
  for (int j = 1; j < n; ++j) factor.col(j).head(j).setZero();
  return true;
}

void multiply(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, Eigen::MatrixXd& out) {
  EVOMEM_CHECK(a.cols() == b.rows(), "matrix product with mismatched shapes");
  const int m = as_int(a.rows());
  const int n = as_int(b.cols());
  const int k = as_int(a.cols());
  out.resize(m, n);
  if (m == 0 || n == 0) return;
  if (k == 0) {
    out.setZero();
    return;
  }
  const double one = 1.0;
  const double zero = 0.0;
  dgemm_("N", "N", &m, &n, &k, &one, a.data(), &m, b.data(), &k, &zero, out.data(), &m);
}

void symmetric_rank_k(double alpha, const Eigen::MatrixXd& a, double beta, Eigen::MatrixXd& c) {
  const int n = as_int(a.rows());
  const int k = as_int(a.cols());
  EVOMEM_CHECK(c.rows() == n && c.cols() == n, "symmetric update with mismatched shapes");
  if (n == 0) return;
  dsyrk_("L", "N", &n, &k, &alpha, a.data(), &n, &beta, c.data(), &n);
}

void lower_triangular_multiply(const Eigen::MatrixXd& lower, Eigen::MatrixXd& b) {
  const int m = as_int(b.rows());
  const int n = as_int(b.cols());
  EVOMEM_CHECK(lower.rows() == m && lower.cols() == m, "triangular product with mismatched shapes");
  if (m == 0 || n == 0) return;
  const double one = 1.0;
  dtrmm_("L", "L", "N", "N", &m, &n, &one, lower.data(), &m, b.data(), &m);
}

void lower_triangular_solve(const Eigen::MatrixXd& lower, Eigen::VectorXd& x) {
  const int n = as_int(x.size());
  EVOMEM_CHECK(lower.rows() == n && lower.cols() == n, "triangular solve with mismatched shapes");
  if (n == 0) return;
  const int one = 1;
  dtrsv_("L", "N", "N", &n, lower.data(), &n, x.data(), &one);
}

void multiply_vector(const Eigen::MatrixXd& a, const Eigen::VectorXd& x, Eigen::VectorXd& y) {
  const int m = as_int(a.rows());
  const int n = as_int(a.cols());
  EVOMEM_CHECK(x.size() == n, "matrix-vector product with mismatched shapes");
  y.resize(m);
  if (m == 0) return;
  if (n == 0) {
    y.setZero();
    return;
  }
  const double one = 1.0;
  const double zero = 0.0;
  const int inc = 1;
  dgemv_("N", &m, &n, &one, a.data(), &m, x.data(), &inc, &zero, y.data(), &inc);
}

void multiply_transposed_vector(const Eigen::MatrixXd& a, const Eigen::VectorXd& x, Eigen::VectorXd& y) {
  const int m = as_int(a.rows());
  const int n = as_int(a.cols());
  EVOMEM_CHECK(x.size() == m, "matrix-vector product with mismatched shapes");
  y.resize(n);
  if (n == 0) return;
  if (m == 0) {
    y.setZero();
    return;
  }
  const double one = 1.0;
  const double zero = 0.0;
  const int inc = 1;
  dgemv_("T", &m, &n, &one, a.data(), &m, x.data(), &inc, &zero, y.data(), &inc);
}

}  // namespace evomem::evo::linalg
