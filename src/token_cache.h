/* The on-disk token and discovery cache: one 0600 file per set of auth
 * parameters in a 0700 directory, so that repeated runs skip
 * re-authentication until the token nears expiry. It never holds a
 * password; the file name is a SHA-256 of the parameters (secrets
 * included, so other credentials never find this token). */
#ifndef OSTACK_TOKEN_CACHE_H
#define OSTACK_TOKEN_CACHE_H

#include <stddef.h>

#include "buf.h"

/* Fills path (in $XDG_CACHE_HOME/ostack-lua or ~/.cache/ostack-lua,
 * or dir when given) for the key material; creates the directory 0700.
 * Returns 0, or -1 when no usable directory exists. */
int ostack_token_cache_path(const char *dir, const char *key_material, char *path, size_t n);
/* Reads the file into out if it exists, is ours and is not readable by
 * others. Returns 0 or -1. */
int ostack_token_cache_read(const char *path, ostack_buf *out);
/* Writes atomically (temporary 0600 file, then rename). Returns 0 or -1. */
int ostack_token_cache_write(const char *path, const char *data, size_t len);
/* Removes the file (a rejected cached token). */
void ostack_token_cache_forget(const char *path);

#endif
