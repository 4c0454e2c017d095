/*
 * capa_stats.h - statistics: the monthly quality report (客户投诉月统计表). Part of the
 * public API (included by capa.h). Core computes every figure; tools and reports only
 * render them, so the PDF, CSV, xlsx and JSON of a month cannot disagree.
 */
#ifndef CAPA_STATS_H
#define CAPA_STATS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct capa_store capa_store;

/** One value of a breakdown and how many cases carry it ("" = not given). */
typedef struct capa_stat_count {
    char *key;
    uint64_t count;
    double cumulative_percent; /**< running share of the breakdown's total, in this order */
} capa_stat_count;

/** A breakdown in Pareto order: count descending, then key ascending. */
typedef struct capa_stat_counts {
    capa_stat_count *v;
    size_t n;
    uint64_t total;
} capa_stat_counts;

/** On-time rate of one limit kind over the limits that fell due in the month. */
typedef struct capa_stat_ontime {
    char kind[64];    /**< response, containment, plan, closure */
    uint64_t due;     /**< limits that fell due in the month (by the report's moment) */
    uint64_t on_time; /**< of those, met at or before their due time */
    double rate;      /**< on_time / due; -1 when none fell due */
} capa_stat_ontime;

/** A limit overdue at the report's moment, of a case open then. */
typedef struct capa_stat_overdue {
    char *number;
    char kind[64];
    int64_t due;     /**< ms, UTC */
    int64_t late_ms; /**< how long past due at the report's moment */
} capa_stat_overdue;

/** A case opened in the month that is a recurrence (capa_case_recurrence). */
typedef struct capa_stat_recurrence {
    char *number;
    char *part_no, *defect_code;
    char **of; /**< the earlier cases, in opening order */
    size_t n_of;
} capa_stat_recurrence;

typedef struct capa_stat_month {
    int year, month; /**< a monthly trend's month; for a weekly one the ISO year and week */
    uint64_t opened, closed;
    char label[16]; /**< "2026-10" or "2026-W49" */
} capa_stat_month;

/** The window a report covers (capa_stats_period). */
typedef enum capa_period_kind {
    CAPA_PERIOD_MONTH, /**< a month of the plant's calendar, "YYYY-MM" */
    CAPA_PERIOD_WEEK,  /**< an ISO week (Monday to Sunday) in the plant's zone, "YYYY-Www" */
    CAPA_PERIOD_RANGE  /**< the local days FROM to TO, both included, "YYYY-MM-DD" each */
} capa_period_kind;

/** The figures of one month, in the plant's time zone. Free with capa_monthly_free. */
typedef struct capa_monthly {
    int year, month;
    char month_text[16]; /**< "2026-10" (a monthly report; else "") */
    capa_period_kind kind;
    char period_text[48];            /**< "2026-10", "2026-W49" or "2026-10-01..2026-10-15" */
    char from_text[16], to_text[16]; /**< the first and last local day, "YYYY-MM-DD" */
    int64_t start, end;              /**< the period's local midnights as ms UTC: [start, end) */
    int64_t as_of;       /**< the moment evaluated: the month's end, or `at` when earlier */
    char *org, *timezone;
    int recurrence_days;
    uint64_t opened;      /**< opened in the month */
    uint64_t closed;      /**< closed in the month */
    uint64_t open_at_end; /**< opened before as_of and not closed by then */
    /* Breakdowns of the cases opened in the month. Choice fields list every choice of the
     * current intake form, 0 included. */
    capa_stat_counts by_severity, by_channel, by_complaint_type, by_customer, by_part, by_defect,
        by_dept, by_validity;
    /* Time to close of the cases closed in the month. */
    uint64_t n_time_to_close;
    double ttc_mean_hours, ttc_median_hours; /**< 0 when none closed */
    capa_stat_ontime *on_time; /**< response, containment, plan, closure (those defined) */
    size_t n_on_time;
    uint64_t on_time_due, on_time_met;
    double on_time_overall;     /**< -1 when none fell due */
    capa_stat_overdue *overdue; /**< by case number, then kind order */
    size_t n_overdue;
    /* 回访 satisfaction of the cases closed in the month: every choice of the archive
     * form's `satisfaction`, 0 included; shares are of those recorded. */
    capa_stat_counts satisfaction;
    uint64_t satisfaction_unrecorded;
    /* 二次处理: the cases sent round again in the month (a <round> rule of the workflow: a
     * dissatisfied follow-up, an 8D the customer rejected; a case sent round twice in one
     * month counts once), and their rate: of the month's closing decisions (cases closed
     * plus cases sent round again), the share that sent the case round again; -1 when none. */
    uint64_t second_rounds;
    double second_round_rate;
    /* Field failures and warranty returns (IATF 16949 §10.2.5-10.2.6): of the cases opened
     * in the period, those whose returned part was decided on (the analysis form's
     * `ntf_decision`, signed off by the report's moment), of which no trouble found (NTF,
     * 未发现故障); ntf_rate = ntf / returns_decided, -1 when none. NTF cases by number. */
    uint64_t returns_decided, ntf;
    double ntf_rate;
    char **ntf_cases;
    size_t n_ntf_cases;
    capa_stat_recurrence *recurrences; /**< in case number order */
    size_t n_recurrences;
    /** The memory the recurrences' strings and lists lie in (a NULL-ended list of blocks),
     *  owned by the report and freed by capa_monthly_free; not to be read. */
    void **recurrence_mem;
    /** The 12 months (weekly report: weeks) ending with this one, oldest first; a range's
     *  trend is of the 12 months ending with the month of its last day. */
    capa_stat_month trend[12];
} capa_monthly;

/**
 * The monthly report of `month` ("YYYY-MM", a month of the plant's calendar) as of `at`
 * (ms UTC; 0 = the store's clock): evaluated at the month's end, or at `at` for the month in
 * progress. Read from case headers and the indexes alone (no stage record is decoded).
 * Opened/closed count by the plant's local month; breakdowns are of the cases opened in
 * the month; on-time rates of the limits (capa_limits_compute) that fell due in it.
 * @return CAPA_OK; CAPA_EINVALID (malformed month, month 00 or 13, or a month that has not
 *         begun at `at`; the message names the value and the rule); CAPA_ESTATE; CAPA_ENOMEM.
 */
int capa_stats_monthly(capa_monthly **out, capa_store *s, const char *month, int64_t at);
/**
 * The same figures for any window (one piece of code: capa_stats_monthly is the month's
 * case): `a` is the month "YYYY-MM" (CAPA_PERIOD_MONTH), the ISO week "YYYY-Www"
 * (CAPA_PERIOD_WEEK; weeks run Monday to Sunday in the plant's zone, week 1 holds 4
 * January) or the first day "YYYY-MM-DD" (CAPA_PERIOD_RANGE, with `b` the last day,
 * included). Counted "in the period" exactly as capa_stats_monthly counts "in the month".
 * @return as capa_stats_monthly; CAPA_EINVALID names the malformed or impossible value
 *         (week 54, 2026-02-30, a range whose end is before its start).
 */
int capa_stats_period(capa_monthly **out, capa_store *s, capa_period_kind kind, const char *a,
                      const char *b, int64_t at);
void capa_monthly_free(capa_monthly *m);
/** The entry of `key` in a breakdown, or NULL. Borrowed. */
const capa_stat_count *capa_stat_find(const capa_stat_counts *c, const char *key);

#ifdef __cplusplus
}
#endif
#endif
