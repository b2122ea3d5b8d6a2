#pragma once
// evomem's own float32 CPU kernels for the steps where LibTorch's generic operators lose most:
// decoding, where every step multiplies a handful of rows by every weight matrix and runs a
// few dozen tiny element-wise operators per layer.
//
// - A product of a few rows with a weight matrix (few_row_linear): LibTorch sends it to a
//   full sgemm, and OpenBLAS copies ("packs") the whole weight matrix into blocks on every
//   call, so a decode step spends most of its time rearranging weights it reads once. The
//   kernel here streams each weight row once and multiplies it with every input row.
// - RMSNorm, SwiGLU and the RoPE rotation as single loops: the same arithmetic as the
//   operator chains they replace (products rounded one by one), one pass over the data and
//   one dispatch instead of five to eight.
//
// They apply to float32 CPU tensors that need no gradient while enabled (the default);
// anything else takes LibTorch's path. The switch exists so tests and benchmarks can compare
// both paths in one process.

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace evomem::model {

bool cpu_kernels_enabled();
void set_cpu_kernels_enabled(bool enabled);

// True when `x` would take evomem's kernels: enabled, float32, on the CPU, no gradient.
bool takes_cpu_kernels(const at::Tensor& x);

// Rows (x's elements over its last dimension) up to which few_row_linear beats sgemm.
constexpr std::int64_t kMaxFewRows = 8;

// x [..., k] times weight [n, k] transposed -> [..., n] (at::linear without bias) for float32
// CPU tensors with at most kMaxFewRows rows; the weight matrix is read once.
at::Tensor few_row_linear(const at::Tensor& x, const at::Tensor& weight);

// weight * (x * rsqrt(mean(x^2) + eps)) over the last dimension, float32 CPU.
at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& weight, double eps);

// silu(gate) * up where gate and up are the two halves of the last dimension of `gate_up`
// [..., 2 * width] -> [..., width], float32 CPU.
at::Tensor fused_swiglu(const at::Tensor& gate_up);

// x * cos + rotate_half(x) * sin for x [batch, heads, n, d] (any strides) and cos, sin
// [batch, 1, n, d] -> a contiguous [batch, heads, n, d], float32 CPU.
at::Tensor fused_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace evomem::model
