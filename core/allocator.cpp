#include "core/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace evomem::core {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  // Blocks up to 512 MB come from the heap, and up to 2 GB of free heap top is kept.
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 2047 << 20);
#endif
}

}  // namespace evomem::core
