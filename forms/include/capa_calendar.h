/*
 * capa_calendar.h - a plant's working-day calendar for one year (schemas/calendar.xsd) and
 * the civil-date arithmetic it needs. Pure data and pure functions: no storage, no clock,
 * no time zone (core/ adds those).
 */
#ifndef CAPA_CALENDAR_H
#define CAPA_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "capa_form.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a day is. Working and make-up days count as working days. */
typedef enum capa_day_kind {
    CAPA_DAY_WORKING = 0, /**< an ordinary working day */
    CAPA_DAY_WEEKEND = 1, /**< a weekend day that is not worked */
    CAPA_DAY_HOLIDAY = 2, /**< a public holiday (also when it falls on a weekend) */
    CAPA_DAY_MAKEUP = 3,  /**< 调休上班: a weekend day worked in exchange for a holiday */
} capa_day_kind;

/** "working", "weekend", "holiday", "makeup". */
const char *capa_day_kind_name(capa_day_kind k);

typedef struct capa_calendar {
    int year;
    unsigned weekend;        /**< bit d set when ISO weekday d (1 = Monday .. 7) is weekend */
    unsigned char days[366]; /**< capa_day_kind of each day, index = day of the year - 1 */
    char *note;              /**< the source attribute (where the dates come from), or NULL */
    char *source;            /**< the XML text it was parsed from */
    size_t source_len;
} capa_calendar;

/**
 * Parse and validate a calendar document (calendar.xsd, then: every date a real date of
 * `year`, holiday ranges in order, no day listed twice, a make-up day on a weekend day).
 * Every problem goes to diag as "name:line: ...". Parsing is as safe as for forms (no DTD,
 * no entities, no network, at most 1 MiB).
 * @return CAPA_OK, CAPA_EINVALID, CAPA_ENOMEM, CAPA_ERROR.
 */
int capa_calendar_parse(capa_calendar **out, const char *xml, size_t len, const char *name,
                        capa_diag *diag);
void capa_calendar_free(capa_calendar *c);
/** The kind of a day of c's year (by month and day), ignoring dates outside it. */
capa_day_kind capa_calendar_day(const capa_calendar *c, int month, int day);
/** With no calendar for the year: Saturday and Sunday are weekend, all else working. */
capa_day_kind capa_calendar_default_day(int year, int month, int day);

/* ---- civil dates (proleptic Gregorian) ---- */
/** Days since 1970-01-01 of a date. */
int64_t capa_days_from_civil(int year, int month, int day);
/** The date of a day number (days since 1970-01-01). */
void capa_civil_from_days(int64_t days, int *year, int *month, int *day);
/** ISO weekday of a day number: 1 = Monday .. 7 = Sunday. */
int capa_weekday(int64_t days);
/** Days in a month (0 for a month outside 1..12). */
int capa_month_days(int year, int month);
/** Parse exactly "YYYY-MM-DD" naming a real date. @return 1 when it does, else 0. */
int capa_date_parse(const char *s, int *year, int *month, int *day);

#ifdef __cplusplus
}
#endif
#endif
