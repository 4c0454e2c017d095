/*
 * plant.c - plant time (see capa_time.h): the zone and the calendars of a store, what kind
 * a local date is, working-day arithmetic, and formatting and parsing local times.
 *
 * The arithmetic works on local dates, never on 24-hour steps, so it stays right across DST
 * changes: "N working days after T" takes T's local date and time of day, walks the dates
 * forward counting working and make-up days, and converts the N-th one at the same time of
 * day back to an instant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"
#include "codec.h"
#include "limits.h"
#include "refusal.h"
#include "store.h"

#define CAL_PREFIX "calendar-"

struct capa_plant {
    capa_tz *tz;
    capa_calendar **cals;
    size_t n_cals;
};

void capa_plant_free(capa_plant *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_cals; i++)
        capa_calendar_free(p->cals[i]);
    capa__free(p->cals);
    capa_tz_free(p->tz);
    capa__free(p);
}

/* ---- the store's parsed calendars ----
 * A stored calendar version never changes (its record key is id and version), so its parsed
 * form is kept per store like the form cache keeps forms: every limit evaluation asks for the
 * plant, and parsing and validating the calendar XML each time cost more than the rest of a
 * case request together. A cached one is used only while the record still holds the text it
 * was parsed from. The plant gets a copy of each (it owns and frees its calendars). */
struct capa_cal_cached {
    void *key;
    size_t key_len;
    capa_calendar *cal;
};

void capa_plant__cache_free(capa_store *s)
{
    for (size_t i = 0; i < s->n_cals; i++) {
        capa__free(s->cals[i].key);
        capa_calendar_free(s->cals[i].cal);
    }
    capa__free(s->cals);
    s->cals = NULL;
    s->n_cals = s->cap_cals = 0;
}

static capa_calendar *cal_copy(const capa_calendar *c)
{
    capa_calendar *n = capa__calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->year = c->year;
    n->weekend = c->weekend;
    memcpy(n->days, c->days, sizeof n->days);
    if (c->note && !(n->note = capa__strdup(c->note))) {
        capa_calendar_free(n);
        return NULL;
    }
    return n; /* without source: the plant never needs the XML */
}

/* A copy of the stored calendar (key, val): from the cache, else parsed and cached. */
static int cal_get(capa_calendar **out, capa_store *s, const MDB_val *key, const MDB_val *val,
                   const char *name)
{
    capa_calendar *cal = NULL;
    int err = CAPA_OK;
    *out = NULL;
    pthread_mutex_lock(&s->cache_lock);
    for (size_t i = 0; i < s->n_cals; i++) {
        const capa_calendar *c = s->cals[i].cal;
        /* The record must still be the text it was parsed from, as for the form cache. */
        if (s->cals[i].key_len == key->mv_size &&
            memcmp(s->cals[i].key, key->mv_data, key->mv_size) == 0 && c->source &&
            c->source_len == val->mv_size && memcmp(c->source, val->mv_data, val->mv_size) == 0) {
            *out = cal_copy(s->cals[i].cal);
            pthread_mutex_unlock(&s->cache_lock);
            return *out ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "calendar: out of memory");
        }
    }
    pthread_mutex_unlock(&s->cache_lock);
    capa_diag diag = {0};
    err = capa_calendar_parse(&cal, val->mv_data, val->mv_size, name, &diag);
    if (err) {
        char *msg = capa_diag_join(&diag, "; ");
        err = capa_error_set(err == CAPA_ENOMEM ? err : CAPA_ECORRUPT, "stored calendar %s: %s",
                             name, msg ? msg : "invalid");
        capa__free(msg);
        capa_diag_clear(&diag);
        return err;
    }
    capa_diag_clear(&diag);
    if (!(*out = cal_copy(cal))) {
        capa_calendar_free(cal);
        return capa_error_set(CAPA_ENOMEM, "calendar: out of memory");
    }
    pthread_mutex_lock(&s->cache_lock);
    void *k = capa__malloc(key->mv_size);
    if (k && s->n_cals == s->cap_cals) {
        size_t cap = s->cap_cals ? s->cap_cals * 2 : 8;
        struct capa_cal_cached *v = capa__realloc(s->cals, cap * sizeof *v);
        if (v)
            s->cals = v, s->cap_cals = cap;
    }
    if (k && s->n_cals < s->cap_cals) { /* not cached when out of memory: parsed next time */
        memcpy(k, key->mv_data, key->mv_size);
        s->cals[s->n_cals++] = (struct capa_cal_cached){k, key->mv_size, cal};
        k = NULL;
        cal = NULL;
    }
    pthread_mutex_unlock(&s->cache_lock);
    capa__free(k);
    capa_calendar_free(cal);
    return CAPA_OK;
}

