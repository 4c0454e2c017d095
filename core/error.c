/*
 * error.c - error codes and the per-thread message that carries their context.
 *
 * libgit2's model: a call returns a small code; the sentence a user needs ("case QC-2026-0001:
 * field `lot_no`: value 'ab c' does not match ...") sits in a thread-local buffer until the
 * next error on the same thread.
 */
#include <stdarg.h>
#include <stdio.h>

#include "capa.h"
#include "refusal.h"

static _Thread_local char last_error[8192];

const char *capa_strerror(int code)
{
    switch (code) {
    case CAPA_OK:
        return "ok";
    case CAPA_ENOTFOUND:
        return "not found";
    case CAPA_EEXISTS:
        return "already exists";
    case CAPA_EINVALID:
        return "invalid input";
    case CAPA_ESTATE:
        return "not allowed in the current state";
    case CAPA_EDENIED:
        return "permission denied";
    case CAPA_EFULL:
        return "database full";
    case CAPA_EAUTH:
        return "authentication failed";
    case CAPA_ELOCKED:
        return "account locked";
    case CAPA_ENOMEM:
        return "out of memory";
    case CAPA_ECORRUPT:
        return "stored data is corrupt";
    default:
        return "error";
    }
}

const char *capa_error_last(void)
{
    return last_error;
}

int capa_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    /* A new error: the refusal data of the last one no longer applies (refusal.c). */
    capa__refusal_reset();
    va_start(ap, fmt);
    int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    /* Mark a cut message instead of ending mid-sentence without a hint. */
    if (n >= (int)sizeof last_error)
        snprintf(last_error + sizeof last_error - 5, 5, "...");
    return code;
}
