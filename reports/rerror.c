/*
 * rerror.c - error messages of the reports module, through core's capa_error_set().
 */
#include "rerror.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "capa.h"

int capa_rep__err_core(int code, const char *what)
{
    char core[2048];
    snprintf(core, sizeof core, "%s", capa_error_last());
    if (!*core)
        snprintf(core, sizeof core, "%s", capa_strerror(code));
    /* The refusal behind core's message stays with it, for the tools to word (issue 17):
     * capa_error_set alone would drop it. Out of memory for the copy loses only the data. */
    capa_refusal *keep = capa_refusal_dup(capa_refusal_last());
    capa_error_set(code, "%s: %s", what, core);
    if (keep)
        capa_refusal_restore(keep);
    capa_refusal_free(keep);
    return code;
}

int capa_rep__err_ssl(int code, const char *fmt, ...)
{
    char msg[2048];
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
    return capa_error_set(code, "%s", msg);
}