int capa_plant_new(capa_plant **out, const char *tz_name)
{
    *out = NULL;
    capa_plant *p = capa__calloc(1, sizeof *p);
    if (!p)
        return capa_error_set(CAPA_ENOMEM, "plant: out of memory");
    int err = capa_tz_load(&p->tz, tz_name);
    if (err) {
        capa_plant_free(p);
        return err;
    }
    *out = p;
    return CAPA_OK;
}

int capa_plant_add_calendar(capa_plant *p, capa_calendar *cal)
{
    for (size_t i = 0; i < p->n_cals; i++) {
        if (p->cals[i]->year == cal->year) {
            capa_calendar_free(p->cals[i]);
            p->cals[i] = cal;
            return CAPA_OK;
        }
    }
    capa_calendar **n = capa__realloc(p->cals, (p->n_cals + 1) * sizeof *n);
    if (!n) {
        capa_calendar_free(cal);
        return capa_error_set(CAPA_ENOMEM, "plant: out of memory");
    }
    p->cals = n;
    p->cals[p->n_cals++] = cal;
    return CAPA_OK;
}

const char *capa_plant_timezone(const capa_plant *p)
{
    return capa_tz_name(p->tz);
}

const capa_tz *capa_plant_tz(const capa_plant *p)
{
    return p->tz;
}

const capa_calendar *capa_plant_calendar(const capa_plant *p, int year)
{
    for (size_t i = 0; i < p->n_cals; i++)
        if (p->cals[i]->year == year)
            return p->cals[i];
    return NULL;
}

capa_day_kind capa_plant_day(const capa_plant *p, int y, int m, int d, int *covered)
{
    const capa_calendar *c = capa_plant_calendar(p, y);
    if (covered)
        *covered = c != NULL;
    return c ? capa_calendar_day(c, m, d) : capa_calendar_default_day(y, m, d);
}

int64_t capa_plant_add_working_days(const capa_plant *p, int64_t t, int n, int *uncovered)
{
    capa_local_time lt;
    if (uncovered)
        *uncovered = 0;
    if (n <= 0)
        return t;
    capa_tz_local(&lt, p->tz, t);
    int64_t day = capa_days_from_civil(lt.year, lt.month, lt.day);
    int y, m, d;
    for (int counted = 0; counted < n;) {
        int covered;
        capa_civil_from_days(++day, &y, &m, &d);
        capa_day_kind k = capa_plant_day(p, y, m, d, &covered);
        if (!covered && uncovered)
            *uncovered = 1;
        if (k == CAPA_DAY_WORKING || k == CAPA_DAY_MAKEUP)
            counted++;
    }
    return capa_tz_utc(p->tz, y, m, d, lt.hour, lt.minute, lt.second) + (t % 1000 + 1000) % 1000;
}

/* ---- working-day due times by table (limits.h) ---- */

#define WD_MAX_N 8
#define WD_MAX_DAYS 40000 /* about a century: a span longer than that is cut */

typedef struct wd_day {
    int64_t mid; /* UTC ms of the day's local midnight; valid when steady */
    int steady;  /* one offset from the day before to the day after (capa_tz__steady) */
} wd_day;

