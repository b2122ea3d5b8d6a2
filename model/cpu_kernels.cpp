#include "model/cpu_kernels.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <atomic>
#include <cmath>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EVOMEM_X86_KERNELS 1
#endif

#include "core/error.h"

namespace evomem::model {

namespace {

std::atomic<bool> kernels_enabled{true};

// Work per parallel task: enough that splitting pays for waking a thread.
constexpr std::int64_t kGrainElements = 32768;

std::int64_t grain_rows(std::int64_t row_elements) {
  return std::max<std::int64_t>(1, kGrainElements / std::max<std::int64_t>(row_elements, 1));
}

// One block of output columns [n0, n1) of y[m, n] = x[m, :] . w[n, :], m < rows.
using RowKernel = void (*)(const float* x, std::int64_t rows, const float* w, std::int64_t k, std::int64_t n0,
                           std::int64_t n1, float* y, std::int64_t n);

void rows_portable(const float* x, std::int64_t rows, const float* w, std::int64_t k, std::int64_t n0, std::int64_t n1,
                   float* y, std::int64_t n) {
  for (std::int64_t col = n0; col < n1; ++col) {
    const float* w_row = w + col * k;
    for (std::int64_t m = 0; m < rows; ++m) {
      const float* x_row = x + m * k;
      // Four partial sums: independent chains the compiler can vectorise.
      float sums[4] = {0.0F, 0.0F, 0.0F, 0.0F};
      std::int64_t i = 0;
      for (; i + 4 <= k; i += 4) {
        for (int lane = 0; lane < 4; ++lane) sums[lane] += w_row[i + lane] * x_row[i + lane];
      }
      float total = (sums[0] + sums[1]) + (sums[2] + sums[3]);
      for (; i < k; ++i) total += w_row[i] * x_row[i];
      y[m * n + col] = total;
    }
  }
}

#ifdef EVOMEM_X86_KERNELS

__attribute__((target("avx2,fma"))) inline float horizontal_sum(__m256 v) {
  const __m128 pairs = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 halves = _mm_add_ps(pairs, _mm_movehl_ps(pairs, pairs));
  return _mm_cvtss_f32(_mm_add_ss(halves, _mm_shuffle_ps(halves, halves, 1)));
}

// ROWS input rows at once, each weight row loaded once per 8 floats; UNROLL independent
// accumulators per row hide the FMA latency when few rows give few chains.
template <int ROWS, int UNROLL>
__attribute__((target("avx2,fma"))) void rows_avx2(const float* x, const float* w, std::int64_t k, std::int64_t n0,
                                                   std::int64_t n1, float* y, std::int64_t n) {
  constexpr std::int64_t kStep = 8 * UNROLL;
  for (std::int64_t col = n0; col < n1; ++col) {
    const float* w_row = w + col * k;
    __m256 acc[ROWS][UNROLL];
    for (int m = 0; m < ROWS; ++m) {
      for (int u = 0; u < UNROLL; ++u) acc[m][u] = _mm256_setzero_ps();
    }
    std::int64_t i = 0;
    for (; i + kStep <= k; i += kStep) {
      for (int u = 0; u < UNROLL; ++u) {
        const __m256 weights = _mm256_loadu_ps(w_row + i + 8 * u);
        for (int m = 0; m < ROWS; ++m) {
          acc[m][u] = _mm256_fmadd_ps(weights, _mm256_loadu_ps(x + m * k + i + 8 * u), acc[m][u]);
        }
      }
    }
    for (; i + 8 <= k; i += 8) {
      const __m256 weights = _mm256_loadu_ps(w_row + i);
      for (int m = 0; m < ROWS; ++m) acc[m][0] = _mm256_fmadd_ps(weights, _mm256_loadu_ps(x + m * k + i), acc[m][0]);
    }
    for (int m = 0; m < ROWS; ++m) {
      for (int u = 1; u < UNROLL; ++u) acc[m][0] = _mm256_add_ps(acc[m][0], acc[m][u]);
      float total = horizontal_sum(acc[m][0]);
      for (std::int64_t j = i; j < k; ++j) total += w_row[j] * x[m * k + j];
      y[m * n + col] = total;
    }
  }
}

template <int ROWS>
void rows_avx2_for(const float* x, std::int64_t, const float* w, std::int64_t k, std::int64_t n0, std::int64_t n1,
                   float* y, std::int64_t n) {
  constexpr int kUnroll = ROWS == 1 ? 4 : (ROWS <= 3 ? 2 : 1);
  rows_avx2<ROWS, kUnroll>(x, w, k, n0, n1, y, n);
}

RowKernel pick_row_kernel(std::int64_t rows) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!avx2) return rows_portable;
  switch (rows) {
    case 1: return rows_avx2_for<1>;
    case 2: return rows_avx2_for<2>;
    case 3: return rows_avx2_for<3>;
    case 4: return rows_avx2_for<4>;
    case 5: return rows_avx2_for<5>;
    case 6: return rows_avx2_for<6>;
    case 7: return rows_avx2_for<7>;
    case 8: return rows_avx2_for<8>;
    default: return rows_portable;
  }
}

#else

RowKernel pick_row_kernel(std::int64_t) { return rows_portable; }

#endif

}  // namespace

bool cpu_kernels_enabled() { return kernels_enabled.load(std::memory_order_relaxed); }

