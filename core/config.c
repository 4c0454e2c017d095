/*
 * config.c - plant settings an administrator changes after `init`: the plant's time zone,
 * the recurrence window (再发, in days) and its working-day calendars. Each change is an authenticated, audited event whose facts
 * carry the new setting (the zone name; the calendar's XML), applied by apply.c, so `verify`
 * rebuilds and compares it like every other record.
 */
#include <stdio.h>
#include <string.h>

#include "refusal.h"
#include "apply.h"
#include "commit.h"
#include "event.h"
#include "users.h"

static int require_admin(capa_wtxn *t, const char *what)
{
    int err = capa__require_admin(t, what);
    return err ? err : capa_store__require_init(t->s, t->txn);
}

static int do_timezone(capa_wtxn *t, void *arg)
{
    const char *zone = arg;
    char *old = NULL;
    capa_event_rec e;
    int err = require_admin(t, "config timezone");
    if (err)
        return err;
    err = capa_meta__get_str(t->s, t->txn, "timezone", &old);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    capa_event__init(&e, t->actor->u.id, "config", NULL, NULL, NULL);
    capa_event__change(&e, "timezone", old, zone);
    capa_event__fact(&e, "timezone", zone);
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    capa__free(old);
    return err;
}

int capa_config_timezone(capa_store *s, const capa_actor *who, const char *tz_name)
{
    capa_tz *tz = NULL;
    /* Checked before the password and the write lock: a bad name changes nothing. */
    int err = capa_tz_load(&tz, tz_name);
    if (err) {
        char why[512];
        snprintf(why, sizeof why, "%s", capa_error_last());
        return capa__error_wrap(err, "config timezone: %s", why);
    }
    capa_tz_free(tz);
    return capa_store__mutate(s, who, do_timezone, (void *)tz_name);
}

static int do_recurrence(capa_wtxn *t, void *arg)
{
    const char *days = arg;
    uint64_t old = 0;
    char before[24];
    capa_event_rec e;
    int err = require_admin(t, "config recurrence-days");
    if (err)
        return err;
    err = capa_meta__get_u64(t->s, t->txn, "recurrence_days", &old);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    snprintf(before, sizeof before, "%llu", (unsigned long long)old);
    capa_event__init(&e, t->actor->u.id, "config", NULL, NULL, NULL);
    capa_event__change(&e, "recurrence_days", err ? NULL : before, days);
    capa_event__fact(&e, "recurrence_days", days);
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

int capa_config_recurrence_days(capa_store *s, const capa_actor *who, int days)
{
    char text[24];
    /* Checked before the password and the write lock: a bad value changes nothing. */
    if (days < 1 || days > 3650) {
        int err_ = capa__refuse(CAPA_EINVALID, "config.recurrence_days", "days", NULL,
                                "config recurrence-days: %d: must be a whole number of days from "
                                "1 to 3650",
                                days);
        capa__refusal_param("value", "%d", days);
        capa__refusal_param("min", "1");
        capa__refusal_param("max", "3650");
        return err_;
    }
    snprintf(text, sizeof text, "%d", days);
    return capa_store__mutate(s, who, do_recurrence, text);
}

typedef struct cal_arg {
    const char *xml;
    size_t len;
    int year, version;
} cal_arg;

static int do_calendar(capa_wtxn *t, void *arg)
{
    cal_arg *a = arg;
    char id[32], key[64], before[16], after[16], field[48];
    int latest = 0;
    capa_event_rec e;
    int err = require_admin(t, "calendar install");
    if (err)
        return err;
    snprintf(id, sizeof id, "calendar-%d", a->year);
    if ((err = capa_store__form_latest(t->s, t->txn, id, &latest)))
        return err;
    a->version = latest + 1;
    snprintf(before, sizeof before, "%d", latest);
    snprintf(after, sizeof after, "%d", latest + 1);
    snprintf(field, sizeof field, "form:%s", id);
    snprintf(key, sizeof key, "def:%s:%d", id, latest + 1);
    char *copy = capa__strndup(a->xml, a->len);
    if (!copy)
        return capa_error_set(CAPA_ENOMEM, "calendar install: out of memory");
    capa_event__init(&e, t->actor->u.id, "calendar_install", NULL, NULL, NULL);
    capa_event__change(&e, field, latest ? before : NULL, after);
    capa_event__fact(&e, key, copy);
    capa_event__fact(&e, "auth", "1");
    capa__free(copy);
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

int capa_calendar_install(capa_store *s, const capa_actor *who, const char *xml, size_t len,
                          const char *name, int *out_year, int *out_version)
{
    capa_calendar *cal = NULL;
    capa_diag diag = {0};
    cal_arg a = {xml, len, 0, 0};
    if (out_year)
        *out_year = 0;
    if (out_version)
        *out_version = 0;
    if (!xml)
        return capa__refuse(CAPA_EINVALID, "calendar.invalid", "calendar", "",
                            "calendar install: no document");
    /* Parsed and validated before the password is asked and before the write lock. */
    int err = capa_calendar_parse(&cal, xml, len, name ? name : "(calendar)", &diag);
    if (err) {
        char *msg = capa_diag_join(&diag, "; ");
        if (err == CAPA_ENOMEM) {
            err = capa_error_set(err, "calendar install: %s", msg && *msg ? msg : "out of memory");
        } else {
            err = capa__refuse(CAPA_EINVALID, "calendar.invalid", "calendar", name ? name : "",
                               "calendar install: %s", msg && *msg ? msg : capa_strerror(err));
            capa__refusal_param("detail", "%s", msg && *msg ? msg : "");
            capa__refusal_diag_items(&diag);
        }
        capa__free(msg);
        capa_diag_clear(&diag);
        return err;
    }
    a.year = cal->year;
    capa_calendar_free(cal);
    err = capa_store__mutate(s, who, do_calendar, &a);
    if (!err && out_year)
        *out_year = a.year;
    if (!err && out_version)
        *out_version = a.version;
    return err;
}
