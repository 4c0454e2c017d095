/*
 * rerror.h - small helpers around core's capa_error_set(): the reports module reports its
 * errors through core's thread-local message (capa_error_last()), with OpenSSL's queue
 * and core's own message folded in where they explain the failure.
 */
#ifndef CAPA_RERROR_H
#define CAPA_RERROR_H

/** Prefix core's last message with `what` and return `code`. */
int capa_rep__err_core(int code, const char *what);
/** Set the message and append OpenSSL's queued errors (clearing the queue); return `code`. */
int capa_rep__err_ssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
