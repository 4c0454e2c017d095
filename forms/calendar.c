/*
 * calendar.c - working-day calendars (see capa_calendar.h): parsing a calendar document
 * through the same safe loader as forms (xml.c) and schemas/calendar.xsd, the checks the
 * schema cannot make, and the civil-date arithmetic (Howard Hinnant's days_from_civil) that
 * core's working-day arithmetic builds on.
 */
#include "capa_calendar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "xml.h"

#define CAL_NS "urn:capa:calendar:1"

const char *capa_day_kind_name(capa_day_kind k)
{
    switch (k) {
    case CAPA_DAY_WORKING:
        return "working";
    case CAPA_DAY_WEEKEND:
        return "weekend";
    case CAPA_DAY_HOLIDAY:
        return "holiday";
    case CAPA_DAY_MAKEUP:
        return "makeup";
    }
    return "working";
}

int64_t capa_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void capa_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *year = (int)(y + (m <= 2));
    *month = m;
    *day = d;
}

int capa_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t w = (days + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

int capa_month_days(int y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return n[m - 1];
}

int capa_date_parse(const char *s, int *year, int *month, int *day)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1 || d > capa_month_days(y, m))
        return 0;
    *year = y, *month = m, *day = d;
    return 1;
}

static capa_day_kind plain_day(unsigned weekend, int y, int m, int d)
{
    int wd = capa_weekday(capa_days_from_civil(y, m, d));
    return (weekend >> wd) & 1 ? CAPA_DAY_WEEKEND : CAPA_DAY_WORKING;
}

capa_day_kind capa_calendar_default_day(int y, int m, int d)
{
    return plain_day((1u << 6) | (1u << 7), y, m, d);
}

capa_day_kind capa_calendar_day(const capa_calendar *c, int m, int d)
{
    int64_t doy = capa_days_from_civil(c->year, m, d) - capa_days_from_civil(c->year, 1, 1);
    if (doy < 0 || doy >= 366)
        return CAPA_DAY_WORKING;
    return (capa_day_kind)c->days[doy];
}

void capa_calendar_free(capa_calendar *c)
{
    if (!c)
        return;
    capa__free(c->note);
    capa__free(c->source);
    capa__free(c);
}

typedef struct walk {
    const char *name;
    capa_diag *diag;
    int invalid;
} walk;

static void bad(walk *w, const xmlNode *n, const char *fmt, const char *a, const char *b)
{
    char *msg = capa__sprintf(fmt, a ? a : "", b ? b : "");
    w->invalid = 1;
    capa_diag_add(w->diag, "%s:%ld: %s", w->name, capa__xml_line(n), msg ? msg : "invalid");
    capa__free(msg);
}

/* The day of the year (0-based) of `attr`'s date, or -1 after reporting why not. */
static int day_of(walk *w, const capa_calendar *c, const xmlNode *n, const char *attr,
                  const char *v)
{
    int y, m, d;
    char yr[16];
    if (!capa_date_parse(v, &y, &m, &d)) {
        bad(w, n, "%s: value '%s' is not a date YYYY-MM-DD", attr, v);
        return -1;
    }
    if (y != c->year) {
        char what[64];
        snprintf(yr, sizeof yr, "%d", c->year);
        snprintf(what, sizeof what, "%s: date '%s'", attr, v);
        bad(w, n, "%s is outside the calendar's year %s", what, yr);
        return -1;
    }
    return (int)(capa_days_from_civil(y, m, d) - capa_days_from_civil(y, 1, 1));
}

int capa_calendar_parse(capa_calendar **out, const char *xml, size_t len, const char *name,
                        capa_diag *diag)
{
    uint64_t oom_before = capa__oom_count();
    xmlDocPtr doc = NULL;
    capa_calendar *c = NULL;
    char *v = NULL, *to = NULL;
    unsigned char listed[366] = {0};
    walk w = {name ? name : "(calendar)", diag, 0};
    int rc;

    *out = NULL;
    rc = capa__xml_parse(&doc, xml, len, w.name, "calendar.xsd", diag);
    if (rc != CAPA_OK)
        goto done;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!capa__xml_is(root, CAL_NS, "calendar")) {
        rc = CAPA_EINVALID;
        bad(&w, root, "the root element must be <calendar xmlns=\"" CAL_NS "\">", NULL, NULL);
        goto done;
    }
    rc = CAPA_ENOMEM;
    if (!(c = capa__calloc(1, sizeof *c)) || !(c->source = capa__strndup(xml, len)))
        goto done;
    c->source_len = len;
    if ((rc = capa__xml_attr(&v, root, "year")) != CAPA_OK)
        goto done;
    c->year = v ? atoi(v) : 0; /* the schema requires it, 1970..2200 */
    capa__free(v);
    v = NULL;
    if ((rc = capa__xml_attr(&v, root, "weekend")) != CAPA_OK ||
        (rc = capa__xml_attr(&c->note, root, "source")) != CAPA_OK)
        goto done;
    c->weekend = v ? 0 : (1u << 6) | (1u << 7);
    for (const char *p = v; p && *p; p++)
        if (*p >= '1' && *p <= '7')
            c->weekend |= 1u << (*p - '0');
    int ndays = capa_month_days(c->year, 2) == 29 ? 366 : 365;
    for (int i = 0; i < ndays; i++) {
        int y, m, d;
        capa_civil_from_days(capa_days_from_civil(c->year, 1, 1) + i, &y, &m, &d);
        c->days[i] = (unsigned char)plain_day(c->weekend, y, m, d);
    }
    for (xmlNode *n = capa__xml_elem(root->children); n; n = capa__xml_elem(n->next)) {
        int holiday = capa__xml_is(n, CAL_NS, "holiday");
        capa__free(v);
        capa__free(to);
        v = to = NULL;
        if ((rc = capa__xml_attr(&v, n, holiday ? "from" : "date")) != CAPA_OK ||
            (holiday && (rc = capa__xml_attr(&to, n, "to")) != CAPA_OK))
            goto done;
        int a = day_of(&w, c, n, holiday ? "from" : "date", v ? v : "");
        int b = holiday && to ? day_of(&w, c, n, "to", to) : a;
        if (a < 0 || b < 0)
            continue;
        if (b < a) {
            bad(&w, n, "holiday from '%s' to '%s': the range ends before it begins", v, to);
            continue;
        }
        for (int i = a; i <= b; i++) {
            int y, m, d;
            char day[16];
            capa_civil_from_days(capa_days_from_civil(c->year, 1, 1) + i, &y, &m, &d);
            snprintf(day, sizeof day, "%04d-%02d-%02d", y, m, d);
            if (listed[i]) {
                bad(&w, n, "day %s is listed twice (as a holiday or make-up day already)", day,
                    NULL);
                continue;
            }
            listed[i] = 1;
            if (!holiday && c->days[i] != CAPA_DAY_WEEKEND) {
                bad(&w, n,
                    "workday date '%s': a make-up working day (调休上班) must fall on a weekend "
                    "day; %s is a working day anyway",
                    day, day);
                continue;
            }
            c->days[i] = (unsigned char)(holiday ? CAPA_DAY_HOLIDAY : CAPA_DAY_MAKEUP);
        }
    }
    rc = w.invalid ? CAPA_EINVALID : CAPA_OK;
done:
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (rc == CAPA_OK) {
        *out = c;
        c = NULL;
    }
    capa__free(v);
    capa__free(to);
    capa_calendar_free(c);
    xmlFreeDoc(doc);
    return rc;
}
