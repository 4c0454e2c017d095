/*
 * tz.c - time zones read straight from the IANA tz database files (TZif, RFC 8536).
 *
 * Why not setenv("TZ") + tzset() + localtime_r() under a mutex: TZ is process-wide state;
 * changing it would race with every other thread (the web server's, a host application's)
 * that calls localtime/mktime/strftime without our mutex, and the library must not change
 * the process's zone behind its back. A TZif file is a small table of transitions plus a
 * POSIX TZ rule for the times after the table; reading it is ~250 lines of pure code that
 * any number of threads may share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "refusal.h"
#include "capa.h"
#include "codec.h"

#define ZONEINFO "/usr/share/zoneinfo"
#define MAX_TZFILE (256 * 1024)

typedef struct rule {
    int kind;     /* 'M' (Mm.w.d), 'J' (Jn, no Feb 29), 'N' (n, 0-based) */
    int m, w, d;  /* M */
    int n;        /* J, N */
    int32_t time; /* seconds after local midnight (may be negative or > 24 h) */
} rule;

struct capa_tz {
    char name[128];
    size_t n_trans;
    int64_t *trans;      /* seconds, ascending */
    unsigned char *idx;  /* type of each transition */
    size_t n_types;
    int32_t *off;        /* seconds east */
    unsigned char *isdst;
    int has_rule, has_dst;
    int32_t std_off, dst_off;
    rule start, end;
};

void capa_tz_free(capa_tz *tz)
{
    if (!tz)
        return;
    capa__free(tz->trans);
    capa__free(tz->idx);
    capa__free(tz->off);
    capa__free(tz->isdst);
    capa__free(tz);
}

const char *capa_tz_name(const capa_tz *tz)
{
    return tz->name;
}

static int name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 100 || n[0] == '/')
        return 0;
    for (const char *p = n; *p; p++) {
        if ((p == n || p[-1] == '/') && (*p == '.' || *p == '/'))
            return 0; /* no "..", no hidden files, no empty components */
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '/' || *p == '_' || *p == '-' || *p == '+' || *p == '.'))
            return 0;
    }
    return n[len - 1] != '/';
}

/* ---- the POSIX TZ rule of the footer ---- */

static const char *skip_name(const char *p)
{
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p ? p + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds. */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9')
        h = h * 10 + (*p++ - '0');
    if (*p == ':') {
        p++;
        while (*p >= '0' && *p <= '9')
            m = m * 10 + (*p++ - '0');
        if (*p == ':') {
            p++;
            while (*p >= '0' && *p <= '9')
                s = s * 10 + (*p++ - '0');
        }
    }
    if (h > 167 || m > 59 || s > 59)
        return NULL;
    *out = sign * (h * 3600 + m * 60 + s);
    return p;
}

static const char *parse_rule(const char *p, rule *r)
{
    r->time = 7200;
    if (*p == 'M') {
        r->kind = 'M';
        if (sscanf(p + 1, "%d.%d.%d", &r->m, &r->w, &r->d) != 3 || r->m < 1 || r->m > 12 ||
            r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
            return NULL;
        p++;
        while ((*p >= '0' && *p <= '9') || *p == '.')
            p++;
    } else {
        r->kind = *p == 'J' ? 'J' : 'N';
        if (*p == 'J')
            p++;
        if (*p < '0' || *p > '9')
            return NULL;
        r->n = 0;
        while (*p >= '0' && *p <= '9')
            r->n = r->n * 10 + (*p++ - '0');
        if (r->n > 365)
            return NULL;
    }
    if (*p == '/' && !(p = parse_hms(p + 1, &r->time)))
        return NULL;
    return p;
}

static int parse_footer(capa_tz *tz, const char *p)
{
    int32_t o;
    if (!(p = skip_name(p)) || !(p = parse_hms(p, &o)))
        return 0;
    tz->std_off = -o; /* POSIX counts west positive */
    if (!*p) {
        tz->has_rule = 1;
        return 1;
    }
    if (!(p = skip_name(p)))
        return 0;
    tz->dst_off = tz->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &o)))
            return 0;
        tz->dst_off = -o;
    }
    if (*p != ',' || !(p = parse_rule(p + 1, &tz->start)) || *p != ',' ||
        !(p = parse_rule(p + 1, &tz->end)) || *p)
        return 0;
    tz->has_rule = tz->has_dst = 1;
    return 1;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The instant (s) a rule takes effect in year y, local time of offset `off`. */
static int64_t rule_at(const rule *r, int y, int32_t off)
{
    int64_t day;
    if (r->kind == 'M') {
        int64_t first = capa_days_from_civil(y, r->m, 1);
        int wd0 = capa_weekday(first) % 7; /* 0 = Sunday */
        int d = 1 + (r->d - wd0 + 7) % 7 + (r->w - 1) * 7;
        while (d > capa_month_days(y, r->m))
            d -= 7;
        day = first + d - 1;
    } else if (r->kind == 'J') {
        day = capa_days_from_civil(y, 1, 1) + r->n - 1 + (is_leap(y) && r->n >= 60);
    } else {
        day = capa_days_from_civil(y, 1, 1) + r->n;
    }
    return day * 86400 + r->time - off;
}

