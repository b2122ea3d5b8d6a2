#include "core/files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"

namespace evomem::core {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

fs::path temporary_sibling(const fs::path& path) {
  // The name must be unique per writer so that two processes never share one temporary.
  std::random_device entropy;
  std::ostringstream name;
  name << "." << path.filename().string() << ".tmp-" << ::getpid() << "-" << std::hex << entropy();
  return path.parent_path() / name.str();
}

void fsync_directory(const fs::path& directory) {
  FileDescriptor fd(::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY));
  if (fd.valid()) ::fsync(fd.get());  // best effort: some file systems refuse directory fsync
}

}  // namespace

std::string read_text_file(const fs::path& path) {
  std::error_code ignored;
  // A folder opens as an empty stream on Linux; reading it as an empty file hides the mistake.
  if (fs::is_directory(path, ignored)) throw InputError(path.string() + ": is a folder, not a file; check the path");
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw InputError(path.string() + ": cannot open file (" + errno_text() + "); check the path");
  }
  std::ostringstream content;
  content << stream.rdbuf();
  if (stream.bad()) throw InputError(path.string() + ": read error");
  return content.str();
}

void check_output_file(const fs::path& path, const std::string& what) {
  std::error_code ignored;
  const std::string named = what + " " + path.string();
  if (path.empty()) throw InputError(what + ": no file named");
  if (fs::is_directory(path, ignored)) throw InputError(named + " is a folder; name a file inside it");
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  if (!fs::exists(folder, ignored)) throw InputError(named + ": the folder " + folder.string() + " does not exist");
  if (!fs::is_directory(folder, ignored)) throw InputError(named + ": " + folder.string() + " is not a folder");
  // The file is written next to itself first (atomic replacement), so the folder must be writable.
  if (::access(folder.c_str(), W_OK | X_OK) != 0) {
    throw InputError(named + ": cannot write in " + folder.string() + " (" + errno_text() + ")");
  }
}

void check_output_folder(const fs::path& out, const std::string& what, const std::string& marker, bool replace) {
  const std::string named = what + " " + out.string();
  if (fs::exists(out)) {
    if (!fs::is_directory(out)) throw InputError(named + " exists and is not a folder");
    if (fs::directory_iterator(out) != fs::directory_iterator()) {
      if (!fs::exists(out / marker)) throw InputError(named + " holds other files; give a new or empty folder");
      if (!replace) throw InputError(named + " is not empty; give a new folder or --overwrite to replace it");
    }
  }
  fs::path existing = fs::absolute(out);
  while (!fs::exists(existing)) existing = existing.parent_path();
  if (!fs::is_directory(existing) || ::access(existing.c_str(), W_OK | X_OK) != 0) {
    throw InputError(named + ": cannot write in " + existing.string());
  }
}

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

MappedFile::MappedFile(const fs::path& path) : path_(path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    throw InputError(path.string() + ": cannot open file (" + errno_text() + "); check the path");
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw InputError(path.string() + ": cannot stat file (" + errno_text() + ")");
  if (!S_ISREG(info.st_mode)) throw InputError(path.string() + ": not a regular file");
  size_ = static_cast<std::size_t>(info.st_size);
  if (size_ == 0) return;
  void* mapping = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (mapping == MAP_FAILED) throw InputError(path.string() + ": cannot map file (" + errno_text() + ")");
  data_ = static_cast<const unsigned char*>(mapping);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), size_);
}

void fsync_path(const fs::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::fsync(fd.get()) != 0) {
    throw InputError(path.string() + ": cannot flush file to disk (" + errno_text() + ")");
  }
}

void write_file_atomically(const fs::path& path, const std::function<void(const fs::path&)>& writer,
                           const AtomicWriteOptions& options) {
  const fs::path directory = path.parent_path();
  if (!directory.empty() && !fs::is_directory(directory)) {
    throw InputError(path.string() + ": output folder '" + directory.string() + "' does not exist; create it first");
  }
  const fs::path temporary = temporary_sibling(path);
  try {
    writer(temporary);
    fsync_path(temporary);
    std::error_code ignored;
    if (options.keep_previous && fs::exists(path)) {
      fs::path previous = path;
      previous += ".prev";
      // A hard link keeps the previous version reachable at every instant of the swap.
      fs::remove(previous, ignored);
      fs::create_hard_link(path, previous, ignored);
      if (ignored) fs::copy_file(path, previous, fs::copy_options::overwrite_existing);
    }
    fs::rename(temporary, path);
    fsync_directory(directory);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

void write_folder_atomically(const fs::path& out, const std::function<void(const fs::path&)>& writer) {
  fs::path target = fs::absolute(out).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/"
  fs::create_directories(target.parent_path());
  const fs::path temporary = temporary_sibling(target);
  fs::create_directory(temporary);
  try {
    writer(temporary);
  } catch (const InputError& error) {
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    // Name the folder the user asked for, not the temporary one.
    std::string message = error.what();
    for (auto at = message.find(temporary.string()); at != std::string::npos; at = message.find(temporary.string())) {
      message.replace(at, temporary.string().size(), target.string());
    }
    throw InputError(message);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    throw;
  }
  if (fs::exists(target)) {
    const fs::path earlier = temporary_sibling(target);
    fs::rename(target, earlier);
    fs::rename(temporary, target);
    fs::remove_all(earlier);
  } else {
    fs::rename(temporary, target);
  }
  fsync_directory(target.parent_path());
}

void write_text_file_atomically(const fs::path& path, const std::string& content) {
  write_file_atomically(
      path, [&](const fs::path& temporary) { write_bytes(temporary, content.data(), content.size(), path); });
}

void write_bytes(const fs::path& path, const void* data, std::size_t size, const fs::path& reported_as) {
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) throw InputError(reported_as.string() + ": cannot create file (" + errno_text() + ")");
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd.get(), bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) throw InputError(reported_as.string() + ": cannot write (" + errno_text() + ")");
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

}  // namespace evomem::core
