#pragma once
// Which device a worker rank evaluates on. Ranks that share a node share its GPUs, so each
// worker takes the GPU its node-local rank points at, round robin.
//
// The coordinator (rank 0) never calls this: it only plans items and aggregates results, so
// it always stays on the CPU and never holds GPU memory that a worker on the same node needs.

#include <string>

namespace evomem::cluster {

// Maps the `device` setting of a run to the torch device string of one worker:
//   "cpu"            -> "cpu"
//   "cuda", "auto"   -> "cuda:<local_rank % device_count>" when device_count > 0
//   "auto"           -> "cpu" when there is no CUDA device
//   "cuda:N"         -> kept as it is (the user pinned the device)
// "cuda" without any CUDA device, a malformed "cuda:N" and any other value are ConfigErrors
// naming the setting. Pure: the caller passes torch's device count, so this is testable
// without GPUs.
std::string worker_device(const std::string& setting, int local_rank, int device_count);

}  // namespace evomem::cluster
