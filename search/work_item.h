#pragma once
// The unit of distributed work and its answer. The coordinator turns each generation into
// work items (one candidate genome x one batch of samples); any worker may evaluate any item,
// and results carry the item's id so they may arrive in any order.

#include <cstdint>
#include <string>
#include <vector>

namespace evomem::search {

struct WorkItem {
  std::int64_t id = 0;  // unique within a run; results are matched by it
  std::int64_t generation = 0;
  std::int64_t candidate = -1;  // column of the population; -1 for items outside it
  std::int64_t batch = 0;       // which batch of the generation's samples (objective-defined)
  std::int64_t kind = 0;        // objective-defined (e.g. population member, reference, held-out)
  std::vector<double> genome;   // may be empty (e.g. a full-cache reference item)
};

struct ItemResult {
  std::int64_t id = 0;
  bool ok = false;
  std::string error;           // when !ok: why (a worker's exception message, "timed out", ...)
  std::vector<double> values;  // objective-defined (per-sample scores, cache statistics, ...)
  double seconds = 0.0;        // evaluation time on the worker
  int worker = 0;              // rank that produced it (0 for the local executor)
  std::int64_t attempts = 0;   // dispatches of the item, the successful one included
};

// Flat byte encodings for messages (host byte order: every rank of a job runs the same build).
std::vector<char> encode(const WorkItem& item);
WorkItem decode_work_item(const std::vector<char>& bytes);
std::vector<char> encode(const ItemResult& result);
ItemResult decode_item_result(const std::vector<char>& bytes);

}  // namespace evomem::search
