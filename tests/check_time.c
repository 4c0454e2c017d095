/*
 * check_time.c - plant time: time zones read from the tz database, working-day calendars,
 * working-day arithmetic (weekends, holidays, make-up days, year ends, DST), and the
 * audited settings (time zone, calendar install) that verify replays.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capa.h"
#include "limits.h"
#include "testutil.h"

static capa_diag diag;

#define TU_MSG_HAS(text)                                                                      \
    ck_assert_msg(strstr(capa_error_last(), (text)) != NULL, "message '%s' lacks '%s'",     \
                  capa_error_last(), (text))

static void setup(void)
{
    ck_assert_int_eq(capa_form_init(), CAPA_OK);
    memset(&diag, 0, sizeof diag);
}

static void teardown(void)
{
    capa_diag_clear(&diag);
}

static int64_t at(const capa_plant *p, const char *iso)
{
    int64_t t = 0;
    ck_assert_msg(capa_plant_time_parse(&t, p, iso) == CAPA_OK, "%s: %s", iso, capa_error_last());
    return t;
}

static void fmt_is(const capa_plant *p, int64_t t, const char *want)
{
    char buf[40];
    capa_plant_time_format(buf, sizeof buf, p, t);
    ck_assert_str_eq(buf, want);
}

static capa_plant *prc(const char *zone)
{
    capa_plant *p = NULL;
    ck_assert_int_eq(capa_plant_new(&p, zone), CAPA_OK);
    const char *names[] = {"calendar-2025.xml", "calendar-2026.xml"};
    for (int i = 0; i < 2; i++) {
        const capa_embedded_file *e = capa_form_embedded_get(names[i]);
        capa_calendar *c = NULL;
        ck_assert_ptr_nonnull(e);
        ck_assert_msg(capa_calendar_parse(&c, e->data, e->len, e->name, &diag) == CAPA_OK, "%s",
                      capa_diag_join(&diag, "; "));
        ck_assert_int_eq(capa_plant_add_calendar(p, c), CAPA_OK);
    }
    return p;
}

/* ---- time zones ---- */

START_TEST(shanghai_is_eight_hours_east_all_year)
{
    capa_tz *tz = NULL;
    ck_assert_int_eq(capa_tz_load(&tz, "Asia/Shanghai"), CAPA_OK);
    ck_assert_int_eq(capa_tz_offset(tz, 1767225600000LL), 8 * 3600); /* 2026-01-01Z */
    ck_assert_int_eq(capa_tz_offset(tz, 1782864000000LL), 8 * 3600); /* 2026-07-01Z */
    ck_assert_str_eq(capa_tz_name(tz), "Asia/Shanghai");
    capa_tz_free(tz);
}
END_TEST

START_TEST(berlin_follows_dst_in_the_table_and_in_the_rule)
{
    capa_tz *tz = NULL;
    ck_assert_int_eq(capa_tz_load(&tz, "Europe/Berlin"), CAPA_OK);
    /* 2026: CEST from 2026-03-29 01:00Z to 2026-10-25 01:00Z. */
    ck_assert_int_eq(capa_tz_offset(tz, capa_tz_utc(tz, 2026, 3, 29, 1, 59, 59)), 3600);
    ck_assert_int_eq(capa_tz_offset(tz, capa_tz_utc(tz, 2026, 3, 29, 3, 0, 0)), 7200);
    ck_assert_int_eq(capa_tz_offset(tz, capa_tz_utc(tz, 2026, 10, 25, 4, 0, 0)), 3600);
    /* Far beyond any table: the POSIX rule of the footer (last Sunday of March/October). */
    capa_local_time lt;
    int64_t t = capa_tz_utc(tz, 2150, 7, 1, 12, 0, 0);
    capa_tz_local(&lt, tz, t);
    ck_assert_int_eq(lt.offset, 7200);
    ck_assert_int_eq(lt.hour, 12);
    t = capa_tz_utc(tz, 2150, 12, 1, 12, 0, 0);
    capa_tz_local(&lt, tz, t);
    ck_assert_int_eq(lt.offset, 3600);
    capa_tz_free(tz);
}
END_TEST

START_TEST(local_times_in_a_dst_gap_or_overlap_are_defined)
{
    capa_tz *tz = NULL;
    capa_local_time lt;
    ck_assert_int_eq(capa_tz_load(&tz, "Europe/Berlin"), CAPA_OK);
    /* 02:30 does not exist on 2026-03-29: read with +01:00, it is 03:30 +02:00. */
    capa_tz_local(&lt, tz, capa_tz_utc(tz, 2026, 3, 29, 2, 30, 0));
    ck_assert_int_eq(lt.hour, 3);
    ck_assert_int_eq(lt.minute, 30);
    /* 02:30 occurs twice on 2026-10-25: the first (+02:00). */
    int64_t t = capa_tz_utc(tz, 2026, 10, 25, 2, 30, 0);
    ck_assert_int_eq(capa_tz_offset(tz, t), 7200);
    capa_tz_free(tz);
}
END_TEST

START_TEST(unknown_or_hostile_zone_names_are_refused)
{
    capa_tz *tz = NULL;
    ck_assert_int_eq(capa_tz_load(&tz, "Mars/Olympus_Mons"), CAPA_EINVALID);
    TU_MSG_HAS("time zone 'Mars/Olympus_Mons': unknown");
    ck_assert_ptr_null(tz);
    ck_assert_int_eq(capa_tz_load(&tz, "../../etc/passwd"), CAPA_EINVALID);
    TU_MSG_HAS("not an IANA zone name");
    ck_assert_int_eq(capa_tz_load(&tz, "/etc/localtime"), CAPA_EINVALID);
    ck_assert_int_eq(capa_tz_load(&tz, "Asia"), CAPA_EINVALID); /* a directory */
    ck_assert_int_eq(capa_tz_load(&tz, ""), CAPA_EINVALID);
    ck_assert_int_eq(capa_tz_load(&tz, "zone.tab"), CAPA_EINVALID);
    TU_MSG_HAS("not a tz database file");
}
END_TEST

