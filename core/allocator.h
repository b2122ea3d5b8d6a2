#pragma once
// Process-wide allocator settings for running models.
//
// Tensors of a few MB to a few hundred MB (attention scores and probabilities of a batch, KV
// caches while they grow) are allocated and freed many times per forward step. With glibc's
// defaults, blocks above the mmap threshold (at most 32 MB) get fresh pages from the kernel
// every time, and a freed heap top is returned to it: every such allocation then pays page
// faults and zeroing, up to a fifth of a batched evaluation's time. Raising both thresholds
// keeps freed memory for reuse; the cost is a resident size that stays at its peak.

namespace evomem::core {

// Raises the mmap and trim thresholds (no-op where the C library is not glibc).
void keep_freed_memory_for_reuse();

}  // namespace evomem::core
