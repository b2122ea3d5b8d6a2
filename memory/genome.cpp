#include "memory/genome.h"

#include <sstream>

#include "core/error.h"
#include "core/text.h"

namespace evomem::memory {

namespace {
// Far above any genome CMA-ES can evolve (the shipped NAMM has 4,172 values), and small enough
// that a configuration read from a file cannot ask for more memory than the machine has.
constexpr std::int64_t kMaxGenomeSize = std::int64_t{1} << 24;
}  // namespace

void GenomeLayout::add(const std::string& name, const std::vector<std::int64_t>& shape) {
  EVOMEM_CHECK(find(name) == nullptr, "genome layout: duplicate tensor name " + name);
  GenomeEntry entry;
  entry.name = name;
  entry.shape = shape;
  entry.offset = size_;
  entry.size = 1;
  for (const auto dim : shape) {
    EVOMEM_CHECK(dim > 0, "genome layout: non-positive dimension in " + name);
    if (entry.size > (kMaxGenomeSize - size_) / dim) {
      throw ConfigError("genome layout: tensor " + name + " " + core::shape_text(shape) +
                        " makes the genome larger than " + std::to_string(kMaxGenomeSize) +
                        " values (check the scorer's dimensions)");
    }
    entry.size *= dim;
  }
  size_ += entry.size;
  entries_.push_back(std::move(entry));
}

const GenomeEntry* GenomeLayout::find(const std::string& name) const {
  for (const auto& entry : entries_) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string GenomeLayout::describe() const {
  std::ostringstream out;
  for (const auto& entry : entries_) {
    out << entry.name << " " << core::shape_text(entry.shape) << " offset " << entry.offset << " size " << entry.size
        << "\n";
  }
  out << "total " << size_ << "\n";
  return out.str();
}

bool GenomeLayout::operator==(const GenomeLayout& other) const {
  if (size_ != other.size_ || entries_.size() != other.entries_.size()) return false;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name != other.entries_[i].name || entries_[i].shape != other.entries_[i].shape) return false;
  }
  return true;
}

Genome Genome::zeros(const GenomeLayout& layout) {
  Genome genome;
  genome.layout = layout;
  genome.values.assign(static_cast<std::size_t>(layout.size()), 0.0f);
  return genome;
}

std::vector<float> Genome::tensor(const std::string& name) const {
  const GenomeEntry* entry = layout.find(name);
  if (!entry) throw InputError("genome has no tensor '" + name + "'");
  const auto begin = values.begin() + entry->offset;
  return std::vector<float>(begin, begin + entry->size);
}

}  // namespace evomem::memory