START_TEST(times_parse_with_offsets_local_or_as_dates)
{
    capa_plant *p = NULL;
    ck_assert_int_eq(capa_plant_new(&p, "Asia/Shanghai"), CAPA_OK);
    ck_assert(at(p, "2026-09-30T09:00:00+08:00") == at(p, "2026-09-30T01:00:00Z"));
    ck_assert(at(p, "2026-09-30T09:00") == at(p, "2026-09-30T01:00Z"));
    fmt_is(p, at(p, "2026-09-30"), "2026-09-30T00:00:00+08:00");
    fmt_is(p, at(p, "2026-09-30T01:00:00-03:30"), "2026-09-30T12:30:00+08:00");
    int64_t t;
    ck_assert_int_eq(capa_plant_time_parse(&t, p, "2026-13-01"), CAPA_EINVALID);
    TU_MSG_HAS("time '2026-13-01': not a moment");
    ck_assert_int_eq(capa_plant_time_parse(&t, p, "2026-09-30T25:00"), CAPA_EINVALID);
    ck_assert_int_eq(capa_plant_time_parse(&t, p, "2026-09-30T09:00+8"), CAPA_EINVALID);
    ck_assert_int_eq(capa_plant_time_parse(&t, p, "yesterday"), CAPA_EINVALID);
    capa_plant_free(p);
}
END_TEST

/* ---- calendars ---- */

