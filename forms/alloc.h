/*
 * alloc.h - private side of the allocator: the per-thread count of failed allocations, so a
 * parse or validation can tell that an allocation failed somewhere below it (even inside
 * libxml2, which sometimes swallows a failure) and answer CAPA_ENOMEM.
 */
#ifndef CAPA_ALLOC_H
#define CAPA_ALLOC_H

#include <stdarg.h>
#include <stdint.h>

#include "capa_form.h"

/** How many allocations failed on this thread so far; compare before and after a call. */
uint64_t capa__oom_count(void);
/**
 * Keep fault injection away from this thread's allocations between shield(1) and shield(0)
 * (nestable). Only for third-party code known to crash on a failed allocation instead of
 * reporting it (libxml2 2.9.14's XML Schema validator); real out-of-memory there is
 * libxml2's to handle.
 */
void capa__alloc_shield(int on);
/** vprintf into a fresh string (NULL on OOM). */
char *capa__vsprintf(const char *fmt, va_list ap);

#endif
