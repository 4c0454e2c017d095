/*
 * stats.c - the monthly quality report's figures (capa_stats.h), from case headers and
 * indexes only: one pass over the headers (each decoded in place, no allocation) counts
 * the 12-month trend and open-at-end; the month's own cases are the opened-date index's
 * range; the time limits are evaluated as capa_limits_compute evaluates them
 * (capa_limits__eval_kinds) over what the header keeps of each limit's end (when the first
 * stage was signed, containment first set, the plan approved, the case closed), so the rates
 * use the same rules as `show` and `list`; working-day due times come from one table of the
 * period's days (capa_workdays) instead of a walk over the calendar per case.
 * Months, day boundaries and the trend are in the plant's time zone.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "limits.h"
#include "record.h"
#include "recurrence.h"
#include "parscan.h"
#include "refusal.h"
#include "capa_calendar.h"

#define HOUR_MS 3600000.0

/* ---- a breakdown: string -> count, hashed while counting ---- */

typedef struct tally {
    capa_stat_counts c;
    size_t cap;
    size_t *slot; /* open addressing: index + 1 into c.v, 0 = empty */
    size_t nslot;
    size_t last; /* index + 1 of the key counted last (0: none): runs of one value skip the hash */
    int oom;
} tally;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int grow(tally *t)
{
    size_t n = t->nslot ? t->nslot * 2 : 64;
    size_t *sl = capa__calloc(n, sizeof *sl);
    if (!sl)
        return t->oom = 1, -1;
    for (size_t i = 0; i < t->c.n; i++) {
        size_t j = hash(t->c.v[i].key) & (n - 1);
        while (sl[j])
            j = (j + 1) & (n - 1);
        sl[j] = i + 1;
    }
    capa__free(t->slot);
    t->slot = sl;
    t->nslot = n;
    return 0;
}

static long tally_add(tally *t, const char *key, uint64_t by)
{
    if (t->oom)
        return -1;
    key = key ? key : "";
    if (t->last && strcmp(t->c.v[t->last - 1].key, key) == 0) {
        t->c.v[t->last - 1].count += by;
        t->c.total += by;
        return (long)(t->last - 1);
    }
    if ((t->c.n + 1) * 2 > t->nslot && grow(t))
        return -1;
    size_t j = hash(key) & (t->nslot - 1);
    while (t->slot[j]) {
        capa_stat_count *e = &t->c.v[t->slot[j] - 1];
        if (strcmp(e->key, key) == 0) {
            e->count += by;
            t->c.total += by;
            t->last = t->slot[j];
            return (long)(t->slot[j] - 1);
        }
        j = (j + 1) & (t->nslot - 1);
    }
    if (t->c.n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        capa_stat_count *v = capa__realloc(t->c.v, cap * sizeof *v);
        if (!v) {
            t->oom = 1;
            return -1;
        }
        t->c.v = v;
        t->cap = cap;
    }
    char *k = capa__strdup(key);
    if (!k) {
        t->oom = 1;
        return -1;
    }
    t->c.v[t->c.n] = (capa_stat_count){k, by, 0};
    t->slot[j] = ++t->c.n;
    t->last = t->c.n;
    t->c.total += by;
    return (long)(t->c.n - 1);
}

static int by_pareto(const void *a, const void *b)
{
    const capa_stat_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void counts_clear(capa_stat_counts *c)
{
    for (size_t i = 0; c->v && i < c->n; i++)
        capa__free(c->v[i].key);
    capa__free(c->v);
    memset(c, 0, sizeof *c);
}

/* Sort into Pareto order, fill in the cumulative shares and hand the counts over. */
static int tally_finish(capa_stat_counts *out, tally *t)
{
    capa__free(t->slot);
    t->slot = NULL;
    if (t->oom) {
        counts_clear(&t->c);
        return capa_error_set(CAPA_ENOMEM, "report: out of memory");
    }
    if (t->c.n)
        qsort(t->c.v, t->c.n, sizeof *t->c.v, by_pareto);
    uint64_t run = 0;
    for (size_t i = 0; i < t->c.n; i++) {
        run += t->c.v[i].count;
        t->c.v[i].cumulative_percent = t->c.total ? 100.0 * (double)run / (double)t->c.total : 0;
    }
    *out = t->c;
    memset(t, 0, sizeof *t);
    return CAPA_OK;
}

/* Every choice of a field, counted 0, so the report lists them all. */
static void seed_choices(tally *t, const capa_formdef *fd, const char *field)
{
    const capa_field *f = fd ? capa_formdef_field(fd, field) : NULL;
    for (size_t i = 0; f && i < f->n_choices; i++)
        tally_add(t, f->choices[i].value, 0);
}

const capa_stat_count *capa_stat_find(const capa_stat_counts *c, const char *key)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    return NULL;
}

/* ---- the month ---- */

static int parse_month(int *y, int *m, const char *text)
{
    const char *t = text ? text : "";
    int ok = strlen(t) == 7 && t[4] == '-';
    for (int i = 0; ok && i < 7; i++)
        ok = i == 4 || (t[i] >= '0' && t[i] <= '9');
    if (!ok)
        return capa__refuse(CAPA_EINVALID, "report.month", "month", t,
                            "report: month '%.40s': not a month YYYY-MM", t);
    *y = atoi(t);
    *m = atoi(t + 5);
    if (*m < 1 || *m > 12) {
        int err = capa__refuse(CAPA_EINVALID, "report.month_number", "month", t,
                               "report: month '%s': no month %02d (months are 01 to 12)", t, *m);
        capa__refusal_param("number", "%02d", *m);
        return err;
    }
    if (*y < 1970)
        return capa__refuse(CAPA_EINVALID, "report.before_1970", "month", t,
                            "report: month '%s': before 1970", t);
    return CAPA_OK;
}

static void month_add(int *y, int *m, int k)
{
    int n = *y * 12 + (*m - 1) + k;
    *y = n / 12;
    *m = n % 12 + 1;
}

/* The day number of the Monday of ISO week 1 of ISO year y (the week holding 4 January). */
static int64_t iso_week1(int y)
{
    int64_t jan4 = capa_days_from_civil(y, 1, 4);
    return jan4 - (capa_weekday(jan4) - 1);
}

/* The ISO year and week of day number `days`. */
static void iso_week_of(int64_t days, int *y, int *w)
{
    int cy, cm, cd;
    capa_civil_from_days(days, &cy, &cm, &cd);
    int64_t monday = days - (capa_weekday(days) - 1);
    *y = cy + 1;
    if (monday < iso_week1(*y))
        *y = cy;
    if (monday < iso_week1(*y))
        *y = cy - 1;
    *w = (int)((monday - iso_week1(*y)) / 7) + 1;
}

static int parse_week(int64_t *monday, const char *text)
{
    const char *t = text ? text : "";
    int ok = strlen(t) == 8 && t[4] == '-' && t[5] == 'W';
    for (int i = 0; ok && i < 8; i++)
        ok = i == 4 || i == 5 || (t[i] >= '0' && t[i] <= '9');
    if (!ok)
        return capa__refuse(CAPA_EINVALID, "report.week", "week", t,
                            "report: week '%.40s': not an ISO week YYYY-Www (e.g. 2026-W49)", t);
    int y = atoi(t), w = atoi(t + 6);
    if (y < 1970)
        return capa__refuse(CAPA_EINVALID, "report.before_1970", "week", t,
                            "report: week '%s': before 1970", t);
    int weeks = (int)((iso_week1(y + 1) - iso_week1(y)) / 7);
    if (w < 1 || w > weeks) {
        char n[8];
        snprintf(n, sizeof n, "%d", weeks);
        int err = capa__refuse(CAPA_EINVALID, "report.week_number", "week", t,
                               "report: week '%s': no week %02d (ISO year %.4s has weeks 01 to %s)",
                               t, w, t, n);
        capa__refusal_param("number", "%02d", w);
        capa__refusal_param("year", "%.4s", t);
        capa__refusal_param("weeks", "%s", n);
        return err;
    }
    *monday = iso_week1(y) + (int64_t)(w - 1) * 7;
    return CAPA_OK;
}

