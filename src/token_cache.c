/* On-disk token and discovery cache files. */
#define _GNU_SOURCE
#include "token_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

/* mkdir -p with mode 0700 for what we create; an existing directory must be
 * ours and private, or the cache is not used. */
static int private_dir(const char *dir) {
  char tmp[1024];
  if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp) return -1;
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
  struct stat st;
  if (stat(tmp, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid()) return -1;
  if ((st.st_mode & 077) && chmod(tmp, 0700) != 0) return -1;
  return 0;
}

int ostack_token_cache_path(const char *dir, const char *key_material, char *path, size_t n) {
  char base[1024];
  const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
  if (dir && *dir) snprintf(base, sizeof base, "%s", dir);
  else if (xdg && *xdg) snprintf(base, sizeof base, "%s/ostack-lua", xdg);
  else if (home && *home) snprintf(base, sizeof base, "%s/.cache/ostack-lua", home);
  else return -1;
  if (private_dir(base)) return -1;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (!EVP_Digest(key_material, strlen(key_material), md, &mdlen, EVP_sha256(), NULL)) return -1;
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < mdlen; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return snprintf(path, n, "%s/token-%.32s.json", base, hex) < (int)n ? 0 : -1;
}

int ostack_token_cache_read(const char *path, ostack_buf *out) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) ||
      st.st_size > 16 * 1024 * 1024) {
    close(fd);
    return -1;
  }
  char chunk[8192];
  ssize_t n;
  while ((n = read(fd, chunk, sizeof chunk)) > 0) ostack_buf_add(out, chunk, (size_t)n);
  close(fd);
  return n < 0 ? -1 : 0;
}

int ostack_token_cache_write(const char *path, const char *data, size_t len) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, data + off, len - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  int ok = off == len && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp, path) != 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

void ostack_token_cache_forget(const char *path) { unlink(path); }