void set_cpu_kernels_enabled(bool enabled) { kernels_enabled.store(enabled, std::memory_order_relaxed); }

bool takes_cpu_kernels(const at::Tensor& x) {
  // The kernels record nothing for autograd, so anything being differentiated keeps LibTorch's.
  return cpu_kernels_enabled() && x.is_cpu() && x.scalar_type() == at::kFloat && !x.requires_grad();
}

at::Tensor few_row_linear(const at::Tensor& x, const at::Tensor& weight) {
  const std::int64_t k = x.size(-1);
  const std::int64_t n = weight.size(0);
  EVOMEM_CHECK(weight.dim() == 2 && weight.size(1) == k, "few_row_linear: weight must be [n, k]");
  EVOMEM_CHECK(takes_cpu_kernels(x) && takes_cpu_kernels(weight), "few_row_linear: float32 CPU tensors only");
  const at::Tensor rows = x.reshape({-1, k}).contiguous();
  const at::Tensor w = weight.contiguous();
  const std::int64_t m = rows.size(0);
  EVOMEM_CHECK(m <= kMaxFewRows, "few_row_linear: at most kMaxFewRows rows");
  std::vector<std::int64_t> out_shape = x.sizes().vec();
  out_shape.back() = n;
  at::Tensor out = at::empty(out_shape, x.options());
  const RowKernel kernel = pick_row_kernel(m);
  const float* x_data = rows.data_ptr<float>();
  const float* w_data = w.data_ptr<float>();
  float* y_data = out.data_ptr<float>();
  at::parallel_for(0, n, grain_rows(k),
                   [&](std::int64_t n0, std::int64_t n1) { kernel(x_data, m, w_data, k, n0, n1, y_data, n); });
  return out;
}

at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const std::int64_t width = x.size(-1);
  const at::Tensor input = x.contiguous();
  const at::Tensor scale = weight.contiguous();
  at::Tensor out = at::empty_like(input);
  const float* in = input.data_ptr<float>();
  const float* w = scale.data_ptr<float>();
  float* y = out.data_ptr<float>();
  const float epsilon = static_cast<float>(eps);
  at::parallel_for(0, input.numel() / width, grain_rows(width), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* row = in + r * width;
      double squares = 0.0;
      for (std::int64_t i = 0; i < width; ++i) squares += static_cast<double>(row[i]) * row[i];
      const float inverse = 1.0F / std::sqrt(static_cast<float>(squares / static_cast<double>(width)) + epsilon);
      float* dst = y + r * width;
      for (std::int64_t i = 0; i < width; ++i) dst[i] = w[i] * (row[i] * inverse);
    }
  });
  return out;
}

at::Tensor fused_swiglu(const at::Tensor& gate_up) {
  const std::int64_t width = gate_up.size(-1) / 2;
  const at::Tensor input = gate_up.contiguous();
  std::vector<std::int64_t> out_shape = input.sizes().vec();
  out_shape.back() = width;
  at::Tensor out = at::empty(out_shape, input.options());
  const float* in = input.data_ptr<float>();
  float* y = out.data_ptr<float>();
  at::parallel_for(0, input.numel() / (2 * width), grain_rows(width), [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const float* gate = in + r * 2 * width;
      const float* up = gate + width;
      float* dst = y + r * width;
      for (std::int64_t i = 0; i < width; ++i) dst[i] = gate[i] / (1.0F + std::exp(-gate[i])) * up[i];
    }
  });
  return out;
}

at::Tensor fused_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const std::int64_t batch = x.size(0);
  const std::int64_t heads = x.size(1);
  const std::int64_t count = x.size(2);
  const std::int64_t dim = x.size(3);
  const std::int64_t half = dim / 2;
  EVOMEM_CHECK(x.stride(3) == 1, "fused_rope: the head dimension must be contiguous");
  const at::Tensor c = cos.expand({batch, 1, count, dim}).contiguous();
  const at::Tensor s = sin.expand({batch, 1, count, dim}).contiguous();
  at::Tensor out = at::empty({batch, heads, count, dim}, x.options());
  const float* in = x.data_ptr<float>();
  const float* c_data = c.data_ptr<float>();
  const float* s_data = s.data_ptr<float>();
  float* y = out.data_ptr<float>();
  const std::int64_t stride_b = x.stride(0), stride_h = x.stride(1), stride_n = x.stride(2);
  at::parallel_for(0, batch * heads * count, grain_rows(dim), [&](std::int64_t v0, std::int64_t v1) {
    for (std::int64_t v = v0; v < v1; ++v) {
      const std::int64_t b = v / (heads * count);
      const std::int64_t h = (v / count) % heads;
      const std::int64_t t = v % count;
      const float* src = in + b * stride_b + h * stride_h + t * stride_n;
      const float* cv = c_data + (b * count + t) * dim;
      const float* sv = s_data + (b * count + t) * dim;
      float* dst = y + v * dim;
      // rotate_half(x) = cat(-x2, x1); every product rounded on its own, as the operator chain.
      for (std::int64_t i = 0; i < half; ++i) {
        const float first = src[i] * cv[i];
        const float second = -src[i + half] * sv[i];
        dst[i] = first + second;
      }
      for (std::int64_t i = half; i < dim; ++i) {
        const float first = src[i] * cv[i];
        const float second = src[i - half] * sv[i];
        dst[i] = first + second;
      }
    }
  });
  return out;
}

}  // namespace evomem::model