struct capa_workdays {
    int64_t day0; /* the local day number of entry 0 */
    size_t n_days;
    wd_day *day;
    size_t n_n;
    int n[WD_MAX_N];
    int64_t *due[WD_MAX_N]; /* per day: its midnight + n working days; 0: take the walk */
    unsigned char *uncovered[WD_MAX_N];
};

void capa_workdays__free(capa_workdays *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_n; i++) {
        capa__free(w->due[i]);
        capa__free(w->uncovered[i]);
    }
    capa__free(w->day);
    capa__free(w);
}

static int64_t local_day(const capa_tz *tz, int64_t t)
{
    capa_local_time lt;
    capa_tz_local(&lt, tz, t);
    return capa_days_from_civil(lt.year, lt.month, lt.day);
}

/* Whether local day `day` is steady (see wd_day), and its midnight. Offsets of a day or more
 * (none in the tz database) are not taken. */
static int day_steady(const capa_tz *tz, int64_t day, int64_t *mid)
{
    int32_t off;
    int ok = capa_tz__steady(tz, (day - 1) * 86400000, (day + 2) * 86400000 - 1, &off) &&
             off > -86400 && off < 86400;
    *mid = (day * 86400 - off) * 1000;
    return ok;
}

int capa_workdays__new(capa_workdays **out, const capa_plant *p, int64_t from, int64_t to,
                       const int *ns, size_t n_ns)
{
    capa_workdays *w = capa__calloc(1, sizeof *w);
    *out = NULL;
    if (!w)
        return capa_error_set(CAPA_ENOMEM, "limits: out of memory");
    int64_t d0 = local_day(p->tz, from) - 1, d1 = to < from ? d0 : local_day(p->tz, to) + 1;
    if (d1 - d0 + 1 > WD_MAX_DAYS)
        d0 = d1 + 1 - WD_MAX_DAYS;
    w->day0 = d0;
    w->n_days = (size_t)(d1 - d0 + 1);
    if (!(w->day = capa__calloc(w->n_days, sizeof *w->day)))
        goto oom;
    for (size_t i = 0; i < w->n_days; i++)
        w->day[i].steady = day_steady(p->tz, d0 + (int64_t)i, &w->day[i].mid);
    for (size_t j = 0; j < n_ns && w->n_n < WD_MAX_N; j++) {
        int n = ns[j], seen = n <= 0;
        for (size_t k = 0; k < w->n_n && !seen; k++)
            seen = w->n[k] == n;
        if (seen)
            continue;
        size_t k = w->n_n++;
        w->n[k] = n;
        if (!(w->due[k] = capa__calloc(w->n_days, sizeof *w->due[k])) ||
            !(w->uncovered[k] = capa__calloc(w->n_days, 1)))
            goto oom;
        for (size_t i = 0; i < w->n_days; i++) {
            if (!w->day[i].steady)
                continue;
            /* The walk from the day's midnight; kept when the day it lands on is steady too,
             * so a time of day later lands as much later. */
            int unc = 0;
            int64_t due = capa_plant_add_working_days(p, w->day[i].mid, n, &unc), tmid;
            if (day_steady(p->tz, local_day(p->tz, due), &tmid) && tmid == due) {
                w->due[k][i] = due;
                w->uncovered[k][i] = (unsigned char)unc;
            }
        }
    }
    *out = w;
    return CAPA_OK;
oom:
    capa_workdays__free(w);
    return capa_error_set(CAPA_ENOMEM, "limits: out of memory");
}

/* Where the table answers for t and n: the count's column k and the day i; 0 when not. */
static int wd_find(const capa_workdays *w, int64_t t, int n, size_t *k, size_t *i)
{
    for (*k = 0; w && *k < w->n_n; ++*k) {
        if (w->n[*k] != n)
            continue;
        /* t's local day is the UTC day before, of or after t's UTC day. */
        int64_t u = t / 86400000 - (t % 86400000 < 0);
        for (int64_t e = u - 1; e <= u + 1; e++) {
            if (e < w->day0 || e - w->day0 >= (int64_t)w->n_days)
                continue;
            *i = (size_t)(e - w->day0);
            const wd_day *d = &w->day[*i];
            if (d->steady && t >= d->mid && t - d->mid < 86400000)
                return w->due[*k][*i] != 0;
        }
        return 0;
    }
    return 0;
}

