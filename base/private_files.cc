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
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivateFileMode);
  if (fd < 0) return Unavailable("cannot open " + path + ": " + strerror(errno));
  struct stat st;
  Status s;
  if (fstat(fd, &st) != 0 || ((st.st_mode & 0777 & ~kPrivateFileMode) != 0 &&
                              fchmod(fd, st.st_mode & kPrivateFileMode) != 0)) {
    s = Unavailable("cannot set the mode of " + path + ": " + strerror(errno));
  }
  close(fd);
  return s;
}

void RestrictUmask() {
  mode_t old = umask(0);
  umask(old | 027);
}

}  // namespace ccci
