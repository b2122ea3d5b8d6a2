#pragma once
// The journal beside a run file ("<run.output>.journal"): the results of the work items
// finished since the last checkpoint, each appended and flushed to disk as it arrives. A run
// killed at any moment (preemption, a time limit, a lost node) resumes from its checkpoint,
// replays the same items (ids and contents are deterministic) and takes every journaled
// result instead of recomputing it: only the items in flight are lost.
//
// Layout (host byte order; docs/formats.md):
//   header  "evomem-journal-1" (16 bytes), int64 generations and int64 next_item_id of the
//           checkpoint it continues (its anchor)
//   record  uint64 payload size, uint64 FNV-1a checksum of the payload, payload =
//           uint64 hash of the encoded work item + encode(ItemResult)
// A torn or damaged record ends the journal: it and everything after it are dropped.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <unordered_map>

#include "core/files.h"
#include "search/work_item.h"

namespace evomem::search {

class RunJournal {
 public:
  explicit RunJournal(const std::filesystem::path& run_file);

  // Starts an empty journal anchored at the checkpoint just written.
  void start(std::int64_t generations, std::int64_t next_item_id);
  // Continues the journal of a run resumed from the checkpoint with this anchor: keeps the
  // results recorded after it, or starts afresh (with a warning) when the journal belongs to
  // another checkpoint or is damaged. Returns the number of results kept.
  std::size_t resume(std::int64_t generations, std::int64_t next_item_id);

  // The recorded result of `item` (same id, same content), if there is one.
  std::optional<ItemResult> find(const WorkItem& item) const;
  // Appends the result and flushes it to disk; InputError naming the journal when it cannot.
  void append(const WorkItem& item, const ItemResult& result);
  // Deletes the journal (the run is finished: its run file holds everything).
  void remove();

  const std::filesystem::path& path() const { return path_; }

 private:
  struct Entry {
    std::uint64_t item_hash = 0;
    ItemResult result;
  };

  void rewrite(std::int64_t generations, std::int64_t next_item_id);

  std::filesystem::path path_;
  core::FileDescriptor file_;
  std::unordered_map<std::int64_t, Entry> entries_;
};

}  // namespace evomem::search