static int parse_day(int64_t *days, const char *what, const char *text)
{
    const char *t = text ? text : "";
    int y, m, d;
    if (!capa_date_parse(t, &y, &m, &d))
        return capa__refuse(CAPA_EINVALID, "report.day", what, t,
                            "report: %s '%.40s': not a date YYYY-MM-DD (a day of the calendar)",
                            what, t);
    if (y < 1970)
        return capa__refuse(CAPA_EINVALID, "report.before_1970", what, t,
                            "report: %s '%s': before 1970", what, t);
    *days = capa_days_from_civil(y, m, d);
    return CAPA_OK;
}

static int64_t local_midnight(const capa_tz *tz, int64_t days)
{
    int y, m, d;
    capa_civil_from_days(days, &y, &m, &d);
    return capa_tz_utc(tz, y, m, d, 0, 0, 0);
}

static void day_text(char *b, size_t sz, int64_t days)
{
    int y, m, d;
    capa_civil_from_days(days, &y, &m, &d);
    snprintf(b, sz, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
}

/* The window of the report and its trend's 13 bounds (12 periods, oldest first). */
static int window(capa_monthly *m, int64_t bound[13], const capa_tz *tz, capa_period_kind kind,
                  const char *a, const char *b)
{
    int y = 0, mo = 0, err;
    int64_t first = 0, last = 0; /* day numbers, both included */
    m->kind = kind;
    if (kind == CAPA_PERIOD_WEEK) {
        if ((err = parse_week(&first, a)))
            return err;
        last = first + 6;
        for (int i = 0; i < 13; i++) {
            int64_t monday = first + (int64_t)(i - 11) * 7;
            bound[i] = local_midnight(tz, monday);
            if (i < 12) {
                iso_week_of(monday, &m->trend[i].year, &m->trend[i].month);
                snprintf(m->trend[i].label, sizeof m->trend[i].label, "%04d-W%02d",
                         m->trend[i].year % 10000, m->trend[i].month % 100);
            }
        }
        snprintf(m->period_text, sizeof m->period_text, "%.8s", a);
        m->start = bound[11];
        m->end = bound[12];
    } else {
        if (kind == CAPA_PERIOD_MONTH) {
            if ((err = parse_month(&y, &mo, a)))
                return err;
            first = capa_days_from_civil(y, mo, 1);
            last = first + capa_month_days(y, mo) - 1;
            snprintf(m->month_text, sizeof m->month_text, "%04d-%02d", y % 10000, mo);
            snprintf(m->period_text, sizeof m->period_text, "%s", m->month_text);
        } else {
            if ((err = parse_day(&first, "from", a)) || (err = parse_day(&last, "to", b)))
                return err;
            if (last < first) {
                err = capa__refuse(CAPA_EINVALID, "report.range", "to", b,
                                   "report: to '%s' is before from '%s': a range ends on or "
                                   "after its first day",
                                   b, a);
                capa__refusal_param("from", "%s", a);
                return err;
            }
            int d;
            capa_civil_from_days(last, &y, &mo, &d);
            snprintf(m->period_text, sizeof m->period_text, "%.10s..%.10s", a, b);
        }
        for (int i = 0; i < 13; i++) {
            int yy = y, mm = mo;
            month_add(&yy, &mm, i - 11);
            bound[i] = capa_tz_utc(tz, yy, mm, 1, 0, 0, 0);
            if (i < 12) {
                m->trend[i].year = yy, m->trend[i].month = mm;
                snprintf(m->trend[i].label, sizeof m->trend[i].label, "%04d-%02d", yy % 10000,
                         mm % 100);
            }
        }
        m->start = local_midnight(tz, first);
        m->end = local_midnight(tz, last + 1);
    }
    m->year = y;
    m->month = mo;
    day_text(m->from_text, sizeof m->from_text, first);
    day_text(m->to_text, sizeof m->to_text, last);
    return CAPA_OK;
}

/* ---- limits of one header, as capa_limits_compute evaluates them ---- */

typedef struct ctx {
    capa_store *s;
    MDB_txn *txn;
    const capa_workflow *wf;
    const capa_plant *p;
    const capa_workdays *wd; /* the working-day due times of the report's span (shared) */
    capa_monthly *m;
    int ntf_stage; /* the stage whose form decides on a returned part (ntf_decision), or -1 */
    MDB_cursor *stage_cur;    /* on the stage records, for returned_part */
    MDB_val stage_k, stage_v; /* the entry stage_cur stands on (stage_on 1) */
    int stage_on;             /* 1 on an entry, 2 past the last one, 0 not placed yet */
    size_t cap_ntf;
    int64_t span; /* the longest a limit may run: cases opened earlier cannot fall due */
    size_t cap_overdue;
    int slot[CAPA_LIMIT_KINDS]; /* each kind's place in m->on_time, or -1 */
    /* Per severity, the limit of each kind that applies (capa_limits__pick_kinds), picked
     * once: the pick compares names, a case only its severity. */
    struct sev_pick {
        char *severity; /* a copy; NULL = none given */
        const capa_limit *pk[CAPA_LIMIT_KINDS];
    } sev[8];
    size_t n_sev;
} ctx;

/* The limits that apply to a case of `severity`: from the per-severity picks, else picked
 * into `own` (more severities than slots, or out of memory). */
static const capa_limit *const *picks_for(ctx *x, const char *severity,
                                          const capa_limit *own[CAPA_LIMIT_KINDS])
{
    for (size_t i = 0; i < x->n_sev; i++)
        if ((!severity && !x->sev[i].severity) ||
            (severity && x->sev[i].severity && strcmp(severity, x->sev[i].severity) == 0))
            return x->sev[i].pk;
    capa_limits__pick_kinds(own, x->wf, severity);
    if (x->n_sev == sizeof x->sev / sizeof *x->sev)
        return own;
    struct sev_pick *e = &x->sev[x->n_sev];
    if (severity && !(e->severity = capa__strdup(severity)))
        return own;
    memcpy(e->pk, own, sizeof e->pk);
    x->n_sev++;
    return e->pk;
}

static int ontime_slot(capa_monthly *m, const char *kind)
{
    for (size_t i = 0; i < m->n_on_time; i++)
        if (strcmp(m->on_time[i].kind, kind) == 0)
            return (int)i;
    return -1;
}

static int limits_of(ctx *x, const capa_hdr *h, int open_at_end)
{
    capa_monthly *m = x->m;
    int64_t at = m->as_of;
    const capa_limit *own[CAPA_LIMIT_KINDS];
    const capa_limit *const *pk = picks_for(x, h->severity, own);
    /* What ended each kind, as capa_limits_compute finds it in a case: the first stage's
     * first sign-off, containment first set, the plan approved (the header keeps when), the
     * closing; those after the report's moment had not happened yet. */
    int64_t met[CAPA_LIMIT_KINDS] = {
        h->response_at && h->response_at <= at ? h->response_at : 0,
        h->containment_at && h->containment_at <= at ? h->containment_at : 0,
        h->plan_at && h->plan_at <= at ? h->plan_at : 0, h->closed ? h->closed_at : 0};
    capa_limit_status ls[CAPA_LIMIT_KINDS];
    capa_limits__eval_kinds(ls, pk, x->wf, x->p, x->wd, h->opened, met, at);
    int err = CAPA_OK;
    for (size_t k = 0, i = 0; !err && k < CAPA_LIMIT_KINDS; k++) {
        if (!pk[k])
            continue;
        const capa_limit_status *l = &ls[i++];
        int s = x->slot[k];
        if (s < 0)
            continue;
        if (l->due >= m->start && l->due < m->end && l->due <= at) {
            m->on_time[s].due++;
            if (l->met && l->met <= l->due)
                m->on_time[s].on_time++;
        }
        /* (the states are static strings: "overdue" is the one with a 'v' second) */
        if (open_at_end && l->state[1] == 'v' && strcmp(l->state, "overdue") == 0) {
            if (m->n_overdue == x->cap_overdue) {
                size_t cap = x->cap_overdue ? x->cap_overdue * 2 : 16;
                capa_stat_overdue *o = capa__realloc(m->overdue, cap * sizeof *o);
                if (!o) {
                    err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
                    break;
                }
                m->overdue = o;
                x->cap_overdue = cap;
            }
            capa_stat_overdue *o = &m->overdue[m->n_overdue];
            memset(o, 0, sizeof *o);
            if (!(o->number = capa__strdup(h->number))) {
                err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
                break;
            }
            snprintf(o->kind, sizeof o->kind, "%s", l->kind);
            o->due = l->due;
            o->late_ms = at - l->due;
            m->n_overdue++;
        }
    }
    return err;
}

/* ---- recurrences of the month's cases ----
 *
 * The pass reads every header anyway, so the month's recurrences come from it: each case
 * opened in the recurrence window before the month's end is noted under its (part number,
 * defect code); sorted by group, then opening, every case of the month then finds the
 * earlier ones of its group within the window just before it. The rule is
 * capa_case_recurrence's (recurrence.c), which answers for one case from the indexes.
 *
 * A note keeps what the sorts and the group compare read (the key's hash, its length and
 * first 16 bytes, the number's first 16), so they rarely follow its pointers into the pool:
 * at a million notes those reads would each miss the cache. The recurrences point into the
 * parts' pools (the report owns them then), so no string is copied. */

typedef struct rec_entry {
    uint64_t kh; /* hash of the key: groups sort by it first, compared as a number */
    int64_t opened;
    uint64_t id;
    /* The key (part number NUL defect code NUL) and the case number: offsets into the set's
     * pool while it grows, pointers once it stops (rec_sort). */
    uintptr_t key, number;
    uint64_t nk[2]; /* the number's first 16 bytes, big-endian, NUL-padded: sort as strcmp */
    char kin[16];   /* the key's first 16 bytes, NUL-padded */
    uint16_t kl;    /* the key's length, its first NUL included, its last not */
    uint16_t pl;    /* the part number's length */
    uint8_t in_month;
} rec_entry;

typedef struct rec_set {
    rec_entry *e;
    size_t n, cap;
    char *pool; /* the entries' keys and case numbers, one after another */
    size_t pool_len, pool_cap;
} rec_set;

/* Room for n more bytes in the set's pool (no allocation per case); 0, or -1. */
static int pool_room(rec_set *r, size_t n)
{
    if (r->pool_len + n <= r->pool_cap)
        return 0;
    size_t cap = r->pool_cap ? r->pool_cap : 4096;
    while (cap < r->pool_len + n)
        cap *= 2;
    char *p = capa__realloc(r->pool, cap);
    if (!p)
        return -1;
    r->pool = p;
    r->pool_cap = cap;
    return 0;
}

/* Bytes 0..7 of s (NUL-padded from its end on) as a big-endian number; *s moved past them
 * (not past its NUL). Numbers so made compare as strcmp compares the strings' 8 bytes. */
static uint64_t be8_of(const char **s)
{
    const unsigned char *c = (const unsigned char *)*s;
    uint64_t k = 0;
    for (int b = 0; b < 8; b++) {
        k = k << 8 | *c;
        c += *c != 0;
    }
    *s = (const char *)c;
    return k;
}

static int rec_note(rec_set *r, const capa_hdr *h, int in_month)
{
    if (!h->part_no || !*h->part_no || !h->defect_code || !*h->defect_code)
        return CAPA_OK;
    /* The part number and defect code cut as "part\x1fdefect" in 1025 bytes cut them (an
     * earlier key's rule: keys alike there are one group); kept NUL-separated. */
    enum { KEY_MAX = 2 * 512 + 1 };
    size_t pl = strlen(h->part_no), dl = strlen(h->defect_code);
    pl = pl < KEY_MAX ? pl : KEY_MAX;
    size_t left = pl < KEY_MAX ? KEY_MAX - pl - 1 : 0;
    dl = dl < left ? dl : left;
    size_t kl = pl + 1 + dl, nl = strlen(h->number) + 1;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 256;
        rec_entry *p = capa__realloc(r->e, nc * sizeof *p);
        if (!p)
            return capa_error_set(CAPA_ENOMEM, "report: out of memory");
        r->e = p;
        r->cap = nc;
    }
    if (pool_room(r, kl + 1 + nl))
        return capa_error_set(CAPA_ENOMEM, "report: out of memory");
    char *k = r->pool + r->pool_len;
    memcpy(k, h->part_no, pl);
    k[pl] = 0;
    memcpy(k + pl + 1, h->defect_code, dl);
    k[kl] = 0;
    memcpy(k + kl + 1, h->number, nl);
    rec_entry *e = &r->e[r->n++];
    memset(e, 0, sizeof *e);
    e->kh = 1469598103934665603ULL;
    for (size_t i = 0; i < kl; i++)
        e->kh = (e->kh ^ (unsigned char)k[i]) * 1099511628211ULL;
    e->opened = h->opened;
    e->id = h->id;
    e->key = r->pool_len;
    e->number = r->pool_len + kl + 1;
    const char *nb = h->number;
    e->nk[0] = be8_of(&nb);
    e->nk[1] = be8_of(&nb);
    memcpy(e->kin, k, kl < sizeof e->kin ? kl : sizeof e->kin);
    e->kl = (uint16_t)kl;
    e->pl = (uint16_t)pl;
    e->in_month = in_month != 0;
    r->pool_len += kl + 1 + nl;
    return CAPA_OK;
}