int capa_workdays__holds(const capa_workdays *w, int64_t t, int n)
{
    size_t k, i;
    return wd_find(w, t, n, &k, &i);
}

int64_t capa_workdays__add(const capa_workdays *w, const capa_plant *p, int64_t t, int n,
                           int *uncovered)
{
    size_t k, i;
    if (!wd_find(w, t, n, &k, &i))
        return capa_plant_add_working_days(p, t, n, uncovered);
    if (uncovered)
        *uncovered = w->uncovered[k][i];
    return w->due[k][i] + (t - w->day[i].mid);
}

void capa_plant_time_format(char *buf, size_t sz, const capa_plant *p, int64_t ms)
{
    capa_local_time lt;
    capa_tz_local(&lt, p->tz, ms);
    int32_t o = lt.offset < 0 ? -lt.offset : lt.offset;
    snprintf(buf, sz, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", lt.year, lt.month, lt.day,
             lt.hour, lt.minute, lt.second, lt.offset < 0 ? '-' : '+', (int)(o / 3600),
             (int)(o / 60 % 60));
}

static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int capa_plant_time_parse(int64_t *out, const capa_plant *p, const char *text)
{
    int y, m, d, hh = 0, mi = 0, ss = 0;
    char date[11];
    const char *s = text ? text : "";
    *out = 0;
    if (strlen(s) < 10)
        goto bad;
    memcpy(date, s, 10);
    date[10] = 0;
    if (!capa_date_parse(date, &y, &m, &d))
        goto bad;
    s += 10;
    if (!*s) {
        *out = capa_tz_utc(p->tz, y, m, d, 0, 0, 0);
        return CAPA_OK;
    }
    if ((*s != 'T' && *s != ' ') || !digits(s + 1, 2) || s[3] != ':' || !digits(s + 4, 2))
        goto bad;
    hh = atoi(s + 1), mi = atoi(s + 4);
    s += 6;
    if (*s == ':') {
        if (!digits(s + 1, 2))
            goto bad;
        ss = atoi(s + 1);
        s += 3;
    }
    if (hh > 23 || mi > 59 || ss > 59)
        goto bad;
    int64_t local = capa_days_from_civil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss;
    if (!*s) {
        *out = capa_tz_utc(p->tz, y, m, d, hh, mi, ss);
        return CAPA_OK;
    }
    if (strcmp(s, "Z") == 0) {
        *out = local * 1000;
        return CAPA_OK;
    }
    if ((*s == '+' || *s == '-') && digits(s + 1, 2) && s[3] == ':' && digits(s + 4, 2) &&
        !s[6] && atoi(s + 1) <= 23 && atoi(s + 4) <= 59) {
        int off = (atoi(s + 1) * 3600 + atoi(s + 4) * 60) * (*s == '-' ? -1 : 1);
        *out = (local - off) * 1000;
        return CAPA_OK;
    }
bad:
    return capa__refuse(CAPA_EINVALID, "time.moment", NULL, text ? text : "",
                        "time '%.60s': not a moment (ISO 8601 YYYY-MM-DDTHH:MM[:SS] with Z or "
                        "+HH:MM, the same in plant local time without an offset, or a local "
                        "date YYYY-MM-DD)",
                        text ? text : "");
}

/* ---- the store's plant ---- */

int64_t capa_store_now(capa_store *s)
{
    return capa_store__now(s);
}

/* The plant as the transaction sees it. *key (may be NULL) receives what identifies it: the
 * zone and the key of every calendar version stored, so a cached plant can be checked. */
