#pragma once
// Short-time Fourier transform magnitudes of every cached token's attention column along the
// query axis, computed for all tokens and heads of a layer at once.
//
// Frames are n_fft query rows long (periodic Hann window, no centering) and hop rows apart;
// the one-sided DFT gives n_fft / 2 + 1 bins. Because hop divides n_fft, the rows are cut
// into hop-row blocks and each frame is the sum of n_fft / hop block products with slices of
// the windowed DFT basis: no row is copied into overlapping frames. The blocks are laid out
// so that each slice of the basis meets every frame of a head in one large product.

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace evomem::memory {

class Spectrogram {
 public:
  Spectrogram(std::int64_t n_fft, std::int64_t hop);

  std::int64_t n_fft() const { return n_fft_; }
  std::int64_t hop() const { return hop_; }
  std::int64_t bins() const { return n_fft_ / 2 + 1; }
  // Frames produced by `rows` rows (rows - n_fft must be a multiple of hop).
  std::int64_t frames(std::int64_t rows) const { return (rows - n_fft_) / hop_ + 1; }

  // rows [b, h, R, n] (R >= n_fft, (R - n_fft) % hop == 0) -> magnitudes [b, h, F, bins, n]
  // in float32: frame f covers rows f*hop .. f*hop + n_fft - 1.
  at::Tensor magnitudes(const at::Tensor& rows) const;
  // Sum over frames of weights[b, h, F, n] * magnitudes -> [b, h, bins, n] of the rows
  // leading_rows [b, h, L, n] followed by rows [b, h, R, n] (L and R whole hops; either may
  // be a strided view), computed in chunks of tokens so that neither the joined rows nor the
  // [b, h, F, bins, n] magnitudes are ever materialised.
  at::Tensor weighted_sum(const at::Tensor& leading_rows, const at::Tensor& rows, const at::Tensor& weights) const;

  // The periodic Hann window [n_fft] float64 (w[t] = 0.5 - 0.5 cos(2 pi t / n_fft)).
  at::Tensor window() const;

 private:
  std::int64_t n_fft_;
  std::int64_t hop_;
  // Magnitudes [b * h, bins, F, n] (a view into the spectrum buffer).
  at::Tensor frame_magnitudes(const at::Tensor& rows) const;

  at::Tensor basis_;  // [n_fft / hop, 2 * bins, hop] float32: windowed cos rows then -sin rows
};

}  // namespace evomem::memory