/* The keys of x and y compared (x, y of one hash mostly): <0, 0, >0, some total order. */
static int key_cmp(const rec_entry *x, const rec_entry *y)
{
    if (x->kl != y->kl)
        return x->kl < y->kl ? -1 : 1;
    int c = memcmp(x->kin, y->kin, sizeof x->kin);
    if (c || x->kl <= sizeof x->kin)
        return c;
    return memcmp((const char *)x->key + sizeof x->kin, (const char *)y->key + sizeof y->kin,
                  x->kl - sizeof x->kin);
}

/* By group (the hash of part number and defect code, then the key itself: any order that
 * keeps a group together will do), then opening, then id. */
static int rec_order(const void *a, const void *b)
{
    const rec_entry *x = a, *y = b;
    if (x->kh != y->kh)
        return x->kh < y->kh ? -1 : 1;
    int c = key_cmp(x, y);
    if (c)
        return c;
    if (x->opened != y->opened)
        return x->opened < y->opened ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void rec_clear(rec_set *r)
{
    capa__free(r->pool);
    capa__free(r->e);
    memset(r, 0, sizeof *r);
}

/* A value to sort by and the place of its item. */
typedef struct sort_key {
    uint64_t v;
    size_t i;
} sort_key;

/* Sort a[0..n) by v, stably: a radix sort, a byte a pass (a pass skipped where every value
 * has the same byte), b[0..n) the room it moves them through. Returns a or b, whichever
 * holds the sorted keys. */
static sort_key *radix_sort(sort_key *a, sort_key *b, size_t n)
{
    for (unsigned shift = 0; n > 1 && shift < 64; shift += 8) {
        size_t at[256] = {0}, sum = 0;
        for (size_t i = 0; i < n; i++)
            at[a[i].v >> shift & 255]++;
        if (at[a[0].v >> shift & 255] == n)
            continue;
        for (size_t d = 0; d < 256; d++) {
            size_t c = at[d];
            at[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            b[at[a[i].v >> shift & 255]++] = a[i];
        sort_key *t = a;
        a = b, b = t;
    }
    return a;
}

/* Sort the notes (rec_order), their key and number made pointers into the set's pool (which
 * no longer grows): a stable radix sort of the key hashes' upper 32 bits (four passes), then
 * each run alike there put in rec_order by the whole hash, the key, opening and id (the notes
 * come in id order, so a run - one part number and defect code, mostly - is in order
 * already). */
static int rec_sort(rec_set *r)
{
    size_t n = r->n;
    for (size_t i = 0; i < n; i++) {
        r->e[i].key += (uintptr_t)r->pool;
        r->e[i].number += (uintptr_t)r->pool;
    }
    if (n > 1) {
        sort_key *a = capa__malloc(2 * n * sizeof *a);
        rec_entry *e = capa__malloc(n * sizeof *e);
        if (!a || !e) {
            capa__free(a);
            capa__free(e);
            return capa_error_set(CAPA_ENOMEM, "report: out of memory");
        }
        for (size_t i = 0; i < n; i++)
            a[i] = (sort_key){r->e[i].kh >> 32, i};
        const sort_key *o = radix_sort(a, a + n, n);
        for (size_t i = 0; i < n; i++)
            e[i] = r->e[o[i].i];
        capa__free(a);
        capa__free(r->e);
        r->e = e;
        r->cap = n;
        for (size_t i = 0, j; i < n; i = j) {
            int in_order = 1;
            for (j = i + 1; j < n && e[j].kh >> 32 == e[i].kh >> 32; j++)
                in_order = in_order && rec_order(&e[j - 1], &e[j]) < 0;
            if (!in_order)
                qsort(e + i, j - i, sizeof *e, rec_order);
        }
    }
    return CAPA_OK;
}

/* One recurrence found: what the report lists of it, copied from its note (the sort by
 * number and the merge of the halves then read the hits alone, one after another). */
typedef struct rec_hit {
    uint64_t nk[2]; /* the note's */
    const char *number, *key;
    size_t pl;          /* the part number's length */
    size_t of_at, n_of; /* its earlier cases' numbers: in the half's `of` */
} rec_hit;

/* Case numbers compared as strcmp compares them, from their first 16 bytes first. */
static int number_cmp(const rec_hit *x, const rec_hit *y)
{
    if (x->nk[0] != y->nk[0])
        return x->nk[0] < y->nk[0] ? -1 : 1;
    if (x->nk[1] != y->nk[1])
        return x->nk[1] < y->nk[1] ? -1 : 1;
    return strcmp(x->number, y->number);
}

/* The recurrences of the groups whose key hash lies in [lo, hi] (half h of the hashes; the
 * parts' sorted notes of that range merged): found, then sorted by case number. */
typedef struct rec_half {
    rec_set *const *src;
    size_t n_src;
    uint64_t lo, hi;
    int64_t window;
    rec_hit *hit;
    size_t n_hit;
    char **of; /* the earlier cases' numbers of every hit, one list after another */
    size_t n_of;
    int err;
} rec_half;

static int hit_by_number(const void *a, const void *b)
{
    return number_cmp(a, b);
}

/* The first of e[0..n) (sorted by kh) whose hash is at least v. */
static size_t kh_lower(const rec_entry *e, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].kh < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void *rec_half_run(void *arg)
{
    rec_half *hf = arg;
    size_t at[CAPA_STATS_MAX_PARTS], end[CAPA_STATS_MAX_PARTS], total = 0, cap_of = 0;
    const rec_entry **o = NULL;
    sort_key *a = NULL;
    rec_hit *t = NULL;
    for (size_t i = 0; i < hf->n_src; i++) {
        const rec_set *r = hf->src[i];
        at[i] = kh_lower(r->e, r->n, hf->lo);
        end[i] = hf->hi == UINT64_MAX ? r->n : kh_lower(r->e, r->n, hf->hi + 1);
        total += end[i] - at[i];
    }
    if (!total)
        return NULL;
    if (!(o = capa__malloc(total * sizeof *o)) ||
        !(hf->hit = capa__malloc(total * sizeof *hf->hit)))
        goto oom;
    /* The parts' notes merged in rec_order (a total order: ids differ). */
    for (size_t n = 0; n < total; n++) {
        size_t best = hf->n_src;
        for (size_t i = 0; i < hf->n_src; i++)
            if (at[i] < end[i] && (best == hf->n_src || rec_order(&hf->src[i]->e[at[i]],
                                                                  &hf->src[best]->e[at[best]]) < 0))
                best = i;
        o[n] = &hf->src[best]->e[at[best]++];
    }
    /* A case of the month with earlier notes of its group in the window: those notes, from
     * the window's start on, in opening order. */
    for (size_t i = 1; i < total; i++) {
        const rec_entry *e = o[i];
        if (!e->in_month || o[i - 1]->opened < e->opened - hf->window || o[i - 1]->kh != e->kh ||
            key_cmp(o[i - 1], e) != 0)
            continue;
        size_t lo = i - 1;
        while (lo > 0 && o[lo - 1]->opened >= e->opened - hf->window && o[lo - 1]->kh == e->kh &&
               key_cmp(o[lo - 1], e) == 0)
            lo--;
        if (hf->n_of + (i - lo) > cap_of) {
            size_t nc = cap_of ? cap_of * 2 : 1024;
            while (nc < hf->n_of + (i - lo))
                nc *= 2;
            char **p = capa__realloc(hf->of, nc * sizeof *p);
            if (!p)
                goto oom;
            hf->of = p;
            cap_of = nc;
        }
        hf->hit[hf->n_hit++] = (rec_hit){{e->nk[0], e->nk[1]},
                                         (const char *)e->number,
                                         (const char *)e->key,
                                         e->pl,
                                         hf->n_of,
                                         i - lo};
        for (size_t k = lo; k < i; k++)
            hf->of[hf->n_of++] = (char *)o[k]->number;
    }
    capa__free(o);
    o = NULL;
    /* By case number: a radix sort of the numbers' bytes 8..15, then (stably) of 0..7, then
     * each run alike in all 16 (longer numbers) by strcmp. */
    size_t n = hf->n_hit;
    if (n > 1) {
        if (!(a = capa__malloc(2 * n * sizeof *a)) || !(t = capa__malloc(n * sizeof *t)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            a[i] = (sort_key){hf->hit[i].nk[1], i};
        sort_key *s = radix_sort(a, a + n, n), *other = s == a ? a + n : a;
        for (size_t i = 0; i < n; i++)
            s[i].v = hf->hit[s[i].i].nk[0];
        s = radix_sort(s, other, n);
        for (size_t i = 0; i < n; i++)
            t[i] = hf->hit[s[i].i];
        memcpy(hf->hit, t, n * sizeof *t);
        for (size_t i = 0, j; i < n; i = j) {
            for (j = i + 1; j < n && t[j].nk[0] == t[i].nk[0] && t[j].nk[1] == t[i].nk[1];)
                j++;
            if (j - i > 1)
                qsort(hf->hit + i, j - i, sizeof *hf->hit, hit_by_number);
        }
        capa__free(a);
        capa__free(t);
    }
    return NULL;
oom:
    capa__free(o);
    capa__free(a);
    capa__free(t);
    hf->err = CAPA_ENOMEM;
    return NULL;
}

/* The month's recurrences from the parts' sorted notes, in case number order: the groups cut
 * in two halves by their key hash, each found and sorted on a thread of its own (with two
 * parts), then the halves merged. The parts' pools and the halves' lists pass to the report
 * (m->recurrence_mem; capa_monthly_free frees them). */
static int rec_tail(capa_monthly *m, rec_set *const *src, size_t n_src, size_t halves)
{
    rec_half hf[2];
    pthread_t tid;
    int started = 0, err = CAPA_OK;
    size_t nh = halves > 1 ? 2 : 1, total = 0;
    memset(hf, 0, sizeof hf);
    for (size_t i = 0; i < n_src; i++)
        total += src[i]->n;
    if (!total || m->recurrence_days <= 0)
        return CAPA_OK;
    for (size_t h = 0; h < nh; h++)
        hf[h] = (rec_half){.src = src,
                           .n_src = n_src,
                           .lo = h ? UINT64_C(1) << 63 : 0,
                           .hi = h + 1 < nh ? (UINT64_C(1) << 63) - 1 : UINT64_MAX,
                           .window = (int64_t)m->recurrence_days * 86400000};
    if (nh > 1)
        started = pthread_create(&tid, NULL, rec_half_run, &hf[1]) == 0;
    rec_half_run(&hf[0]);
    if (nh > 1) {
        if (started)
            pthread_join(tid, NULL);
        else
            rec_half_run(&hf[1]);
    }
    size_t n = hf[0].n_hit + hf[1].n_hit;
    void **mem = capa__calloc(n_src + 3, sizeof *mem);
    if (hf[0].err || hf[1].err || !mem ||
        (n && !(m->recurrences = capa__malloc(n * sizeof *m->recurrences)))) {
        capa__free(mem);
        err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        goto done;
    }
    /* The pools and lists pass to the report (a NULL-ended list of blocks). */
    size_t nm = 0, at[2] = {0, 0};
    char **of_base[2] = {hf[0].of, hf[1].of};
    for (size_t i = 0; i < n_src; i++) {
        if (src[i]->pool)
            mem[nm++] = src[i]->pool;
        src[i]->pool = NULL;
    }
    for (size_t h = 0; h < nh; h++) {
        if (hf[h].of)
            mem[nm++] = hf[h].of;
        hf[h].of = NULL;
    }
    m->recurrence_mem = mem;
    for (size_t i = 0; i < n; i++) {
        size_t h = at[0] == hf[0].n_hit                                   ? 1
                   : at[1] == hf[1].n_hit                                 ? 0
                   : number_cmp(&hf[0].hit[at[0]], &hf[1].hit[at[1]]) < 0 ? 0
                                                                          : 1;
        const rec_hit *x = &hf[h].hit[at[h]++];
        capa_stat_recurrence *r = &m->recurrences[m->n_recurrences++];
        r->number = (char *)x->number;
        r->part_no = (char *)x->key;
        r->defect_code = r->part_no + x->pl + 1;
        r->of = of_base[h] + x->of_at;
        r->n_of = x->n_of;
    }
done:
    for (size_t h = 0; h < nh; h++) {
        capa__free(hf[h].hit);
        capa__free(hf[h].of);
    }
    return err;
}

static int by_string(const void *a, const void *b)

{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int overdue_order(const void *a, const void *b)
{
    const capa_stat_overdue *x = a, *y = b;
    int c = strcmp(x->number, y->number);
    return c ? c : (x->due < y->due ? -1 : x->due > y->due);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---- the pass ---- */

typedef struct tallies {
    tally sev, chan, type, cust, part, defect, dept, valid, sat;
} tallies;

/* LMDB's order of the stage keys (the database has no compare of its own): bytes, then the
 * shorter first. */
static int stage_key_cmp(const MDB_val *a, const unsigned char *b, size_t nb)
{
    size_t n = a->mv_size < nb ? a->mv_size : nb;
    int c = memcmp(a->mv_data, b, n);
    return c ? c : (a->mv_size > nb) - (a->mv_size < nb);
}

/* The stage record under key `kb` (9 bytes), as MDB_SET_KEY finds it: MDB_NOTFOUND when there
 * is none. The cases come in id order, so the keys sought only grow: the cursor moves
 * forward with them, a few steps (MDB_NEXT) before it searches the tree again (a case has a
 * record a stage, and the one sought is often the next entry or the one after it). */
static int stage_find(ctx *x, const unsigned char kb[9], MDB_val *v)
{
    int rc = MDB_SUCCESS, c = -1;
    if (!x->stage_cur && (rc = mdb_cursor_open(x->txn, x->s->dbi[DB_STAGES], &x->stage_cur)))
        return rc;
    if (x->stage_on == 2)
        return MDB_NOTFOUND; /* past the last record, and the keys only grow */
    if (x->stage_on == 1) {
        c = stage_key_cmp(&x->stage_k, kb, 9);
        for (int step = 0; c < 0 && step < 4; step++) {
            rc = mdb_cursor_get(x->stage_cur, &x->stage_k, &x->stage_v, MDB_NEXT);
            if (rc == MDB_NOTFOUND)
                x->stage_on = 2;
            if (rc)
                return rc;
            c = stage_key_cmp(&x->stage_k, kb, 9);
        }
    }
    if (c < 0) {
        x->stage_k = (MDB_val){9, (void *)kb};
        rc = mdb_cursor_get(x->stage_cur, &x->stage_k, &x->stage_v, MDB_SET_RANGE);
        x->stage_on = rc == MDB_SUCCESS ? 1 : rc == MDB_NOTFOUND ? 2 : 0;
        if (rc)
            return rc;
        c = stage_key_cmp(&x->stage_k, kb, 9);
    }
    if (c)
        return MDB_NOTFOUND;
    *v = x->stage_v;
    return MDB_SUCCESS;
}

/* A field failure or warranty return (IATF 16949 §10.2.5-10.2.6): the decision on the
 * returned part, when the stage recording it was signed off by the report's moment. The one
 * stage record a report reads, and only for the cases opened in the period. */
static int returned_part(ctx *x, const capa_hdr *h)
{
    capa_monthly *m = x->m;
    capa_stage_record r;
    if (x->ntf_stage < 0)
        return CAPA_OK;
    unsigned char kb[9];
    MDB_val v;
    capa_stage__key(kb, h->id, x->ntf_stage);
    int rc = stage_find(x, kb, &v);
    if (rc == MDB_NOTFOUND)
        return CAPA_OK;
    if (rc)
        return capa_store__mdb_err(rc, "read");
    memset(&r, 0, sizeof r);
    int err = capa_stage__decode(&r, v.mv_data, v.mv_size);
    if (err)
        return err;
    const char *d = capa_stage__value(&r, "ntf_decision");
    if (d && *d && r.left && r.left < m->as_of) {
        m->returns_decided++;
        if (strcmp(d, "ntf") == 0) {
            m->ntf++;
            if (m->n_ntf_cases == x->cap_ntf) {
                size_t nc = x->cap_ntf ? x->cap_ntf * 2 : 16;
                char **p = capa__realloc(m->ntf_cases, nc * sizeof *p);
                if (!p)
                    err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
                else
                    m->ntf_cases = p, x->cap_ntf = nc;
            }
            if (!err && !(m->ntf_cases[m->n_ntf_cases] = capa__strdup(h->number)))
                err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
            if (!err)
                m->n_ntf_cases++;
        }
    }
    capa_stage_record_clear(&r);
    return err;
}

/* Which of the trend's 12 periods `t` falls in (`bound`: their 13 edges, ascending), or -1:
 * a binary search. */
static int trend_index(const int64_t *bound, int64_t t)
{
    if (t < bound[0] || t >= bound[12])
        return -1;
    int lo = 0, hi = 12; /* bound[lo] <= t < bound[hi] */
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (t >= bound[mid])
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int visit(ctx *x, const capa_hdr *h, const int64_t *bound, tallies *t, double **ttc,
                 size_t *n_ttc, size_t *cap_ttc, rec_set *rec)
{
    capa_monthly *m = x->m;
    int64_t at = m->as_of;
    int err = CAPA_OK;
    if (h->opened >= at)
        return CAPA_OK; /* not opened yet as of the report's moment */
    int closed = h->closed && h->closed_at < at;
    /* The trend: which of the 12 months it was opened / closed in. */
    int ti = trend_index(bound, h->opened);
    if (ti >= 0)
        m->trend[ti].opened++;
    if (closed && (ti = trend_index(bound, h->closed_at)) >= 0)
        m->trend[ti].closed++;
    int open_at_end = !closed;
    if (open_at_end)
        m->open_at_end++;
    if (h->opened < m->start && m->recurrence_days > 0 &&
        h->opened >= m->start - (int64_t)m->recurrence_days * 86400000 &&
        (err = rec_note(rec, h, 0)))
        return err;
    if (h->opened >= m->start && h->opened < m->end) {
        m->opened++;
        tally_add(&t->sev, h->severity, 1);
        tally_add(&t->chan, h->channel, 1);
        tally_add(&t->type, h->complaint_type, 1);
        tally_add(&t->cust, h->customer, 1);
        tally_add(&t->part, h->part_no, 1);
        tally_add(&t->defect, h->defect_code, 1);
        tally_add(&t->dept, h->responsible_dept, 1);
        tally_add(&t->valid, h->validity, 1);
        if ((err = rec_note(rec, h, 1)) || (err = returned_part(x, h)))
            return err;
    }
    if (closed && h->closed_at >= m->start && h->closed_at < m->end) {
        m->closed++;
        if (h->satisfaction && *h->satisfaction)
            tally_add(&t->sat, h->satisfaction, 1);
        else
            m->satisfaction_unrecorded++;
        if (*n_ttc == *cap_ttc) {
            size_t nc = *cap_ttc ? *cap_ttc * 2 : 256;
            double *p = capa__realloc(*ttc, nc * sizeof *p);
            if (!p)
                return capa_error_set(CAPA_ENOMEM, "report: out of memory");
            *ttc = p;
            *cap_ttc = nc;
        }
        (*ttc)[(*n_ttc)++] = (double)(h->closed_at - h->opened) / HOUR_MS;
    }
    if (h->round > 1 && h->round_at >= m->start && h->round_at < m->end && h->round_at < at)
        m->second_rounds++;
    /* Limits can fall due in the month only for cases opened within a limit's span of it;
     * an open case can be overdue however old it is. */
    if (open_at_end || h->opened >= m->start - x->span)
        err = limits_of(x, h, open_at_end);
    return err;
}

static int64_t longest_limit(const capa_workflow *wf)
{
    double days = 0;
    for (size_t i = 0; i < wf->n_limits; i++) {
        const capa_limit *l = &wf->limits[i];
        /* A working day is at most a few calendar days away, even over 国庆 or 春节. */
        double d = l->working_days ? l->working_days * 3.0 + 21 : l->hours / 24.0;
        if (d > days)
            days = d;
    }
    return (int64_t)((days + 2) * 86400000.0);
}

/* ---- the pass over the headers, in parts ----
 *
 * The headers are cut into parts by case id; each part is read by a thread of its own under
 * a read transaction of the same snapshot and counted into figures of its own, which are
 * then added up in id order: the counts, lists and sums come out as one pass in id order
 * makes them (the lists are sorted afterwards; time-to-close is summed in id order). */

typedef struct part {
    ctx x;
    capa_monthly m; /* this part's counts; its window fields are the report's */
    tallies t;
    double *ttc;
    size_t n_ttc, cap_ttc;
    rec_set rec;
    const int64_t *bound;
    uint64_t from, to; /* case ids [from, to); to 0: to the end */
    int err;
    char msg[512]; /* capa_error_last() of a failed part (it is per thread) */
    pthread_t tid;
    int started;
} part;

static void *part_run(void *arg)
{
    part *pt = arg;
    ctx *x = &pt->x;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    unsigned char from[8];
    capa_be64(from, pt->from);
    k = (MDB_val){8, from};
    int err = CAPA_OK, rc = mdb_cursor_open(x->txn, x->s->dbi[DB_CASES], &cur);
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; rc == MDB_SUCCESS && !err; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (pt->to && k.mv_size == 8 && capa_get_be64(k.mv_data) >= pt->to)
            break;
        char arena[2048];
        capa_hdr h;
        int view = 1;
        err = capa_hdr__decode_stats(&h, v.mv_data, v.mv_size, arena, sizeof arena);
        if (err == CAPA_ENOMEM)
            view = 0, err = capa_hdr__decode(&h, v.mv_data, v.mv_size);
        if (err)
            break;
        /* The monthly complaint report counts the complaint workflow's cases only (a scar
         * case is a supplier's, not a customer's complaint). */
        if (!h.workflow)
            err = visit(x, &h, pt->bound, &pt->t, &pt->ttc, &pt->n_ttc, &pt->cap_ttc, &pt->rec);
        if (!view)
            capa_hdr_clear(&h);
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "report");
    if (cur)
        mdb_cursor_close(cur);
    if (x->stage_cur)
        mdb_cursor_close(x->stage_cur);
    x->stage_cur = NULL;
    for (size_t i = 0; i < x->n_sev; i++)
        capa__free(x->sev[i].severity);
    x->n_sev = 0;
    if (!err)
        err = rec_sort(&pt->rec); /* each part sorts its own notes; the report merges them */
    if (err)
        snprintf(pt->msg, sizeof pt->msg, "%s", capa_error_last());
    pt->err = err;
    return NULL;
}

static void part_clear(part *pt)
{
    tally *all[] = {&pt->t.sev,    &pt->t.chan, &pt->t.type,  &pt->t.cust, &pt->t.part,
                    &pt->t.defect, &pt->t.dept, &pt->t.valid, &pt->t.sat};
    for (size_t i = 0; i < 9; i++) {
        capa__free(all[i]->slot);
        counts_clear(&all[i]->c);
    }
    capa__free(pt->ttc);
    rec_clear(&pt->rec);
    for (size_t i = 0; i < pt->m.n_overdue; i++)
        capa__free(pt->m.overdue[i].number);
    capa__free(pt->m.overdue);
    capa_strings_free(pt->m.ntf_cases, pt->m.n_ntf_cases);
    capa__free(pt->m.on_time);
}

/* Add part `pt`'s figures to the report's (m, t, ttc), taking over its lists; its
 * recurrence notes are read apart (rec_tail). */
static int part_merge(capa_monthly *m, tallies *t, double **ttc, size_t *n_ttc, size_t *cap_ttc,
                      part *pt)
{
    capa_monthly *q = &pt->m;
    for (int i = 0; i < 12; i++) {
        m->trend[i].opened += q->trend[i].opened;
        m->trend[i].closed += q->trend[i].closed;
    }
    m->opened += q->opened;
    m->closed += q->closed;
    m->open_at_end += q->open_at_end;
    m->satisfaction_unrecorded += q->satisfaction_unrecorded;
    m->second_rounds += q->second_rounds;
    m->returns_decided += q->returns_decided;
    m->ntf += q->ntf;
    for (size_t i = 0; i < m->n_on_time; i++) {
        m->on_time[i].due += q->on_time[i].due;
        m->on_time[i].on_time += q->on_time[i].on_time;
    }
    tally *from[] = {&pt->t.sev,    &pt->t.chan, &pt->t.type,  &pt->t.cust, &pt->t.part,
                     &pt->t.defect, &pt->t.dept, &pt->t.valid, &pt->t.sat};
    tally *to[] = {&t->sev,    &t->chan, &t->type,  &t->cust, &t->part,
                   &t->defect, &t->dept, &t->valid, &t->sat};
    for (size_t i = 0; i < 9; i++) {
        if (from[i]->oom)
            return capa_error_set(CAPA_ENOMEM, "report: out of memory");
        for (size_t j = 0; j < from[i]->c.n; j++)
            tally_add(to[i], from[i]->c.v[j].key, from[i]->c.v[j].count);
        if (to[i]->oom)
            return capa_error_set(CAPA_ENOMEM, "report: out of memory");
    }
    if (q->n_overdue) {
        capa_stat_overdue *o = capa__realloc(m->overdue, (m->n_overdue + q->n_overdue) * sizeof *o);
        if (!o)
            return capa_error_set(CAPA_ENOMEM, "report: out of memory");
        memcpy(o + m->n_overdue, q->overdue, q->n_overdue * sizeof *o);
        m->overdue = o;
        m->n_overdue += q->n_overdue;
        q->n_overdue = 0;
    }
    if (q->n_ntf_cases) {
        char **c = capa__realloc(m->ntf_cases, (m->n_ntf_cases + q->n_ntf_cases) * sizeof *c);
        if (!c)
            return capa_error_set(CAPA_ENOMEM, "report: out of memory");
        memcpy(c + m->n_ntf_cases, q->ntf_cases, q->n_ntf_cases * sizeof *c);
        m->ntf_cases = c;
        m->n_ntf_cases += q->n_ntf_cases;
        q->n_ntf_cases = 0;
    }
    if (pt->n_ttc) {
        if (*n_ttc + pt->n_ttc > *cap_ttc) {
            double *d = capa__realloc(*ttc, (*n_ttc + pt->n_ttc) * sizeof *d);
            if (!d)
                return capa_error_set(CAPA_ENOMEM, "report: out of memory");
            *ttc = d;
            *cap_ttc = *n_ttc + pt->n_ttc;
        }
        memcpy(*ttc + *n_ttc, pt->ttc, pt->n_ttc * sizeof **ttc);
        *n_ttc += pt->n_ttc;
    }
    return CAPA_OK;
}

static int pass(capa_monthly *m, tallies *t, double **ttc, size_t *n_ttc, size_t *cap_ttc,
                capa_store *s, MDB_txn *txn0, const capa_workflow *wf, const capa_plant *p,
                int ntf_stage, const int64_t *bound, size_t parts)
{
    part pt[CAPA_STATS_MAX_PARTS];
    MDB_txn *txn[CAPA_STATS_MAX_PARTS] = {txn0};
    uint64_t lo = 0, hi = 0;
    capa_workdays *wd = NULL;
    int64_t span = longest_limit(wf);
    int ns[8], slot[CAPA_LIMIT_KINDS];
    size_t n_ns = 0;
    int err;
    memset(pt, 0, sizeof pt);
    if ((err = capa__id_bounds(s, txn0, &lo, &hi)))
        return err;
    /* The working-day due times of every case whose limits can fall due in the period (or
     * that is still open and opened within a span of it) come from one table of the days. */
    for (size_t i = 0; i < wf->n_limits && n_ns < sizeof ns / sizeof *ns; i++)
        if (wf->limits[i].working_days > 0)
            ns[n_ns++] = wf->limits[i].working_days;
    if (n_ns && (err = capa_workdays__new(&wd, p, m->start - span, m->as_of, ns, n_ns)))
        return err;
    for (unsigned k = 0; k < CAPA_LIMIT_KINDS; k++)
        slot[k] = ontime_slot(m, capa_limits__kind(wf, k));
    if (parts > CAPA_STATS_MAX_PARTS)
        parts = CAPA_STATS_MAX_PARTS;
    if (parts < 1 || hi - lo < 2 * parts)
        parts = 1;
    /* The other parts' transactions, on txn0's snapshot (one part when a commit came in
     * between). */
    int same = 1;
    if (parts > 1 && (err = capa__snapshot_more(s, txn0, txn + 1, parts - 1, &same))) {
        capa_workdays__free(wd);
        return err;
    }
    if (!same)
        parts = 1;
    for (size_t i = 0; i < parts && !err; i++) {
        part *q = &pt[i];
        q->x = (ctx){.s = s,
                     .txn = txn[i],
                     .wf = wf,
                     .p = p,
                     .wd = wd,
                     .m = &q->m,
                     .span = span,
                     .ntf_stage = ntf_stage};
        memcpy(q->x.slot, slot, sizeof slot);
        q->m = *m;
        q->m.org = q->m.timezone = NULL;
        q->m.opened = q->m.closed = q->m.open_at_end = 0;
        q->m.satisfaction_unrecorded = q->m.second_rounds = 0;
        q->m.returns_decided = q->m.ntf = 0;
        q->m.overdue = NULL, q->m.n_overdue = 0;
        q->m.ntf_cases = NULL, q->m.n_ntf_cases = 0;
        for (int j = 0; j < 12; j++)
            q->m.trend[j].opened = q->m.trend[j].closed = 0;
        if (!(q->m.on_time = capa__calloc(m->n_on_time ? m->n_on_time : 1, sizeof *m->on_time)))
            err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        else
            for (size_t j = 0; j < m->n_on_time; j++)
                snprintf(q->m.on_time[j].kind, sizeof q->m.on_time[j].kind, "%s",
                         m->on_time[j].kind);
        q->bound = bound;
        q->from = i == 0 ? 0 : lo + (hi - lo + 1) * i / parts;
        q->to = i + 1 == parts ? 0 : lo + (hi - lo + 1) * (i + 1) / parts;
        /* Room for a recurrence note of each of the part's cases (up to a million), so the
         * notes are not copied as they grow; without it they grow as they come. */
        uint64_t span_ids = (q->to ? q->to : hi + 1) - q->from;
        size_t want = span_ids < (1u << 20) ? (size_t)span_ids : (size_t)1 << 20;
        if (m->recurrence_days > 0 && want > 256 &&
            (q->rec.e = capa__malloc(want * sizeof *q->rec.e)))
            q->rec.cap = want;
    }
    if (!err) {
        for (size_t i = 1; i < parts; i++)
            pt[i].started = pthread_create(&pt[i].tid, NULL, part_run, &pt[i]) == 0;
        part_run(&pt[0]);
        for (size_t i = 1; i < parts; i++) {
            if (pt[i].started)
                pthread_join(pt[i].tid, NULL);
            else
                part_run(&pt[i]); /* no thread to be had: read it here */
        }
        for (size_t i = 0; i < parts && !err; i++)
            if (pt[i].err)
                err = capa_error_set(pt[i].err, "%s", pt[i].msg);
        for (size_t i = 0; i < parts && !err; i++)
            err = part_merge(m, t, ttc, n_ttc, cap_ttc, &pt[i]);
        rec_set *notes[CAPA_STATS_MAX_PARTS];
        for (size_t i = 0; i < parts; i++)
            notes[i] = &pt[i].rec;
        if (!err)
            err = rec_tail(m, notes, parts, parts);
    }
    for (size_t i = 0; i < parts; i++)
        part_clear(&pt[i]);
    for (size_t i = 1; i < parts; i++)
        capa_store__read_end(s, txn[i]);
    capa_workdays__free(wd);
    return err;
}

void capa_monthly_free(capa_monthly *m)
{
    if (!m)
        return;
    capa_stat_counts *cs[] = {&m->by_severity, &m->by_channel,  &m->by_complaint_type,
                              &m->by_customer, &m->by_part,     &m->by_defect,
                              &m->by_dept,     &m->by_validity, &m->satisfaction};
    for (size_t i = 0; i < sizeof cs / sizeof *cs; i++)
        counts_clear(cs[i]);
    for (size_t i = 0; i < m->n_overdue; i++)
        capa__free(m->overdue[i].number);
    capa__free(m->overdue);
    /* The recurrences' lists and strings: the blocks rec_tail handed over. */
    for (void **b = m->recurrence_mem; b && *b; b++)
        capa__free(*b);
    capa__free(m->recurrence_mem);
    capa__free(m->recurrences);
    capa_strings_free(m->ntf_cases, m->n_ntf_cases);
    capa__free(m->on_time);
    capa__free(m->org);
    capa__free(m->timezone);
    capa__free(m);
}

int capa_stats_monthly(capa_monthly **out, capa_store *s, const char *month, int64_t at)
{
    return capa_stats_period(out, s, CAPA_PERIOD_MONTH, month, NULL, at);
}

int capa_stats_period(capa_monthly **out, capa_store *s, capa_period_kind kind, const char *a,
                      const char *b, int64_t at)
{
    return capa_stats__period_parts(out, s, kind, a, b, at, capa__scan_parts());
}

int capa_stats__period_parts(capa_monthly **out, capa_store *s, capa_period_kind kind,
                             const char *a, const char *b, int64_t at, size_t parts)
{
    capa_monthly *m = NULL;
    capa_plant *p = NULL;
    const capa_workflow *wf = NULL;
    const capa_formdef *intake = NULL, *archive = NULL;
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    tallies t;
    double *ttc = NULL;
    size_t n_ttc = 0, cap_ttc = 0;
    int64_t bound[13];
    int err;
    memset(&t, 0, sizeof t);
    *out = NULL;
    if ((unsigned)kind > CAPA_PERIOD_RANGE)
        return capa_error_set(CAPA_EINVALID, "report: no such kind of period");
    if (kind == CAPA_PERIOD_MONTH) { /* malformed input before anything is read */
        int y, mo;
        if ((err = parse_month(&y, &mo, a)))
            return err;
    }
    if (!at)
        at = capa_store_now(s);
    if ((err = capa_plant_get(&p, s)) || (err = capa_store_workflow(&wf, s)))
        goto done;
    if (wf->n_stages == 0) {
        err = capa_error_set(CAPA_ECORRUPT, "report: the workflow has no stages");
        goto done;
    }
    if (!(m = capa__calloc(1, sizeof *m))) {
        err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        goto done;
    }
    const capa_tz *tz = capa_plant_tz(p);
    if ((err = window(m, bound, tz, kind, a, b)))
        goto done;
    if (m->start > at) {
        static const char *const what[] = {"month", "week", "range"};
        char now[40];
        capa_plant_time_format(now, sizeof now, p, at);
        err = capa__refuse(CAPA_EINVALID, "report.future", what[kind], m->period_text,
                           "report: %s '%s' has not begun (it is %s in %s): a report is of "
                           "a %s that has begun",
                           what[kind], m->period_text, now, capa_plant_timezone(p), what[kind]);
        capa__refusal_param("now", "%s", now);
        capa__refusal_param("timezone", "%s", capa_plant_timezone(p));
        goto done;
    }
    m->as_of = at < m->end ? at : m->end;
    if (!(m->timezone = capa__strdup(capa_plant_timezone(p)))) {
        err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        goto done;
    }
    /* The limit kinds the workflow defines, in the order of capa_limits_compute. */
    static const char *const kinds[] = {"response", "containment", "plan", "closure"};
    if (!(m->on_time = capa__calloc(4, sizeof *m->on_time))) {
        err = capa_error_set(CAPA_ENOMEM, "report: out of memory");
        goto done;
    }
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < wf->n_limits; i++)
            if (wf->limits[i].kind && strcmp(wf->limits[i].kind, kinds[k]) == 0 &&
                ontime_slot(m, kinds[k]) < 0)
                snprintf(m->on_time[m->n_on_time++].kind, 64, "%s", kinds[k]);
    if (capa_store_form(&intake, s, wf->stages[0].form_id, 0) != CAPA_OK)
        intake = NULL;
    for (size_t i = 0; i < wf->n_stages && !archive; i++) {
        const capa_formdef *fd = NULL;
        if (capa_store_form(&fd, s, wf->stages[i].form_id, 0) == CAPA_OK &&
            capa_formdef_field(fd, "satisfaction"))
            archive = fd;
    }
    int ntf_stage = -1;
    for (size_t i = 0; i < wf->n_stages && ntf_stage < 0; i++) {
        const capa_formdef *fd = NULL;
        if (capa_store_form(&fd, s, wf->stages[i].form_id, 0) == CAPA_OK &&
            capa_formdef_field(fd, "ntf_decision"))
            ntf_stage = (int)i;
    }
    seed_choices(&t.sev, intake, "severity");
    seed_choices(&t.chan, intake, "channel");
    seed_choices(&t.type, intake, "complaint_type");
    seed_choices(&t.valid, intake, "validity");
    seed_choices(&t.sat, archive, "satisfaction");

    if ((err = capa_store__read_begin(s, &txn)))
        goto done;
    if ((err = capa_store__require_init(s, txn)) ||
        (err = capa_meta__get_str(s, txn, "org", &m->org)) ||
        (err = capa_recur__days(s, txn, &m->recurrence_days)))
        goto done;
    if ((err = pass(m, &t, &ttc, &n_ttc, &cap_ttc, s, txn, wf, p, ntf_stage, bound, parts)))
        goto done;
    tally *ts[] = {&t.sev,    &t.chan, &t.type,  &t.cust, &t.part,
                   &t.defect, &t.dept, &t.valid, &t.sat};
    capa_stat_counts *cs[] = {&m->by_severity, &m->by_channel,  &m->by_complaint_type,
                              &m->by_customer, &m->by_part,     &m->by_defect,
                              &m->by_dept,     &m->by_validity, &m->satisfaction};
    for (size_t i = 0; i < 9 && !err; i++)
        err = tally_finish(cs[i], ts[i]);
    if (err)
        goto done;
    m->n_time_to_close = n_ttc;
    if (n_ttc) {
        double sum = 0;
        for (size_t i = 0; i < n_ttc; i++)
            sum += ttc[i];
        qsort(ttc, n_ttc, sizeof *ttc, cmp_double);
        m->ttc_mean_hours = sum / (double)n_ttc;
        m->ttc_median_hours =
            n_ttc % 2 ? ttc[n_ttc / 2] : (ttc[n_ttc / 2 - 1] + ttc[n_ttc / 2]) / 2.0;
    }
    for (size_t i = 0; i < m->n_on_time; i++) {
        capa_stat_ontime *o = &m->on_time[i];
        o->rate = o->due ? (double)o->on_time / (double)o->due : -1;
        m->on_time_due += o->due;
        m->on_time_met += o->on_time;
    }
    m->on_time_overall = m->on_time_due ? (double)m->on_time_met / (double)m->on_time_due : -1;
    m->second_round_rate = m->closed + m->second_rounds
                               ? (double)m->second_rounds / (double)(m->closed + m->second_rounds)
                               : -1;
    m->ntf_rate = m->returns_decided ? (double)m->ntf / (double)m->returns_decided : -1;
    if (m->n_ntf_cases)
        qsort(m->ntf_cases, m->n_ntf_cases, sizeof *m->ntf_cases, by_string);
    if (m->n_overdue)
        qsort(m->overdue, m->n_overdue, sizeof *m->overdue, overdue_order);
done:
    if (cur)
        mdb_cursor_close(cur);
    if (txn)
        capa_store__read_end(s, txn);
    tally *all[] = {&t.sev,    &t.chan, &t.type,  &t.cust, &t.part,
                    &t.defect, &t.dept, &t.valid, &t.sat};
    for (size_t i = 0; i < 9; i++) {
        capa__free(all[i]->slot);
        counts_clear(&all[i]->c);
    }
    capa__free(ttc);
    capa_plant_free(p);
    if (err) {
        capa_monthly_free(m);
        return err;
    }
    *out = m;
    return CAPA_OK;
}
