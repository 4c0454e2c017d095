/*
 * capa_time.h - plant time: the plant's time zone, its working-day calendars and the
 * arithmetic of time limits ("3 working days after opening"). Part of the public API
 * (included by capa.h); kept in its own header so the time functions read as one module.
 *
 * Stored times stay UTC (ms since the epoch). "Local" always means the plant's zone, read
 * from the IANA tz database (/usr/share/zoneinfo) by capa itself: no TZ variable, no
 * tzset(), so the functions are pure, thread-safe and leave the process's zone alone.
 */
#ifndef CAPA_TIME_H
#define CAPA_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "capa_calendar.h"
#include "capa_form.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct capa_store capa_store;
typedef struct capa_case capa_case;

/* ---- time zones ---- */
typedef struct capa_tz capa_tz;

/** Load an IANA zone ("Asia/Shanghai", "Europe/Berlin", "UTC") from /usr/share/zoneinfo.
 *  @return CAPA_OK, CAPA_EINVALID (not a zone name / no such zone / not a tz file, message
 *  naming the value), CAPA_ENOMEM. */
int capa_tz_load(capa_tz **out, const char *name);
void capa_tz_free(capa_tz *tz);
/** The zone's name. Borrowed from tz. */
const char *capa_tz_name(const capa_tz *tz);
/** Offset from UTC in seconds (east positive) at instant `ms`. */
int32_t capa_tz_offset(const capa_tz *tz, int64_t ms);

typedef struct capa_local_time {
    int year, month, day, hour, minute, second;
    int weekday;    /**< 1 = Monday .. 7 = Sunday */
    int32_t offset; /**< seconds east of UTC */
} capa_local_time;

/** The local wall-clock time of instant `ms`. */
void capa_tz_local(capa_local_time *out, const capa_tz *tz, int64_t ms);
/** The instant (ms) of a local wall-clock time. A time that occurs twice (the hour after
 *  DST ends) is the first; a time that does not exist (skipped when DST begins) is read
 *  with the offset before the change, so it lands as far after the gap as it was into it. */
int64_t capa_tz_utc(const capa_tz *tz, int year, int month, int day, int hour, int minute,
                    int second);
/** The system's zone name: $TZ when it names a zone, else /etc/timezone, else the target of
 *  /etc/localtime, else "UTC". For tools (the library itself never asks). */
void capa_tz_system(char *buf, size_t sz);

/* ---- plant time: a zone and the installed calendars ---- */
typedef struct capa_plant capa_plant;

/** A plant in zone `tz_name` with no calendars (weekends only). */
int capa_plant_new(capa_plant **out, const char *tz_name);
/** Add (or replace, for its year) a calendar; the plant takes ownership of cal. */
int capa_plant_add_calendar(capa_plant *p, capa_calendar *cal);
/** The store's plant: its time zone (meta "timezone"; "UTC" for a store that has none) and
 *  the newest installed version of every calendar year. */
int capa_plant_get(capa_plant **out, capa_store *s);
void capa_plant_free(capa_plant *p);
const char *capa_plant_timezone(const capa_plant *p);
/** Borrowed from p. */
const capa_tz *capa_plant_tz(const capa_plant *p);
/** The calendar of a year, or NULL. Borrowed from p. */
const capa_calendar *capa_plant_calendar(const capa_plant *p, int year);
/** The kind of a local date; *covered (may be NULL) says whether a calendar covers it
 *  (when not, only Saturday and Sunday are off). */
capa_day_kind capa_plant_day(const capa_plant *p, int year, int month, int day, int *covered);
/**
 * N working days after instant t: the same local time of day on the N-th working day (a
 * working or make-up day) after t's local date. n <= 0 gives t. *uncovered (may be NULL)
 * is set when a day counted lies outside every installed calendar.
 */
int64_t capa_plant_add_working_days(const capa_plant *p, int64_t t, int n, int *uncovered);
/** "2026-10-10T09:00:00+08:00" (local, with the offset; "Z" never) into buf (>= 32). */
void capa_plant_time_format(char *buf, size_t sz, const capa_plant *p, int64_t ms);
/** Parse a moment: ISO 8601 "YYYY-MM-DDTHH:MM[:SS]" with "Z" or "+HH:MM"/"-HH:MM", the
 *  same without an offset (plant local time), or a local date "YYYY-MM-DD" (its start).
 *  @return CAPA_OK or CAPA_EINVALID naming the value. */
int capa_plant_time_parse(int64_t *out, const capa_plant *p, const char *text);

/** The store's clock (its test override, else the system clock), ms since the epoch. */
int64_t capa_store_now(capa_store *s);

