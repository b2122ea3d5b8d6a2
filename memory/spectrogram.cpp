#include "memory/spectrogram.h"

#include <ATen/ATen.h>

#include <cmath>

#include "core/error.h"

namespace evomem::memory {

Spectrogram::Spectrogram(std::int64_t n_fft, std::int64_t hop) : n_fft_(n_fft), hop_(hop) {
  EVOMEM_CHECK(n_fft_ >= 2 && hop_ > 0 && n_fft_ % hop_ == 0, "spectrogram: hop must divide n_fft");
  const std::int64_t bins = n_fft_ / 2 + 1;
  // Built in float64 and rounded once so the basis is as exact as float32 allows.
  const at::Tensor t = at::arange(n_fft_, at::kDouble);
  const at::Tensor k = at::arange(bins, at::kDouble);
  // Angles reduced modulo n_fft before scaling keep cos/sin accurate for large k * t.
  const at::Tensor phase = at::remainder(k.unsqueeze(1) * t.unsqueeze(0), static_cast<double>(n_fft_)) * (2.0 * M_PI / n_fft_);
  const at::Tensor w = window().unsqueeze(0);
  const at::Tensor full = at::cat({at::cos(phase) * w, -at::sin(phase) * w}, 0);  // [2 bins, n_fft]
  basis_ = full.view({2 * bins, n_fft_ / hop_, hop_}).permute({1, 0, 2}).contiguous().to(at::kFloat);
}

at::Tensor Spectrogram::window() const {
  return 0.5 - 0.5 * at::cos(at::arange(n_fft_, at::kDouble) * (2.0 * M_PI / n_fft_));
}

at::Tensor Spectrogram::magnitudes(const at::Tensor& rows) const {
  EVOMEM_CHECK(rows.dim() == 4, "spectrogram: rows must be [b, h, R, n]");
  const auto batch = rows.size(0);
  const auto heads = rows.size(1);
  const auto total = rows.size(2);
  const auto n = rows.size(3);
  EVOMEM_CHECK(total >= n_fft_ && (total - n_fft_) % hop_ == 0, "spectrogram: row count must be n_fft + k * hop");
  const std::int64_t blocks = total / hop_;
  const std::int64_t parts = n_fft_ / hop_;
  const std::int64_t frames = blocks - parts + 1;
  const std::int64_t bins = n_fft_ / 2 + 1;
  const at::Tensor basis = basis_.to(rows.device());
  const at::Tensor block_rows = rows.to(at::kFloat).contiguous().view({batch, heads, blocks, hop_, n});
  at::Tensor spectrum;  // [b, h, F, 2 bins, n]
  for (std::int64_t part = 0; part < parts; ++part) {
    // Blocks part .. part + F - 1 are the part-th slice of frames 0 .. F - 1.
    const at::Tensor product = at::matmul(basis[part], block_rows.narrow(2, part, frames));
    spectrum = spectrum.defined() ? spectrum.add_(product) : product;
  }
  const at::Tensor real = spectrum.narrow(3, 0, bins);
  const at::Tensor imag = spectrum.narrow(3, bins, bins);
  return (real * real + imag * imag).sqrt_();
}

}  // namespace evomem::memory