static int32_t rule_offset(const capa_tz *tz, int64_t t)
{
    if (!tz->has_dst)
        return tz->std_off;
    int y, m, d;
    capa_civil_from_days((t + tz->std_off) / 86400 - ((t + tz->std_off) % 86400 < 0), &y, &m, &d);
    int64_t start = rule_at(&tz->start, y, tz->std_off), end = rule_at(&tz->end, y, tz->dst_off);
    int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? tz->dst_off : tz->std_off;
}

int32_t capa_tz_offset(const capa_tz *tz, int64_t ms)
{
    int64_t t = ms / 1000 - (ms % 1000 < 0);
    if (tz->n_trans == 0 || t < tz->trans[0]) {
        if (tz->n_trans == 0 && tz->has_rule)
            return rule_offset(tz, t);
        for (size_t i = 0; i < tz->n_types; i++)
            if (!tz->isdst[i])
                return tz->off[i];
        return tz->n_types ? tz->off[0] : 0;
    }
    if (t >= tz->trans[tz->n_trans - 1] && tz->has_rule)
        return rule_offset(tz, t);
    size_t lo = 0, hi = tz->n_trans; /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return tz->off[tz->idx[lo]];
}

/* The first second after t at which the offset capa_tz_offset gives may change: the next
 * transition of the table, else (past it) the rule's next start or end of DST or the start
 * of a year (the rule is read per year); INT64_MAX when it never changes again. A superset of
 * the changes: between two of them the offset is one. */
static int64_t next_change(const capa_tz *tz, int64_t t)
{
    if (tz->n_trans && t < tz->trans[tz->n_trans - 1]) {
        size_t lo = 0, hi = tz->n_trans - 1; /* the first transition > t */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        return tz->trans[lo];
    }
    if (!tz->has_rule || !tz->has_dst)
        return INT64_MAX;
    int y, m, d;
    int64_t best = INT64_MAX;
    capa_civil_from_days((t + tz->std_off) / 86400 - ((t + tz->std_off) % 86400 < 0), &y, &m, &d);
    for (int yy = y - 1; yy <= y + 2; yy++) {
        int64_t c[3] = {rule_at(&tz->start, yy, tz->std_off), rule_at(&tz->end, yy, tz->dst_off),
                        capa_days_from_civil(yy, 1, 1) * 86400 - tz->std_off};
        for (int i = 0; i < 3; i++)
            if (c[i] > t && c[i] < best)
                best = c[i];
    }
    return best;
}

int capa_tz__steady(const capa_tz *tz, int64_t from, int64_t to, int32_t *off)
{
    int64_t a = from / 1000 - (from % 1000 < 0), b = to / 1000 - (to % 1000 < 0);
    *off = capa_tz_offset(tz, from);
    return next_change(tz, a) > b;
}

/* ---- loading ---- */

static int32_t be32s(const unsigned char *p)
{
    return (int32_t)capa_get_be32(p);
}

static int parse_tzif(capa_tz *tz, const unsigned char *b, size_t len)
{
    if (len < 44 || memcmp(b, "TZif", 4) != 0)
        return 0;
    int v2 = b[4] >= '2';
    const unsigned char *h = b;
    size_t tsize = 4;
    for (int pass = 0; pass < 2; pass++) {
        if ((size_t)(h - b) + 44 > len)
            return 0;
        uint32_t isut = capa_get_be32(h + 20), isstd = capa_get_be32(h + 24),
                 leap = capa_get_be32(h + 28), timecnt = capa_get_be32(h + 32),
                 typecnt = capa_get_be32(h + 36), charcnt = capa_get_be32(h + 40);
        if (timecnt > 10000 || typecnt == 0 || typecnt > 256 || charcnt > 10000 || leap > 10000 ||
            isut > 256 || isstd > 256)
            return 0;
        size_t body =
            timecnt * tsize + timecnt + typecnt * 6 + charcnt + leap * (tsize + 4) + isstd + isut;
        const unsigned char *p = h + 44;
        if ((size_t)(p - b) + body > len)
            return 0;
        if (pass == 0 && v2) {
            h = p + body;
            tsize = 8;
            continue;
        }
        tz->n_trans = timecnt;
        tz->n_types = typecnt;
        tz->trans = capa__calloc(timecnt ? timecnt : 1, sizeof *tz->trans);
        tz->idx = capa__calloc(timecnt ? timecnt : 1, 1);
        tz->off = capa__calloc(typecnt, sizeof *tz->off);
        tz->isdst = capa__calloc(typecnt, 1);
        if (!tz->trans || !tz->idx || !tz->off || !tz->isdst)
            return -1;
        for (uint32_t i = 0; i < timecnt; i++, p += tsize)
            tz->trans[i] = tsize == 8 ? (int64_t)capa_get_be64(p) : be32s(p);
        for (uint32_t i = 0; i < timecnt; i++, p++) {
            if (*p >= typecnt)
                return 0;
            tz->idx[i] = *p;
        }
        for (uint32_t i = 0; i < typecnt; i++, p += 6) {
            tz->off[i] = be32s(p);
            tz->isdst[i] = p[4];
        }
        p += charcnt + leap * (tsize + 4) + isstd + isut;
        if (v2 && (size_t)(p - b) < len && *p == '\n') {
            const unsigned char *e = memchr(p + 1, '\n', len - (size_t)(p + 1 - b));
            if (e && e - p - 1 < 100 && e > p + 1) {
                char footer[100];
                memcpy(footer, p + 1, (size_t)(e - p - 1));
                footer[e - p - 1] = 0;
                if (!parse_footer(tz, footer))
                    tz->has_rule = 0; /* unknown rule: the table alone */
            }
        }
        return 1;
    }
    return 0;
}

