/*
 * notify.h - notices at every hand-over (notify.c): what apply derives from the events.
 *
 * apply.c calls these for the events they concern; the write path and `verify` replay them
 * through apply alike, so the contacts, the targets, the case owners, the notices, the
 * inboxes and the pending deliveries are records like any other.
 */
#ifndef CAPA_NOTIFY_H
#define CAPA_NOTIFY_H

#include "event.h"

struct capa_workflow;

/** "user_set": a user's mobile, e-mail and notice choices. */
int capa_notify__apply_user_set(capa_wtxn *t, const capa_event_rec *e);
/** "notify_target": a target added or removed (its pending deliveries go with it). */
int capa_notify__apply_target(capa_wtxn *t, const capa_event_rec *e);
/** "owner": the first-contact owner of case `id` reassigned; `role` is the actor's role in the
 *  state (NULL: replay without accounts). */
int capa_notify__apply_owner(capa_wtxn *t, const capa_event_rec *e, uint64_t id, const char *role);
/** After an open, sign, reject or owner event of case `id` was applied: the notice it
 *  derives (kind by event; `to` is the stage entered, -1 closed), its inbox entries and its
 *  pending deliveries, one per target. Nothing when the store has neither a target nor a
 *  contact (a trail from before notices derives none). */
int capa_notify__derive(capa_wtxn *t, const capa_event_rec *e, const struct capa_workflow *wf,
                        uint64_t id, int from, int to);
/** "deliver": the facts `sent:SEQ:TARGET` remove pending deliveries; how many in *n. */
int capa_notify__apply_sent(capa_wtxn *t, const capa_event_rec *e, int *n);

#endif
