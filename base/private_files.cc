#include "base/private_files.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace ccci {

Status MakePrivateDirs(const std::string& path) {
  std::string cur;
  for (size_t i = 0; i <= path.size(); ++i) {
    if ((i == path.size() || path[i] == '/') && !cur.empty() && cur != "/") {
      if (mkdir(cur.c_str(), kPrivateDirMode) != 0 && errno != EEXIST) {
        return Unavailable("cannot create " + cur + ": " + strerror(errno));
      }
    }
    if (i < path.size()) cur.push_back(path[i]);
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Unavailable("cannot create " + path + ": not a directory");
  }
  return Status::Ok();
}

Status MakePrivateFile(const std::string& path) {
  // An existing file is changed by path, never opened: closing a descriptor drops every POSIX
  // lock this process holds on the file, SQLite's included (see the header).
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Unavailable("cannot stat " + path + ": " + strerror(errno));
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kPrivateFileMode);
    if (fd >= 0) {
      close(fd);  // a new file: nothing in this process can hold a lock on it yet
      return Status::Ok();
    }
    if (errno != EEXIST) return Unavailable("cannot create " + path + ": " + strerror(errno));
    if (stat(path.c_str(), &st) != 0) {
      return Unavailable("cannot stat " + path + ": " + strerror(errno));
    }
  }
  if ((st.st_mode & 0777 & ~kPrivateFileMode) != 0 &&
      chmod(path.c_str(), st.st_mode & kPrivateFileMode) != 0) {
    return Unavailable("cannot set the mode of " + path + ": " + strerror(errno));
  }
  return Status::Ok();
}

void RestrictUmask() {
  mode_t old = umask(0);
  umask(old | 027);
}

}  // namespace ccci
