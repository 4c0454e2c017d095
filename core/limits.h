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

#endif