static int plant_load(capa_plant **out, capa_store *s, MDB_txn *txn, capa_buf *key)
{
    MDB_cursor *cur = NULL;
    capa_plant *p = NULL;
    char *zone = NULL;
    *out = NULL;
    int err = capa_meta__get_str(s, txn, "timezone", &zone);
    if (err && err != CAPA_ENOTFOUND)
        goto done;
    err = CAPA_OK;
    if (key)
        capa_buf_str(key, zone ? zone : "UTC");
    /* A store made before plant time was stored (or of format 1) counts as UTC. */
    if (!key && (err = capa_plant_new(&p, zone ? zone : "UTC")))
        goto done;
    int rc = mdb_cursor_open(txn, s->dbi[DB_FORMS], &cur);
    MDB_val k = {strlen(CAL_PREFIX), CAL_PREFIX}, v;
    rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    /* Keys are "calendar-YYYY" NUL be32(version): the last key of an id is its newest. */
    while (rc == MDB_SUCCESS && k.mv_size > strlen(CAL_PREFIX) &&
           memcmp(k.mv_data, CAL_PREFIX, strlen(CAL_PREFIX)) == 0) {
        MDB_val nk, nv;
        size_t idlen = strnlen(k.mv_data, k.mv_size);
        MDB_val here = k, hv = v;
        rc = mdb_cursor_get(cur, &nk, &nv, MDB_NEXT);
        int last = rc != MDB_SUCCESS || strnlen(nk.mv_data, nk.mv_size) != idlen ||
                   memcmp(nk.mv_data, here.mv_data, idlen) != 0;
        if (last && key) {
            capa_buf_bytes(key, here.mv_data, here.mv_size);
        } else if (last) {
            capa_calendar *cal = NULL;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)idlen, (const char *)here.mv_data);
            if ((err = cal_get(&cal, s, &here, &hv, name)))
                goto done;
            if ((err = capa_plant_add_calendar(p, cal)))
                goto done; /* it took cal, and freed it */
        }
        k = nk, v = nv;
    }
    if (rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "calendars");
    if (!err && key && key->oom)
        err = capa_error_set(CAPA_ENOMEM, "plant: out of memory");
done:
    if (cur)
        mdb_cursor_close(cur);
    capa__free(zone);
    if (err)
        capa_plant_free(p);
    else
        *out = p;
    return err;
}

int capa_plant_get(capa_plant **out, capa_store *s)
{
    MDB_txn *txn = NULL;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!(err = capa_store__require_any_format(s, txn, NULL)))
        err = plant_load(out, s, txn, NULL);
    capa_store__read_end(s, txn);
    return err;
}

/* The plant was checked in txn (store.h: plant_memo): later events of the same write
 * transaction take it as it is until a definition or a meta string is written. */
static void plant_memo_set(capa_store *s, MDB_txn *txn)
{
    pthread_mutex_lock(&s->cache_lock);
    s->plant_memo = txn == s->def_memo_txn;
    pthread_mutex_unlock(&s->cache_lock);
}

int capa_plant__cached(const capa_plant **out, capa_store *s, MDB_txn *txn)
{
    capa_buf key = {0};
    capa_plant *p = NULL, *none = NULL;
    *out = NULL;
    pthread_mutex_lock(&s->cache_lock);
    int memo = s->plant && s->plant_memo && txn && txn == s->def_memo_txn;
    pthread_mutex_unlock(&s->cache_lock);
    if (memo) {
        *out = s->plant;
        return CAPA_OK;
    }
    int err = plant_load(&none, s, txn, &key);
    if (!err && s->plant && key.len == s->plant_key_len &&
        memcmp(key.p, s->plant_key, key.len) == 0) {
        *out = s->plant;
        capa_buf_free(&key);
        plant_memo_set(s, txn);
        return CAPA_OK;
    }
    if (!err && !(err = plant_load(&p, s, txn, NULL))) {
        capa_plant_free(s->plant);
        capa__free(s->plant_key);
        s->plant = p;
        s->plant_key = key.p;
        s->plant_key_len = key.len;
        *out = p;
        plant_memo_set(s, txn);
        return CAPA_OK;
    }
    capa_buf_free(&key);
    return err;
}
