/*
 * rerror.c - thread-local error messages of the reports module (see rerror.h).
 */
#include "rerror.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "capa.h"
#include "capa_report.h"

static _Thread_local char msg[1024];

int capa_rep__err(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return code;
}

int capa_rep__err_core(int code, const char *what)
{
    const char *core = capa_error_last();
    if (core && *core)
        snprintf(msg, sizeof msg, "%s: %s", what, core);
    else
        snprintf(msg, sizeof msg, "%s: %s", what, capa_strerror(code));
    return code;
}

int capa_rep__err_ssl(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned long e;
    const char *sep = ": ";
    while ((e = ERR_get_error()) != 0) {
        size_t n = strlen(msg);
        if (n + 8 >= sizeof msg)
            continue;
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        snprintf(msg + n, sizeof msg - n, "%s%s", sep, buf);
        sep = "; ";
    }
    return code;
}

void capa_rep__err_clear(void)
{
    msg[0] = 0;
}

const char *capa_report_error_last(void)
{
    return msg;
}