START_TEST(prc_2026_days_are_what_the_state_council_said)
{
    capa_plant *p = prc("Asia/Shanghai");
    int cov = 0;
    ck_assert_int_eq(capa_plant_day(p, 2026, 1, 1, &cov), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(cov, 1);
    ck_assert_int_eq(capa_plant_day(p, 2026, 1, 3, NULL), CAPA_DAY_HOLIDAY); /* a Saturday */
    ck_assert_int_eq(capa_plant_day(p, 2026, 1, 4, NULL), CAPA_DAY_MAKEUP);  /* Sunday worked */
    ck_assert_int_eq(capa_plant_day(p, 2026, 1, 5, NULL), CAPA_DAY_WORKING);
    ck_assert_int_eq(capa_plant_day(p, 2026, 1, 10, NULL), CAPA_DAY_WEEKEND);
    ck_assert_int_eq(capa_plant_day(p, 2026, 2, 14, NULL), CAPA_DAY_MAKEUP);
    ck_assert_int_eq(capa_plant_day(p, 2026, 2, 23, NULL), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(capa_plant_day(p, 2026, 2, 28, NULL), CAPA_DAY_MAKEUP);
    ck_assert_int_eq(capa_plant_day(p, 2026, 5, 9, NULL), CAPA_DAY_MAKEUP);
    ck_assert_int_eq(capa_plant_day(p, 2026, 6, 19, NULL), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(capa_plant_day(p, 2026, 9, 20, NULL), CAPA_DAY_MAKEUP);
    ck_assert_int_eq(capa_plant_day(p, 2026, 9, 25, NULL), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(capa_plant_day(p, 2026, 10, 7, NULL), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(capa_plant_day(p, 2026, 10, 10, NULL), CAPA_DAY_MAKEUP);
    /* 2025 (国办发明电〔2024〕12号). */
    ck_assert_int_eq(capa_plant_day(p, 2025, 1, 26, NULL), CAPA_DAY_MAKEUP);
    ck_assert_int_eq(capa_plant_day(p, 2025, 2, 4, NULL), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(capa_plant_day(p, 2025, 10, 8, NULL), CAPA_DAY_HOLIDAY);
    ck_assert_int_eq(capa_plant_day(p, 2025, 10, 11, NULL), CAPA_DAY_MAKEUP);
    /* 2027 is not covered: weekends only. */
    ck_assert_int_eq(capa_plant_day(p, 2027, 1, 1, &cov), CAPA_DAY_WORKING);
    ck_assert_int_eq(cov, 0);
    ck_assert_int_eq(capa_plant_day(p, 2027, 1, 2, NULL), CAPA_DAY_WEEKEND);
    capa_plant_free(p);
}
END_TEST

static int parse_file(const char *file, capa_calendar **out)
{
    char path[4096];
    size_t len = 0;
    snprintf(path, sizeof path, "%s/calendar/%s", CAPA_TEST_DATA, file);
    char *xml = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(xml);
    int rc = capa_calendar_parse(out, xml, len, file, &diag);
    free(xml);
    return rc;
}

static int has(const char *text)
{
    for (size_t i = 0; i < diag.n; i++)
        if (strstr(diag.msgs[i], text))
            return 1;
    return 0;
}

START_TEST(a_bad_calendar_names_every_line_value_and_rule)
{
    capa_calendar *c = NULL;
    ck_assert_int_eq(parse_file("bad-dates.xml", &c), CAPA_EINVALID);
    ck_assert_ptr_null(c);
    ck_assert(has("bad-dates.xml:3: from: value '2026-02-30' is not a date"));
    ck_assert(has("bad-dates.xml:4: holiday from '2026-05-05' to '2026-05-01': the range ends"));
    ck_assert(has("bad-dates.xml:5: from: date '2027-01-01' is outside the calendar's year 2026"));
    ck_assert(has("bad-dates.xml:6: workday date '2026-10-12': a make-up working day"));
    capa_diag_clear(&diag);
    ck_assert_int_eq(parse_file("malformed.xml", &c), CAPA_EINVALID);
    ck_assert(diag.n > 0);
    ck_assert_ptr_null(c);
}
END_TEST

START_TEST(a_calendar_with_a_doctype_is_refused)
{
    const char *xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE c [<!ENTITY x \"y\">]>\n"
                      "<calendar xmlns=\"urn:capa:calendar:1\" year=\"2026\"/>";
    capa_calendar *c = NULL;
    ck_assert_int_eq(capa_calendar_parse(&c, xml, strlen(xml), "dt.xml", &diag), CAPA_EINVALID);
    ck_assert_ptr_null(c);
}
END_TEST

/* ---- working-day arithmetic ---- */

static void add_is(const capa_plant *p, const char *from, int n, const char *want)
{
    char buf[40];
    capa_plant_time_format(buf, sizeof buf, p, capa_plant_add_working_days(p, at(p, from), n, NULL));
    ck_assert_msg(strcmp(buf, want) == 0, "%s + %d working days: %s, want %s", from, n, buf, want);
}

START_TEST(three_working_days_over_national_day_end_on_the_makeup_saturday)
{
    capa_plant *p = prc("Asia/Shanghai");
    add_is(p, "2026-09-30T09:00:00+08:00", 3, "2026-10-10T09:00:00+08:00");
    add_is(p, "2026-09-30T09:00:00+08:00", 1, "2026-10-08T09:00:00+08:00");
    add_is(p, "2026-09-30T09:00:00+08:00", 4, "2026-10-12T09:00:00+08:00");
    capa_plant_free(p);
    /* Weekends only: Oct 1 (Thu), Oct 2 (Fri), Oct 5 (Mon). */
    ck_assert_int_eq(capa_plant_new(&p, "Asia/Shanghai"), CAPA_OK);
    add_is(p, "2026-09-30T09:00:00+08:00", 3, "2026-10-05T09:00:00+08:00");
    capa_plant_free(p);
}
END_TEST

START_TEST(working_days_cross_weekends_holidays_and_makeup_days)
{
    capa_plant *p = prc("Asia/Shanghai");
    add_is(p, "2026-03-06T17:30:00+08:00", 1, "2026-03-09T17:30:00+08:00"); /* Fri -> Mon */
    add_is(p, "2026-03-07T10:00:00+08:00", 1, "2026-03-09T10:00:00+08:00"); /* from a Sat */
    add_is(p, "2026-02-13T08:00:00+08:00", 1, "2026-02-14T08:00:00+08:00"); /* makeup Sat */
    add_is(p, "2026-02-13T08:00:00+08:00", 2, "2026-02-24T08:00:00+08:00"); /* over 春节 */
    add_is(p, "2026-04-30T12:00:00+08:00", 2, "2026-05-07T12:00:00+08:00"); /* over 劳动节 */
    add_is(p, "2026-05-08T12:00:00+08:00", 1, "2026-05-09T12:00:00+08:00");
    add_is(p, "2026-09-18T09:00:00+08:00", 1, "2026-09-20T09:00:00+08:00"); /* makeup Sun */
    add_is(p, "2026-09-30T09:00:00+08:00", 0, "2026-09-30T09:00:00+08:00");
    /* Local date, not UTC date: 07:00 +08:00 is the previous day in UTC. */
    add_is(p, "2026-10-09T07:00:00+08:00", 1, "2026-10-10T07:00:00+08:00");
    capa_plant_free(p);
}
END_TEST

START_TEST(working_days_cross_year_ends_in_and_out_of_the_calendars)
{
    capa_plant *p = prc("Asia/Shanghai");
    int unc = 1;
    /* 2025-12-31 (Wed) + 1: Jan 1-3 off, Jan 4 (Sun) worked. */
    capa_plant_time_format((char[40]){0}, 40, p, 0);
    int64_t t = capa_plant_add_working_days(p, at(p, "2025-12-31T09:00:00+08:00"), 1, &unc);
    fmt_is(p, t, "2026-01-04T09:00:00+08:00");
    ck_assert_int_eq(unc, 0);
    add_is(p, "2024-12-31T09:00:00+08:00", 1, "2025-01-02T09:00:00+08:00");
    /* 2026-12-31 (Thu) + 2: 2027 has no calendar: Fri Jan 1, Mon Jan 4. */
    t = capa_plant_add_working_days(p, at(p, "2026-12-31T09:00:00+08:00"), 2, &unc);
    fmt_is(p, t, "2027-01-04T09:00:00+08:00");
    ck_assert_int_eq(unc, 1);
    capa_plant_free(p);
}
END_TEST

START_TEST(working_days_keep_the_local_time_across_dst_changes)
{
    capa_plant *p = NULL;
    ck_assert_int_eq(capa_plant_new(&p, "Europe/Berlin"), CAPA_OK);
    /* Fri 2026-03-27 09:00 CET + 1 = Mon 2026-03-30 09:00 CEST: 71 hours, not 72. */
    int64_t a = at(p, "2026-03-27T09:00:00+01:00");
    int64_t b = capa_plant_add_working_days(p, a, 1, NULL);
    fmt_is(p, b, "2026-03-30T09:00:00+02:00");
    ck_assert(b - a == 71LL * 3600 * 1000);
    /* Fri 2026-10-23 09:00 CEST + 1 = Mon 2026-10-26 09:00 CET: 73 hours. */
    a = at(p, "2026-10-23T09:00:00+02:00");
    b = capa_plant_add_working_days(p, a, 1, NULL);
    fmt_is(p, b, "2026-10-26T09:00:00+01:00");
    ck_assert(b - a == 73LL * 3600 * 1000);
    /* A time of day that the target date skips (02:30 on 2027-03-28 is a Sunday; use a
     * Saturday-working calendar-free case instead: Fri 2026-03-27 02:30 + 1 = Mon). */
    add_is(p, "2026-03-27T02:30:00+01:00", 1, "2026-03-30T02:30:00+02:00");
    capa_plant_free(p);
}
END_TEST

/* ---- stored settings ---- */

static int verifies(capa_store *s)
{
    capa_verify_report *r = NULL;
    ck_assert_int_eq(capa_store_verify(&r, s, NULL), CAPA_OK);
    int ok = r->ok;
    if (!ok && r->n_mismatches)
        fprintf(stderr, "verify: %s\n", r->mismatches[0].message);
    capa_verify_report_free(r);
    return ok;
}

START_TEST(init_stores_the_zone_and_the_built_in_calendars)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 0);
    capa_plant *p = NULL;
    ck_assert_int_eq(capa_plant_get(&p, s), CAPA_OK);
    ck_assert_str_eq(capa_plant_timezone(p), "UTC");
    ck_assert_ptr_nonnull(capa_plant_calendar(p, 2025));
    ck_assert_ptr_nonnull(capa_plant_calendar(p, 2026));
    ck_assert_ptr_null(capa_plant_calendar(p, 2027));
    capa_plant_free(p);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);

    dir = tu_mkdtemp();
    s = tu_reopen(dir);
    capa_init_opts io = {.org = "o", .admin_password = TU_PW, .timezone = "Mars/Base"};
    ck_assert_int_eq(capa_store_init(s, &io), CAPA_EINVALID);
    TU_MSG_HAS("init: --timezone: time zone 'Mars/Base': unknown");
    io.timezone = "Asia/Shanghai";
    ck_assert_int_eq(capa_store_init(s, &io), CAPA_OK);
    ck_assert_int_eq(capa_plant_get(&p, s), CAPA_OK);
    ck_assert_str_eq(capa_plant_timezone(p), "Asia/Shanghai");
    capa_plant_free(p);
    capa_store_info info;
    ck_assert_int_eq(capa_store_info_get(&info, s), CAPA_OK);
    ck_assert_str_eq(info.timezone, "Asia/Shanghai");
    capa_store_info_clear(&info);
    ck_assert(verifies(s));
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(an_admin_changes_the_zone_audited_and_replayed)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 1);
    capa_actor admin = tu_as("admin"), li = tu_as("li");
    uint64_t before = tu_events(s);
    ck_assert_int_eq(capa_config_timezone(s, &admin, "Nowhere/City"), CAPA_EINVALID);
    TU_MSG_HAS("config timezone: time zone 'Nowhere/City': unknown");
    ck_assert_int_eq(capa_config_timezone(s, &li, "Asia/Shanghai"), CAPA_EDENIED);
    TU_MSG_HAS("only admin may");
    uint64_t after_denied = tu_events(s);
    ck_assert(after_denied == before); /* a bad name asks nothing and writes nothing */
    ck_assert_int_eq(capa_config_timezone(s, &admin, "Europe/Berlin"), CAPA_OK);
    ck_assert(tu_events(s) == before + 1);
    capa_plant *p = NULL;
    ck_assert_int_eq(capa_plant_get(&p, s), CAPA_OK);
    ck_assert_str_eq(capa_plant_timezone(p), "Europe/Berlin");
    capa_plant_free(p);
    ck_assert(verifies(s));
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(a_calendar_install_is_a_new_version_and_verifies)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 1);
    capa_actor admin = tu_as("admin"), li = tu_as("li");
    const char *xml = "<calendar xmlns=\"urn:capa:calendar:1\" year=\"2026\" weekend=\"7\">"
                      "<holiday from=\"2026-10-01\" to=\"2026-10-03\" zh=\"国庆\" en=\"N\"/>"
                      "</calendar>";
    int year = 0, version = 0;
    uint64_t before = tu_events(s);
    /* The store's plant as it was (this also caches the parsed built-in calendars). */
    capa_plant *p = NULL;
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(capa_plant_get(&p, s), CAPA_OK);
        ck_assert_int_eq(capa_plant_day(p, 2026, 10, 4, NULL), CAPA_DAY_HOLIDAY);
        capa_plant_free(p);
    }
    ck_assert_int_eq(capa_calendar_install(s, &li, xml, strlen(xml), "c.xml", &year, &version),
                     CAPA_EDENIED);
    ck_assert_int_eq(capa_calendar_install(s, &admin, "<calendar", 9, "bad.xml", &year, &version),
                     CAPA_EINVALID);
    TU_MSG_HAS("calendar install: bad.xml");
    ck_assert(tu_events(s) == before + 1 - 1 || tu_events(s) == before);
    ck_assert_int_eq(capa_calendar_install(s, &admin, xml, strlen(xml), "c.xml", &year, &version),
                     CAPA_OK);
    ck_assert_int_eq(year, 2026);
    ck_assert_int_eq(version, 2);
    /* The same store handle sees the new version at once. */
    ck_assert_int_eq(capa_plant_get(&p, s), CAPA_OK);
    /* Six-day week: Saturday 2026-10-10 is an ordinary working day now. */
    ck_assert_int_eq(capa_plant_day(p, 2026, 10, 10, NULL), CAPA_DAY_WORKING);
    ck_assert_int_eq(capa_plant_day(p, 2026, 10, 4, NULL), CAPA_DAY_WEEKEND);
    ck_assert_int_eq(capa_plant_day(p, 2026, 10, 5, NULL), CAPA_DAY_WORKING);
    ck_assert_ptr_nonnull(capa_plant_calendar(p, 2025)); /* untouched */
    capa_plant_free(p);
    ck_assert(verifies(s));
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- limits ---- */

static capa_workflow *default_wf(void)
{
    const capa_embedded_file *e = capa_form_embedded_get("workflow.xml");
    capa_workflow *w = NULL;
    ck_assert_int_eq(capa_workflow_parse(&w, e->data, e->len, e->name, &diag), CAPA_OK);
    return w;
}

static const char *state_of(const capa_limit_status *l, size_t n, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].kind, kind) == 0)
            return l[i].state;
    return "(none)";
}

