/*
 * rule.c - the other stage's data a sign-off rule reads (stage=, if-stage=; issue 19).
 */
#include <string.h>

#include "rule.h"

int capa_rule__other(capa_stage_record *out, const capa_formdef **ofd, capa_store *s, MDB_txn *txn,
                     const capa_workflow *wf, uint64_t id, const capa_condition *q)
{
    memset(out, 0, sizeof *out);
    *ofd = NULL;
    int idx = capa_workflow_stage_index(wf, capa_condition_other(q));
    if (idx < 0)
        return CAPA_OK;
    int err = capa_stage__get(s, txn, id, idx, out);
    if (err == CAPA_ENOTFOUND) {
        memset(out, 0, sizeof *out);
        return CAPA_OK;
    }
    if (err)
        return err;
    if (capa_store__form(ofd, s, txn, out->form_id, out->form_version) != CAPA_OK)
        *ofd = NULL;
    return CAPA_OK;
}
