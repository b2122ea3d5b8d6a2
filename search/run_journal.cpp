#include "search/run_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/logging.h"

namespace evomem::search {
namespace {

constexpr char kMagic[] = "evomem-journal-1";
constexpr std::size_t kMagicSize = sizeof kMagic - 1;
constexpr std::size_t kHeaderSize = kMagicSize + 2 * sizeof(std::int64_t);

std::uint64_t fnv1a(const char* data, std::size_t size) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::uint64_t item_hash(const WorkItem& item) {
  const auto bytes = encode(item);
  return fnv1a(bytes.data(), bytes.size());
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
T get(const std::string& in, std::size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof value);
  return value;
}

std::string header(std::int64_t generations, std::int64_t next_item_id) {
  std::string out(kMagic, kMagicSize);
  put(out, generations);
  put(out, next_item_id);
  return out;
}

std::string record(std::uint64_t hash, const ItemResult& result) {
  std::string payload;
  put(payload, hash);
  const auto encoded = encode(result);
  payload.append(encoded.data(), encoded.size());
  std::string out;
  put(out, static_cast<std::uint64_t>(payload.size()));
  put(out, fnv1a(payload.data(), payload.size()));
  return out + payload;
}

}  // namespace

RunJournal::RunJournal(const std::filesystem::path& run_file) : path_(run_file.string() + ".journal") {}

void RunJournal::rewrite(std::int64_t generations, std::int64_t next_item_id) {
  std::vector<std::int64_t> ids;
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  std::string content = header(generations, next_item_id);
  for (const auto id : ids) content += record(entries_.at(id).item_hash, entries_.at(id).result);
  file_ = core::FileDescriptor();
  core::write_text_file_atomically(path_, content);
  file_ = core::FileDescriptor(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (!file_.valid()) throw InputError(path_.string() + ": cannot open the journal (" + std::strerror(errno) + ")");
}

void RunJournal::start(std::int64_t generations, std::int64_t next_item_id) {
  entries_.clear();
  rewrite(generations, next_item_id);
}

std::size_t RunJournal::resume(std::int64_t generations, std::int64_t next_item_id) {
  entries_.clear();
  std::error_code missing;
  if (std::filesystem::exists(path_, missing)) {
    const std::string content = core::read_text_file(path_);
    if (content.size() < kHeaderSize || content.compare(0, kMagicSize, kMagic) != 0) {
      core::log::warn("{}: not an evomem journal; starting a new one", path_.string());
    } else if (get<std::int64_t>(content, kMagicSize) != generations ||
               get<std::int64_t>(content, kMagicSize + 8) != next_item_id) {
      core::log::warn("{}: recorded after generation {}, not after this checkpoint's {}; starting a new one",
                      path_.string(), get<std::int64_t>(content, kMagicSize), generations);
    } else {
      std::size_t offset = kHeaderSize;
      while (offset + 16 <= content.size()) {
        const auto size = get<std::uint64_t>(content, offset);
        if (size < 8 || size > content.size() - offset - 16) break;  // torn at the end
        const char* payload = content.data() + offset + 16;
        if (fnv1a(payload, size) != get<std::uint64_t>(content, offset + 8)) break;
        Entry entry;
        entry.item_hash = get<std::uint64_t>(content, offset + 16);
        entry.result = decode_item_result(std::vector<char>(payload + 8, payload + size));
        entries_[entry.result.id] = std::move(entry);
        offset += 16 + size;
      }
      if (offset != content.size()) {
        core::log::warn("{}: {} damaged bytes at the end dropped (a write cut short)", path_.string(),
                        content.size() - offset);
      }
    }
  }
  rewrite(generations, next_item_id);
  return entries_.size();
}

std::optional<ItemResult> RunJournal::find(const WorkItem& item) const {
  const auto found = entries_.find(item.id);
  if (found == entries_.end() || found->second.item_hash != item_hash(item)) return std::nullopt;
  return found->second.result;
}

void RunJournal::append(const WorkItem& item, const ItemResult& result) {
  EVOMEM_CHECK(file_.valid(), "journal appended to before start() or resume()");
  const std::string bytes = record(item_hash(item), result);
  // One write with O_APPEND: a kill leaves at most this record torn, which resume() drops.
  if (::write(file_.get(), bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
      ::fdatasync(file_.get()) != 0) {
    throw InputError(path_.string() + ": cannot record a result (" + std::strerror(errno) + ")");
  }
  entries_[result.id] = {item_hash(item), result};
}

void RunJournal::remove() {
  file_ = core::FileDescriptor();
  entries_.clear();
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

}  // namespace evomem::search
