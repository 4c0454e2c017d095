/*
 * limits.h - the open limits a case header carries (record.h's capa_hdr_limit): which limit
 * kind a code names, and recomputing them when what they depend on changes (opening, the
 * severity, a limit met, the plant's calendar or zone). Only apply.c calls the refresh.
 */
#ifndef CAPA_LIMITS_H
#define CAPA_LIMITS_H

#include "record.h"

/** Codes 0..3 are the kinds response, containment, plan, closure; 4 + i is stage i. */
#define CAPA_LIMIT_STAGE0 4

/** The kind a code names ("plan", a stage id), or NULL. Borrowed (static or from wf). */
const char *capa_limits__kind(const capa_workflow *wf, unsigned code);
/** The code of a kind name, or -1. */
int capa_limits__code(const capa_workflow *wf, const char *kind);
/**
 * Set h->limits to the limits of the workflow that apply to the case (by h->severity) and
 * are not met (h->met), with their due and warning times; none once the case is closed. An
 * escalation recorded on a limit (its `escalated` bits) stays with it. CAPA_ENOMEM.
 */
int capa_limits__refresh(capa_hdr *h, const capa_workflow *wf, const capa_plant *p);

/** When step x of escalation is reached for limit l. */
int64_t capa_escalation__crossed(const capa_escalation *x, const capa_hdr_limit *l);

/* ---- the due times of many cases at once (capa_stats: a report evaluates every case) ---- */

/**
 * Whether the offset of tz is one and the same at every second from `from` to `to` (ms, both
 * included); *off is the offset at `from` (tz.c).
 */
int capa_tz__steady(const capa_tz *tz, int64_t from, int64_t to, int32_t *off);

/**
 * A table of working-day due times for the local days of a span (plant.c): for each day, the
 * UTC instant of its local midnight and, per working-day count asked for, what
 * capa_plant_add_working_days gives for that midnight. The walk over the calendar depends on
 * the date only and, on a day whose zone offset is one from the day before to the day after,
 * a time of day shifts the answer by itself: so a case's due time is a look-up, not a walk.
 * Days where the offset changes (DST), and instants outside the span, take the walk.
 */
typedef struct capa_workdays capa_workdays;

/**
 * The table for the local days from `from` to `to` (instants, both included) and the
 * working-day counts ns[0..n_ns) (at most 8 kept; others take the walk). p is borrowed and
 * must outlive the table. CAPA_ENOMEM.
 */
int capa_workdays__new(capa_workdays **out, const capa_plant *p, int64_t from, int64_t to,
                       const int *ns, size_t n_ns);
void capa_workdays__free(capa_workdays *w);
/** capa_plant_add_working_days(p, t, n, uncovered), from the table when it holds t and n. */
int64_t capa_workdays__add(const capa_workdays *w, const capa_plant *p, int64_t t, int n,
                           int *uncovered);
/** Whether the table answers for instant t and count n (else capa_workdays__add walks). */
int capa_workdays__holds(const capa_workdays *w, int64_t t, int n);

/** The four kinds in their order (response, containment, plan, closure). */
#define CAPA_LIMIT_KINDS 4
/** The limit of each kind that applies to a case of `severity` (NULL: none), as
 *  capa_limits_compute picks them. Pointers into wf. */
void capa_limits__pick_kinds(const capa_limit *out[CAPA_LIMIT_KINDS], const capa_workflow *wf,
                             const char *severity);
/**
 * The statuses of the kinds' limits (those picked, in kind order) of a case opened at
 * `opened`, met[k] being what ended kind k (0: nothing yet), as of `at`: what
 * capa_limits_compute gives for them, each due time by w when not NULL. The count.
 */
size_t capa_limits__eval_kinds(capa_limit_status out[CAPA_LIMIT_KINDS],
                               const capa_limit *const picked[CAPA_LIMIT_KINDS],
                               const capa_workflow *wf, const capa_plant *p, const capa_workdays *w,
                               int64_t opened, const int64_t met[CAPA_LIMIT_KINDS], int64_t at);

#endif
