/*
 * rerror.h - the reports module's error message: a thread-local string that says what went
 * wrong with context, surfaced through capa_report_error_last(). core's public header offers
 * capa_error_last() but no setter, so reports keeps its own (and copies core's message in
 * when a core call fails).
 */
#ifndef CAPA_RERROR_H
#define CAPA_RERROR_H

/** Set the message (printf-style) and return `code`, so callers can `return rerr(...)`. */
int capa_rep__err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Set the message from core's capa_error_last(), prefixed with `what`; return `code`. */
int capa_rep__err_core(int code, const char *what);
/** Append OpenSSL's queued errors to a message (and clear the queue). */
int capa_rep__err_ssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void capa_rep__err_clear(void);

#endif