/* ---- time limits of a case ---- */

/** One time limit of a case, as of a moment. */
typedef struct capa_limit_status {
    char kind[64];    /**< response, containment, plan, closure (or a stage id) */
    double hours;     /**< the limit in calendar hours, or 0 */
    int working_days; /**< the limit in working days, or 0 */
    int64_t start;    /**< when it runs from: the case's opening (ms, UTC) */
    int64_t due;      /**< when it ends */
    int64_t warn;     /**< when it is due soon: warn-percent of the way from start to due */
    int64_t met;      /**< when what ends it happened, 0 when not (yet, as of `at`) */
    const char *state; /**< "on_time", "due_soon", "overdue", "met", "met_late" (static) */
    int uncovered;    /**< a working day counted lies outside every installed calendar */
} capa_limit_status;

/**
 * The limits of case `c` as of instant `at`, in the workflow's order of kinds: response
 * (ends when the first stage is signed), containment (the `containment` field first set:
 * `containment_at`, 0 when never), plan (the first "approved" sign-off), closure (the case
 * closed), and a stage id (that stage's first sign-off). The limit applying is the one for
 * the case's severity (intake field `severity`), else severity "*". A limit met after `at`
 * counts as not met yet. Pure: no storage, no clock. *out is freed with capa__free.
 */
int capa_limits_compute(capa_limit_status **out, size_t *n, const capa_workflow *wf,
                        const capa_plant *p, const capa_case *c, int64_t containment_at,
                        int64_t at);
/** capa_limits_compute for a stored case (its workflow, the plant, the audit trail). */
int capa_case_limits(capa_limit_status **out, size_t *n, capa_store *s, const capa_case *c,
                     int64_t at);

/* ---- escalation (capa escalate) and its outbox of notices ---- */

/** One escalation event: what `capa escalate` recorded, or a notice waiting in the outbox. */
typedef struct capa_escalation_info {
    uint64_t seq;  /**< the escalate event */
    char *number;  /**< case */
    char *stage;   /**< the stage the case was in */
    char *limit;   /**< response, containment, plan, closure or a stage id */
    char *level;   /**< the workflow's <escalate level>: warn, overdue, overdue_24h ... */
    char *to;      /**< the roles it goes to, space separated */
    char *users;   /**< the users holding them: "chen (陈主管), ..." ("" when none) */
    char *notify;  /**< the notice format it was queued for, or NULL (not queued) */
    int64_t due;   /**< when the limit is due (ms, UTC) */
    int64_t crossed; /**< when the level was reached */
    int64_t time;  /**< when the event was recorded */
} capa_escalation_info;

void capa_escalations_free(capa_escalation_info *a, size_t n);

/**
 * Record an escalation event for every (case, open limit, <escalate> step of the workflow)
 * whose moment - the limit's warning or due time plus the step's after-hours - has come by
 * the system clock and that has none yet, in one write transaction: a second run records
 * nothing twice, a late run every step passed since. When `notify` ("wecom", "dingtalk",
 * "json") is given, each is also queued in the outbox (capa_outbox_list). The actor is the
 * operating-system owner of the store (no password, like capa_checkpoint). *out (freed with
 * capa_escalations_free) lists what was recorded, in order.
 * @return CAPA_OK, CAPA_EINVALID (unknown notify format), CAPA_EDENIED (not the owner),
 * CAPA_ESTATE, CAPA_ENOMEM.
 */
int capa_escalate(capa_store *s, const char *notify, capa_escalation_info **out, size_t *n);
/** The escalations recorded for one case, in order (from its audit trail). */
int capa_case_escalations(capa_store *s, const char *number, capa_escalation_info **out,
                          size_t *n);
/** The notices queued and not yet delivered, oldest first. */
int capa_outbox_list(capa_store *s, capa_escalation_info **out, size_t *n);
/** Record one "deliver" event clearing the outbox entries of escalation events seqs[]. A
 *  seq not in the outbox is CAPA_ENOTFOUND and nothing is recorded. */
int capa_outbox_delivered(capa_store *s, const uint64_t *seqs, size_t n, uint64_t *out_seq);

/* ---- changing plant settings (admin, audited) ---- */
/** Set the plant's time zone (an IANA name). Audited as a "config" event. */
typedef struct capa_actor capa_actor;
int capa_config_timezone(capa_store *s, const capa_actor *who, const char *tz_name);
/** Install a calendar document as the next version of "calendar-YYYY". Audited. */
int capa_calendar_install(capa_store *s, const capa_actor *who, const char *xml, size_t len,
                          const char *name, int *out_year, int *out_version);

#ifdef __cplusplus
}
#endif
#endif
