#include "memory/spectrogram.h"

#include <ATen/ATen.h>

#include <algorithm>
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
  const at::Tensor phase = at::remainder(k.unsqueeze(1) * t.unsqueeze(0), static_cast<double>(n_fft_)) *
                           (2.0 * M_PI / n_fft_);
  const at::Tensor w = window().unsqueeze(0);
  const at::Tensor full = at::cat({at::cos(phase) * w, -at::sin(phase) * w}, 0);  // [2 bins, n_fft]
  basis_ = full.view({2 * bins, n_fft_ / hop_, hop_}).permute({1, 0, 2}).contiguous().to(at::kFloat);
}

at::Tensor Spectrogram::window() const {
  return 0.5 - 0.5 * at::cos(at::arange(n_fft_, at::kDouble) * (2.0 * M_PI / n_fft_));
}

at::Tensor Spectrogram::frame_magnitudes(const at::Tensor& rows) const {
  EVOMEM_CHECK(rows.dim() == 4, "spectrogram: rows must be [b, h, R, n]");
  const auto groups = rows.size(0) * rows.size(1);
  const auto total = rows.size(2);
  const auto n = rows.size(3);
  EVOMEM_CHECK(total >= n_fft_ && (total - n_fft_) % hop_ == 0, "spectrogram: row count must be n_fft + k * hop");
  const std::int64_t blocks = total / hop_;
  const std::int64_t parts = n_fft_ / hop_;
  const std::int64_t frames = blocks - parts + 1;
  const std::int64_t bins = n_fft_ / 2 + 1;
  const at::Tensor basis = basis_.to(rows.device());
  // [g, hop, blocks * n]: row t of block j at column j * n + token. Frames 0 .. F - 1 then
  // read their part-th hop rows from one contiguous column range, so each part is a single
  // large product per group ([2 bins, hop] x [hop, F * n]) without copying overlapping frames.
  const at::Tensor block_rows = rows.to(at::kFloat)
                                    .reshape({groups, blocks, hop_, n})
                                    .transpose(1, 2)
                                    .contiguous()
                                    .view({groups, hop_, blocks * n});
  at::Tensor spectrum;  // [g, 2 bins, F * n]
  for (std::int64_t part = 0; part < parts; ++part) {
    const at::Tensor part_basis = basis[part].expand({groups, 2 * bins, hop_});
    const at::Tensor part_rows = block_rows.narrow(2, part * n, frames * n);
    spectrum = spectrum.defined() ? spectrum.baddbmm_(part_basis, part_rows) : at::bmm(part_basis, part_rows);
  }
  // |X|^2 = re^2 + im^2 into the real half, in place (no further [g, 2 bins, F, n] buffers).
  spectrum.square_();
  at::Tensor power = spectrum.narrow(1, 0, bins);
  power.add_(spectrum.narrow(1, bins, bins));
  return power.sqrt_().view({groups, bins, frames, n});
}

at::Tensor Spectrogram::magnitudes(const at::Tensor& rows) const {
  const at::Tensor frames = frame_magnitudes(rows);  // [g, bins, F, n]
  return frames.view({rows.size(0), rows.size(1), frames.size(1), frames.size(2), frames.size(3)})
      .permute({0, 1, 3, 2, 4})
      .contiguous();
}

namespace {

// Tokens per chunk of weighted_sum: the chunk's spectrum buffer stays near 4 MB (reused
// from the heap, mostly in cache) instead of one buffer of F * 2 bins floats per token.
constexpr std::int64_t kChunkFloats = std::int64_t{1} << 20;

}  // namespace

at::Tensor Spectrogram::weighted_sum(const at::Tensor& leading_rows, const at::Tensor& rows,
                                     const at::Tensor& weights) const {
  EVOMEM_CHECK(leading_rows.dim() == 4 && rows.dim() == 4, "spectrogram: rows must be [b, h, R, n]");
  const auto batch = rows.size(0);
  const auto heads = rows.size(1);
  const auto groups = batch * heads;
  const auto n = rows.size(3);
  const auto lead = leading_rows.size(2);
  const auto total = lead + rows.size(2);
  EVOMEM_CHECK(lead % hop_ == 0 && rows.size(2) % hop_ == 0 && leading_rows.size(3) == n,
               "spectrogram: row parts must be whole hops");
  EVOMEM_CHECK(total >= n_fft_ && (total - n_fft_) % hop_ == 0, "spectrogram: row count must be n_fft + k * hop");
  const std::int64_t blocks = total / hop_;
  const std::int64_t parts = n_fft_ / hop_;
  const std::int64_t frames = blocks - parts + 1;
  const std::int64_t bins = n_fft_ / 2 + 1;
  EVOMEM_CHECK(weights.numel() == groups * frames * n, "spectrogram: weights must be [b, h, F, n]");
  const auto options = rows.options().dtype(at::kFloat);
  const at::Tensor basis = basis_.to(rows.device());
  const at::Tensor frame_weights = weights.to(at::kFloat).reshape({groups, 1, frames, n});
  const at::Tensor lead_blocks = leading_rows.reshape({groups, lead / hop_, hop_, n});
  const at::Tensor row_blocks = rows.reshape({groups, rows.size(2) / hop_, hop_, n});
  at::Tensor out = at::empty({groups, bins, n}, options);
  const std::int64_t chunk = std::clamp<std::int64_t>(kChunkFloats / (groups * 2 * bins * frames), 16,
                                                      std::max<std::int64_t>(n, 1));
  // Reused across chunks: [g, hop, blocks, chunk] rows and the [g, 2 bins, F * chunk] spectrum.
  at::Tensor block_buffer = at::empty({groups, hop_, blocks, chunk}, options);
  at::Tensor spectrum_buffer = at::empty({groups, 2 * bins, frames * chunk}, options);
  for (std::int64_t start = 0; start < n; start += chunk) {
    const std::int64_t width = std::min(chunk, n - start);
    at::Tensor block_rows = width == chunk ? block_buffer : at::empty({groups, hop_, blocks, width}, options);
    block_rows.narrow(2, 0, lead / hop_).copy_(lead_blocks.narrow(3, start, width).transpose(1, 2));
    block_rows.narrow(2, lead / hop_, blocks - lead / hop_).copy_(row_blocks.narrow(3, start, width).transpose(1, 2));
    const at::Tensor flat_rows = block_rows.view({groups, hop_, blocks * width});
    at::Tensor spectrum = width == chunk ? spectrum_buffer : at::empty({groups, 2 * bins, frames * width}, options);
    for (std::int64_t part = 0; part < parts; ++part) {
      const at::Tensor part_basis = basis[part].expand({groups, 2 * bins, hop_});
      const at::Tensor part_rows = flat_rows.narrow(2, part * width, frames * width);
      if (part == 0) {
        at::bmm_out(spectrum, part_basis, part_rows);
      } else {
        spectrum.baddbmm_(part_basis, part_rows);
      }
    }
    spectrum.square_();
    at::Tensor power = spectrum.narrow(1, 0, bins);
    power.add_(spectrum.narrow(1, bins, bins)).sqrt_();
    const at::Tensor magnitudes = power.view({groups, bins, frames, width});
    magnitudes.mul_(frame_weights.narrow(3, start, width));
    out.narrow(2, start, width).copy_(magnitudes.sum(2));
  }
  return out.view({batch, heads, bins, n});
}

}  // namespace evomem::memory