int capa_tz_load(capa_tz **out, const char *name)
{
    char path[256];
    unsigned char *buf = NULL;
    capa_tz *tz = NULL;
    FILE *f = NULL;
    int err = CAPA_OK;
    *out = NULL;
    if (!name || !name_ok(name))
        return capa__refuse(CAPA_EINVALID, "zone.name", "timezone", name ? name : "",
                            "time zone '%.100s': not an IANA zone name (like Asia/Shanghai: "
                            "letters, digits, / _ - +, no '..')",
                            name ? name : "");
    snprintf(path, sizeof path, "%s/%s", ZONEINFO, name);
    if (!(f = fopen(path, "rb")))
        return capa__refuse(CAPA_EINVALID, "zone.unknown", "timezone", name,
                            "time zone '%s': unknown (no zone file %s: %s)", name, path,
                            strerror(errno));
    if (!(buf = capa__malloc(MAX_TZFILE)) || !(tz = capa__calloc(1, sizeof *tz))) {
        err = capa_error_set(CAPA_ENOMEM, "time zone: out of memory");
        goto done;
    }
    size_t len = fread(buf, 1, MAX_TZFILE, f);
    int ok = parse_tzif(tz, buf, len);
    if (ok < 0) {
        err = capa_error_set(CAPA_ENOMEM, "time zone: out of memory");
        goto done;
    }
    if (!ok) {
        err = capa__refuse(CAPA_EINVALID, "zone.unknown", "timezone", name,
                           "time zone '%s': %s is not a tz database file", name, path);
        goto done;
    }
    snprintf(tz->name, sizeof tz->name, "%s", name);
    *out = tz;
    tz = NULL;
done:
    if (f)
        fclose(f);
    capa__free(buf);
    capa_tz_free(tz);
    return err;
}

/* ---- local time ---- */

void capa_tz_local(capa_local_time *out, const capa_tz *tz, int64_t ms)
{
    int32_t off = capa_tz_offset(tz, ms);
    int64_t t = ms / 1000 - (ms % 1000 < 0) + off;
    int64_t days = t / 86400 - (t % 86400 < 0);
    int64_t sod = t - days * 86400;
    capa_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod / 60 % 60);
    out->second = (int)(sod % 60);
    out->weekday = capa_weekday(days);
    out->offset = off;
}

int64_t capa_tz_utc(const capa_tz *tz, int y, int mo, int d, int h, int mi, int s)
{
    int64_t local = capa_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    int32_t oa = capa_tz_offset(tz, (local - 86400) * 1000);
    int32_t ob = capa_tz_offset(tz, (local + 86400) * 1000);
    int64_t ua = local - oa, ub = local - ob;
    int va = capa_tz_offset(tz, ua * 1000) == oa, vb = capa_tz_offset(tz, ub * 1000) == ob;
    if (va && vb)
        return (ua < ub ? ua : ub) * 1000;
    if (vb)
        return ub * 1000;
    return ua * 1000; /* valid, or in a gap: the offset before the change */
}

void capa_tz_system(char *buf, size_t sz)
{
    char link[512];
    const char *env = getenv("TZ");
    capa_tz *tz = NULL;
    if (env && *env == ':')
        env++;
    if (env && *env && capa_tz_load(&tz, env) == CAPA_OK) {
        snprintf(buf, sz, "%s", env);
        capa_tz_free(tz);
        return;
    }
    FILE *f = fopen("/etc/timezone", "r");
    if (f) {
        char line[128] = "";
        if (fgets(line, sizeof line, f)) {
            line[strcspn(line, " \r\n")] = 0;
            if (capa_tz_load(&tz, line) == CAPA_OK) {
                fclose(f);
                capa_tz_free(tz);
                snprintf(buf, sz, "%s", line);
                return;
            }
        }
        fclose(f);
    }
    ssize_t n = readlink("/etc/localtime", link, sizeof link - 1);
    if (n > 0) {
        link[n] = 0;
        const char *z = strstr(link, "zoneinfo/");
        if (z && capa_tz_load(&tz, z + 9) == CAPA_OK) {
            capa_tz_free(tz);
            snprintf(buf, sz, "%s", z + 9);
            return;
        }
    }
    snprintf(buf, sz, "UTC");
}
