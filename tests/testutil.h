/*
 * testutil.h - helpers shared by the Check suites: temporary directories and files.
 */
#ifndef CAPA_TESTUTIL_H
#define CAPA_TESTUTIL_H
#include <stddef.h>

/** Create a fresh temporary directory; returns a malloc'd path. */
char *tu_mkdtemp(void);
/** rm -rf a directory tree (test scratch only). */
void tu_rmtree(const char *path);
/** Read a whole file into a malloc'd NUL-terminated buffer; *len gets its size. */
char *tu_read_file(const char *path, size_t *len);
/** Write a buffer to a file; returns 0 on success. */
int tu_write_file(const char *path, const void *data, size_t len);
#endif