static int64_t due_of(const capa_limit_status *l, size_t n, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].kind, kind) == 0)
            return l[i].due;
    return -1;
}

START_TEST(limits_are_due_warned_overdue_and_met_by_what_ends_them)
{
    capa_workflow *wf = default_wf();
    capa_plant *p = prc("Asia/Shanghai");
    capa_stage_record st[6] = {{0}};
    capa_kv sev[] = {{"severity", "major"}};
    st[0].stage = "intake";
    st[0].values = sev;
    st[0].n_values = 1;
    for (int i = 1; i < 6; i++)
        st[i].stage = wf->stages[i].id;
    capa_signature sg[2] = {{0}};
    sg[0].stage = "intake", sg[0].kind = "sign", sg[0].meaning = "reviewed";
    sg[1].stage = "action", sg[1].kind = "sign", sg[1].meaning = "approved";
    capa_case c = {0};
    c.number = "QC-2026-0001";
    c.stage = "analysis";
    c.opened = at(p, "2026-09-30T09:00:00+08:00");
    c.stages = st;
    c.n_stages = 6;
    c.signatures = sg;
    c.n_signatures = 0;
    capa_limit_status *l = NULL;
    size_t n = 0;

    /* Twelve hours in: every limit on time; plan due on the make-up Saturday. */
    int64_t t = at(p, "2026-09-30T21:00:00+08:00");
    ck_assert_int_eq(capa_limits_compute(&l, &n, wf, p, &c, 0, t), CAPA_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(state_of(l, n, "response"), "on_time");
    ck_assert(due_of(l, n, "plan") == at(p, "2026-10-10T09:00:00+08:00"));
    ck_assert(due_of(l, n, "closure") == c.opened + 168LL * 3600000); /* major: 7 days */
    capa__free(l);
    /* 20 h in (past 80 % of 24 h): response and containment due soon. */
    t = at(p, "2026-10-01T05:00:00+08:00");
    ck_assert_int_eq(capa_limits_compute(&l, &n, wf, p, &c, 0, t), CAPA_OK);
    ck_assert_str_eq(state_of(l, n, "response"), "due_soon");
    ck_assert_str_eq(state_of(l, n, "containment"), "due_soon");
    ck_assert_str_eq(state_of(l, n, "plan"), "on_time");
    capa__free(l);
    /* Intake signed after 30 h, containment set after 2 h, action approved on Oct 9. */
    sg[0].time = c.opened + 30LL * 3600000;
    sg[1].time = at(p, "2026-10-09T16:00:00+08:00");
    c.n_signatures = 2;
    t = at(p, "2026-10-08T12:00:00+08:00");
    ck_assert_int_eq(capa_limits_compute(&l, &n, wf, p, &c, c.opened + 7200000, t), CAPA_OK);
    ck_assert_str_eq(state_of(l, n, "response"), "met_late");
    ck_assert_str_eq(state_of(l, n, "containment"), "met");
    ck_assert_str_eq(state_of(l, n, "plan"), "due_soon"); /* approved later than `at` */
    ck_assert_str_eq(state_of(l, n, "closure"), "overdue"); /* 7 days passed on Oct 7 */
    ck_assert(l[2].met == 0);
    capa__free(l);
    t = at(p, "2026-10-12T12:00:00+08:00");
    ck_assert_int_eq(capa_limits_compute(&l, &n, wf, p, &c, c.opened + 7200000, t), CAPA_OK);
    ck_assert_str_eq(state_of(l, n, "plan"), "met");
    capa__free(l);
    /* A case closed in time meets closure. */
    c.closed = 1;
    c.closed_at = c.opened + 100LL * 3600000;
    ck_assert_int_eq(capa_limits_compute(&l, &n, wf, p, &c, 0, t), CAPA_OK);
    ck_assert_str_eq(state_of(l, n, "closure"), "met");
    capa__free(l);
    capa_plant_free(p);
    capa_workflow_free(wf);
}
END_TEST

START_TEST(a_stored_case_has_its_limits_and_containment_from_the_trail)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 1);
    char *num = tu_open_case(s, NULL);
    capa_case *c = NULL;
    capa_limit_status *l = NULL;
    size_t n = 0;
    ck_assert_int_eq(capa_case_get(&c, s, num), CAPA_OK);
    ck_assert_int_eq(capa_case_limits(&l, &n, s, c, c->opened + 1000), CAPA_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(state_of(l, n, "containment"), "on_time");
    capa__free(l);
    capa_case_free(c);
    capa_actor wang = tu_as("wang");
    capa_kv v[] = {{"containment", "隔离库存 200 件"}};
    ck_assert_msg(capa_case_set(s, num, &wang, v, 1, NULL) == CAPA_OK, "%s", capa_error_last());
    ck_assert_int_eq(capa_case_get(&c, s, num), CAPA_OK);
    ck_assert_int_eq(capa_case_limits(&l, &n, s, c, capa_store_now(s)), CAPA_OK);
    ck_assert_str_eq(state_of(l, n, "containment"), "met");
    ck_assert_str_eq(state_of(l, n, "response"), "on_time");
    capa__free(l);
    capa_case_free(c);
    free(num);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- the report's table of working-day due times (capa_workdays, limits.h) ----
 * A report takes the due time of every case from a table of the days instead of walking the
 * calendar per case. It must give what the walk gives for any instant: across DST changes
 * (Berlin, New York, Lord Howe's half hour, Santiago's at midnight), the PRC holidays and
 * make-up days of 2025 and 2026, and days beyond the installed calendars (uncovered). */

static uint64_t rnd(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 17;
}

static const char *const table_zones[] = {"Europe/Berlin",    "America/New_York",
                                          "Australia/Lord_Howe", "America/Santiago",
                                          "Asia/Shanghai",    "Africa/Cairo",
                                          "UTC"};

START_TEST(the_working_day_table_gives_what_the_walk_gives)
{
    static const int ns[] = {1, 2, 3, 5, 10};
    uint64_t seed = 7;
    for (size_t z = 0; z < sizeof table_zones / sizeof *table_zones; z++) {
        capa_plant *p = prc(table_zones[z]);
        int64_t from = at(p, "2025-09-01T00:00:00Z"), to = at(p, "2027-01-20T00:00:00Z");
        capa_workdays *w = NULL;
        ck_assert_int_eq(capa_workdays__new(&w, p, from, to, ns, 5), CAPA_OK);
        size_t asked = 0, held = 0;
        for (int64_t day = from - 3 * 86400000LL; day < to + 3 * 86400000LL; day += 86400000) {
            /* Every UTC hour of the day, a millisecond before it, and a random instant. */
            for (int h = 0; h <= 24; h++) {
                int64_t t[3] = {day + h * 3600000LL, day + h * 3600000LL - 1,
                                day + (int64_t)(rnd(&seed) % 86400000)};
                for (int j = 0; j < 3; j++) {
                    int n = ns[rnd(&seed) % 5], u1 = -1, u2 = -1;
                    int64_t want = capa_plant_add_working_days(p, t[j], n, &u1);
                    int64_t got = capa_workdays__add(w, p, t[j], n, &u2);
                    ck_assert_msg(got == want && u1 == u2,
                                  "%s: %lld + %d working days: table %lld (uncovered %d), walk "
                                  "%lld (%d)",
                                  table_zones[z], (long long)t[j], n, (long long)got, u2,
                                  (long long)want, u1);
                    asked++;
                    held += (size_t)capa_workdays__holds(w, t[j], n);
                }
            }
        }
        /* The table answers almost always (not on the days around a DST change, nor outside
         * its span): else the comparison above would test the walk against itself. */
        ck_assert_msg(held * 100 > asked * 95, "%s: the table answered %zu of %zu",
                      table_zones[z], held, asked);
        if (strcmp(table_zones[z], "Europe/Berlin") == 0) {
            ck_assert(!capa_workdays__holds(w, at(p, "2026-03-29T10:00:00+02:00"), 3));
            ck_assert(capa_workdays__holds(w, at(p, "2026-03-16T10:00:00+01:00"), 3));
            ck_assert(!capa_workdays__holds(w, at(p, "2027-03-01T10:00:00+01:00"), 3));
            ck_assert(!capa_workdays__holds(w, at(p, "2026-03-16T10:00:00+01:00"), 4));
        }
        capa_workdays__free(w);
        capa_plant_free(p);
    }
}
END_TEST

/* The report's evaluation (capa_limits__eval_kinds over the table) against capa_limits_compute
 * (what `show` and `list` use) for random cases: limits in hours and in working days per
 * severity, sign-offs, containment and closing at random times before or after `at`. */
START_TEST(the_report_limits_are_what_capa_limits_compute_gives)
{
    capa_workflow *wf = default_wf();
    capa_limit lim[] = {{"*", "response", 24, 0},      {"*", "containment", 0, 1},
                        {"*", "plan", 0, 3},           {"*", "closure", 240, 0},
                        {"major", "plan", 0, 2},       {"major", "closure", 0, 5},
                        {"general", "closure", 0, 10}, {"general", "response", 36.5, 0}};
    capa_workflow w2 = *wf;
    w2.limits = lim;
    w2.n_limits = sizeof lim / sizeof *lim;
    static const int ns[] = {1, 3, 2, 5, 10};
    static const char *const sevs[] = {"major", "general", "important", NULL};
    uint64_t seed = 11;
    for (size_t z = 0; z < sizeof table_zones / sizeof *table_zones; z++) {
        capa_plant *p = prc(table_zones[z]);
        int64_t from = at(p, "2025-12-01T00:00:00Z"), to = at(p, "2026-12-31T00:00:00Z");
        capa_workdays *w = NULL;
        ck_assert_int_eq(capa_workdays__new(&w, p, from, to, ns, 5), CAPA_OK);
        for (int i = 0; i < 4000; i++) {
            const char *sev = sevs[rnd(&seed) % 4];
            capa_kv kv = {"severity", (char *)sev};
            capa_stage_record st = {.stage = "intake", .values = &kv, .n_values = sev ? 1 : 0};
            int64_t opened = from - 5 * 86400000LL + (int64_t)(rnd(&seed) % 400) * 86400000LL +
                             (int64_t)(rnd(&seed) % 86400000);
            int64_t when = opened + (int64_t)(rnd(&seed) % (30LL * 86400000));
            int64_t resp = rnd(&seed) % 3 ? opened + (int64_t)(rnd(&seed) % (3LL * 86400000)) : 0;
            int64_t plan = rnd(&seed) % 3 ? opened + (int64_t)(rnd(&seed) % (8LL * 86400000)) : 0;
            int64_t cont = rnd(&seed) % 3 ? opened + (int64_t)(rnd(&seed) % (2LL * 86400000)) : 0;
            int closed = rnd(&seed) % 3 == 0;
            int64_t closed_at = opened + (int64_t)(rnd(&seed) % (20LL * 86400000));
            capa_signature sg[2] = {{0}};
            size_t n_sg = 0;
            if (resp)
                sg[n_sg++] = (capa_signature){
                    .stage = "intake", .kind = "sign", .meaning = "reviewed", .time = resp};
            if (plan)
                sg[n_sg++] = (capa_signature){
                    .stage = "action", .kind = "sign", .meaning = "approved", .time = plan};
            capa_case c = {.number = "QC-2026-0001", .stage = "analysis", .closed = closed,
                           .opened = opened, .closed_at = closed ? closed_at : 0,
                           .stages = &st, .n_stages = 1, .signatures = sg,
                           .n_signatures = n_sg};
            capa_limit_status *l = NULL;
            size_t n = 0;
            int64_t cont_at = cont && cont <= when ? cont : 0;
            ck_assert_int_eq(capa_limits_compute(&l, &n, &w2, p, &c, cont_at, when), CAPA_OK);
            const capa_limit *pk[CAPA_LIMIT_KINDS];
            capa_limits__pick_kinds(pk, &w2, sev);
            int64_t met[CAPA_LIMIT_KINDS] = {resp && resp <= when ? resp : 0, cont_at,
                                             plan && plan <= when ? plan : 0,
                                             closed ? closed_at : 0};
            capa_limit_status fast[CAPA_LIMIT_KINDS];
            size_t nf = capa_limits__eval_kinds(fast, pk, &w2, p, w, opened, met, when);
            ck_assert_uint_eq(nf, 4);
            ck_assert_uint_ge(n, nf);
            for (size_t k = 0; k < nf; k++) {
                ck_assert_str_eq(fast[k].kind, l[k].kind);
                ck_assert_msg(fast[k].due == l[k].due && fast[k].warn == l[k].warn &&
                                  fast[k].met == l[k].met && fast[k].uncovered == l[k].uncovered,
                              "%s case %d %s: due %lld/%lld warn %lld/%lld met %lld/%lld",
                              table_zones[z], i, l[k].kind, (long long)fast[k].due,
                              (long long)l[k].due, (long long)fast[k].warn, (long long)l[k].warn,
                              (long long)fast[k].met, (long long)l[k].met);
                ck_assert_str_eq(fast[k].state, l[k].state);
            }
            capa__free(l);
        }
        capa_workdays__free(w);
        capa_plant_free(p);
    }
    capa_workflow_free(wf);
}
END_TEST

START_TEST(a_limit_in_working_days_parses_and_bad_ones_are_named)
{
    capa_workflow *w = default_wf();
    const capa_limit *plan = NULL;
    for (size_t i = 0; i < w->n_limits; i++)
        if (strcmp(w->limits[i].kind, "plan") == 0 && strcmp(w->limits[i].severity, "*") == 0)
            plan = &w->limits[i];
    ck_assert_ptr_nonnull(plan);
    ck_assert_int_eq(plan->working_days, 3);
    ck_assert(plan->hours == 0);
    const capa_embedded_file *e = capa_form_embedded_get("workflow.xml");
    const char *key = "kind=\"plan\"        working-days=\"3\"/>";
    const char *variants[][2] = {
        {"kind=\"plan\" working-days=\"3\" hours=\"2\"/>",
         "limit plan: give hours or working-days, not both"},
        {"kind=\"plan\"/>", "a limit needs severity, kind and hours or working-days"},
        {"kind=\"plan\" working-days=\"400\"/>", "working-days '400' must be a whole number"},
    };
    for (size_t k = 0; k < 3; k++) {
        const char *at_ = strstr(e->data, key);
        ck_assert_ptr_nonnull(at_);
        size_t pre = (size_t)(at_ - e->data);
        char *xml = malloc(e->len + 200);
        memcpy(xml, e->data, pre);
        strcpy(xml + pre, variants[k][0]);
        strcat(xml, at_ + strlen(key));
        capa_diag_clear(&diag);
        capa_workflow *bad = NULL;
        ck_assert_int_eq(capa_workflow_parse(&bad, xml, strlen(xml), "w.xml", &diag),
                         CAPA_EINVALID);
        ck_assert_msg(has(variants[k][1]), "%s", capa_diag_join(&diag, "; "));
        free(xml);
    }
    capa_workflow_free(w);
}
END_TEST

/* ---- due times in the header, escalation steps ---- */

typedef struct due_rows {
    char kind[8][32];
    int64_t due[8];
    size_t n;
} due_rows;

static int collect_due(const capa_case_header *h, const capa_due_limit *l, void *payload)
{
    due_rows *r = payload;
    (void)h;
    if (r->n < 8) {
        snprintf(r->kind[r->n], sizeof r->kind[0], "%s", l->kind);
        r->due[r->n++] = l->due;
    }
    return 0;
}

static int64_t row_due(const due_rows *r, const char *kind)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->kind[i], kind) == 0)
            return r->due[i];
    return -1;
}

