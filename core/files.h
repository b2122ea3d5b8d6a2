#pragma once
// Plain file helpers: whole-file reads with clear errors, RAII file descriptors and memory
// maps, and atomic replacement of output files (no partial output on failure).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace evomem::core {

// Reads a whole file; InputError naming the path if it cannot be read or is a folder.
std::string read_text_file(const std::filesystem::path& path);

// Owns a POSIX file descriptor.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// A read-only memory map of a whole file. Empty files map to an empty view.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  const unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

struct AtomicWriteOptions {
  // Keep the file being replaced as "<path>.prev" (checkpoints keep the previous version).
  bool keep_previous = false;
};

// Produces `path` atomically: `writer` fills a temporary file in the same folder, which is
// fsynced and renamed over `path` only when `writer` returns normally. If `writer` throws,
// the temporary file is removed and `path` is left as it was.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(const std::filesystem::path& temporary)>& writer,
                           const AtomicWriteOptions& options = {});

// Produces folder `out` as a whole: `writer` fills a new folder beside it, which then replaces
// `out` (absent, empty, or a command's earlier output). If `writer` throws, that folder is
// removed and `out` is left as it was: a failure, a full disk included, leaves no partial output.
void write_folder_atomically(const std::filesystem::path& out,
                             const std::function<void(const std::filesystem::path& folder)>& writer);

// write_file_atomically for in-memory content.
void write_text_file_atomically(const std::filesystem::path& path, const std::string& content);

// Creates (or truncates) `path` and writes `size` bytes to it; InputError naming `reported_as`
// (the file the user asked for, when `path` is its temporary) and the system's reason (e.g.
// "No space left on device") when any of it cannot be written.
void write_bytes(const std::filesystem::path& path, const void* data, std::size_t size,
                 const std::filesystem::path& reported_as);

// Checks, before any long work, that `path` can be written as a file: it is not a folder, its
// folder exists and is writable. InputError naming `what` (e.g. "--out", "run.output") and
// the path otherwise. An existing file is not an error here; callers decide about overwriting.
void check_output_file(const std::filesystem::path& path, const std::string& what);

// Checks, before any long work, that folder `out` (named by option `what`) can receive a
// command's outputs: it is new, with a writable nearest existing ancestor, or empty, or an
// earlier output of the same command (it holds `marker`), which is replaced only when
// `replace` is true. InputError otherwise.
void check_output_folder(const std::filesystem::path& out, const std::string& what, const std::string& marker,
                         bool replace);

// Flushes a file's content to stable storage.
void fsync_path(const std::filesystem::path& path);

}  // namespace evomem::core
