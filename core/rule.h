/*
 * rule.h - the data of another stage a sign-off rule reads (<require stage=> and
 * <require if-stage=> in workflow.xml: every error-proofing device's challenge-part test at
 * verification, a field failure's returned-part decision at analysis). One answer for the
 * write path (cases.c) and replay (apply.c), so a rule holds alike in both.
 */
#ifndef CAPA_RULE_H
#define CAPA_RULE_H

#include "capa_form.h"
#include "record.h"
#include "store.h"

/**
 * The record of the stage rule `q` reads besides its own (capa_condition_other), as case `id`
 * holds it now, in *out (clear it with capa_stage_record_clear), and the form version it was
 * filled with in *ofd (NULL when the case has no record of that stage: *out is then empty,
 * and the rule finds no rows and no `if` value there). A rule without another stage: *out
 * empty, *ofd NULL.
 * @return CAPA_OK or a storage error.
 */
int capa_rule__other(capa_stage_record *out, const capa_formdef **ofd, capa_store *s, MDB_txn *txn,
                     const capa_workflow *wf, uint64_t id, const capa_condition *q);

#endif