START_TEST(header_due_times_match_the_limits_and_follow_a_new_calendar)
{
    char *dir = NULL;
    capa_store *s = tu_store(&dir, 1);
    capa_actor admin = tu_as("admin");
    char *num = tu_open_case(s, NULL);
    capa_case *c = NULL;
    capa_limit_status *l = NULL;
    size_t n = 0;
    due_rows r = {0};
    ck_assert_int_eq(capa_case_get(&c, s, num), CAPA_OK);
    int64_t later = c->opened + 400LL * 86400000;
    ck_assert_int_eq(capa_case_due_list(s, CAPA_DUE_OVERDUE, later, collect_due, &r), CAPA_OK);
    ck_assert_int_eq(capa_case_limits(&l, &n, s, c, later), CAPA_OK);
    ck_assert_uint_eq(r.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(row_due(&r, l[i].kind) == l[i].due, "%s", l[i].kind);
    capa__free(l);
    /* Nothing is due soon or overdue the moment it opens. */
    due_rows none = {0};
    ck_assert_int_eq(capa_case_due_list(s, CAPA_DUE_SOON | CAPA_DUE_OVERDUE, c->opened,
                                        collect_due, &none),
                     CAPA_OK);
    ck_assert_uint_eq(none.n, 0);
    /* A calendar for the case's year with a seven-day week: the plan is due 3 days later,
     * re-planned in the header by the install itself. */
    capa_local_time lt;
    capa_plant *p = NULL;
    ck_assert_int_eq(capa_plant_get(&p, s), CAPA_OK);
    capa_tz_local(&lt, capa_plant_tz(p), c->opened);
    capa_plant_free(p);
    char xml[300];
    snprintf(xml, sizeof xml,
             "<calendar xmlns=\"urn:capa:calendar:1\" year=\"%d\" weekend=\"\"></calendar>",
             lt.year);
    int year = 0, version = 0;
    int err = capa_calendar_install(s, &admin, xml, strlen(xml), "c.xml", &year, &version);
    ck_assert_msg(err == CAPA_OK, "%s", capa_error_last());
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(capa_case_due_list(s, CAPA_DUE_OVERDUE, later, collect_due, &r), CAPA_OK);
    ck_assert_int_eq(capa_case_limits(&l, &n, s, c, later), CAPA_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(row_due(&r, l[i].kind) == l[i].due, "%s after the install", l[i].kind);
    ck_assert(lt.month == 12 && lt.day > 28 ? 1 : row_due(&r, "plan") == c->opened + 3 * 86400000LL);
    capa__free(l);
    ck_assert(verifies(s));
    capa_case_free(c);
    free(num);
    capa_store_close(s);
    tu_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(escalation_steps_parse_and_bad_ones_are_named)
{
    capa_workflow *w = default_wf();
    ck_assert_uint_eq(w->n_escalations, 3);
    ck_assert_str_eq(w->escalations[0].level, "warn");
    ck_assert_int_eq(w->escalations[0].at_due, 0);
    ck_assert_str_eq(w->escalations[0].to[0], "editors");
    ck_assert_str_eq(w->escalations[2].level, "overdue_24h");
    ck_assert_int_eq(w->escalations[2].at_due, 1);
    ck_assert(w->escalations[2].after_hours == 24);
    ck_assert_str_eq(w->escalations[2].to[0], "prod_mgr");
    capa_workflow_free(w);
    const capa_embedded_file *e = capa_form_embedded_get("workflow.xml");
    const char *key = "<escalate level=\"overdue\"     at=\"due\"                    to=\"qe_lead\"/>";
    const char *variants[][2] = {
        {"<escalate level=\"overdue\" at=\"due\" to=\"nobody\"/>",
         "escalate to names role `nobody`, which is neither declared"},
        {"<escalate level=\"warn\" at=\"due\" to=\"qe_lead\"/>",
         "escalation level `warn` is given twice"},
        {"<escalate level=\"overdue\" at=\"due\" after-hours=\"9999\" to=\"qe_lead\"/>",
         "after-hours '9999' must be a number from 0 to 8760"},
        {"<escalate level=\"overdue\" at=\"later\" to=\"qe_lead\"/>", "later"},
    };
    for (size_t k = 0; k < sizeof variants / sizeof *variants; k++) {
        const char *at_ = strstr(e->data, key);
        ck_assert_ptr_nonnull(at_);
        size_t pre = (size_t)(at_ - e->data);
        char *xml = malloc(e->len + 200);
        memcpy(xml, e->data, pre);
        strcpy(xml + pre, variants[k][0]);
        strcat(xml, at_ + strlen(key));
        capa_diag_clear(&diag);
        capa_workflow *bad = NULL;
        ck_assert_int_eq(capa_workflow_parse(&bad, xml, strlen(xml), "w.xml", &diag),
                         CAPA_EINVALID);
        ck_assert_msg(has(variants[k][1]), "%s", capa_diag_join(&diag, "; "));
        free(xml);
    }
}
END_TEST

Suite *capa_time_suite(void)
{
    Suite *s = suite_create("time");
    TCase *tc = tcase_create("time");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shanghai_is_eight_hours_east_all_year);
    tcase_add_test(tc, berlin_follows_dst_in_the_table_and_in_the_rule);
    tcase_add_test(tc, local_times_in_a_dst_gap_or_overlap_are_defined);
    tcase_add_test(tc, unknown_or_hostile_zone_names_are_refused);
    tcase_add_test(tc, times_parse_with_offsets_local_or_as_dates);
    tcase_add_test(tc, prc_2026_days_are_what_the_state_council_said);
    tcase_add_test(tc, a_bad_calendar_names_every_line_value_and_rule);
    tcase_add_test(tc, a_calendar_with_a_doctype_is_refused);
    tcase_add_test(tc, three_working_days_over_national_day_end_on_the_makeup_saturday);
    tcase_add_test(tc, working_days_cross_weekends_holidays_and_makeup_days);
    tcase_add_test(tc, working_days_cross_year_ends_in_and_out_of_the_calendars);
    tcase_add_test(tc, working_days_keep_the_local_time_across_dst_changes);
    tcase_add_test(tc, init_stores_the_zone_and_the_built_in_calendars);
    tcase_add_test(tc, an_admin_changes_the_zone_audited_and_replayed);
    tcase_add_test(tc, a_calendar_install_is_a_new_version_and_verifies);
    tcase_add_test(tc, limits_are_due_warned_overdue_and_met_by_what_ends_them);
    tcase_add_test(tc, header_due_times_match_the_limits_and_follow_a_new_calendar);
    tcase_add_test(tc, escalation_steps_parse_and_bad_ones_are_named);
    tcase_add_test(tc, a_stored_case_has_its_limits_and_containment_from_the_trail);
    tcase_add_test(tc, a_limit_in_working_days_parses_and_bad_ones_are_named);
    tcase_add_test(tc, the_working_day_table_gives_what_the_walk_gives);
    tcase_add_test(tc, the_report_limits_are_what_capa_limits_compute_gives);
    suite_add_tcase(s, tc);
    return s;
}
