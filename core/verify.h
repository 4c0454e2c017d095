/*
 * verify.h - the replay-and-compare check behind capa_store_verify, for upgrade.c too.
 */
#ifndef CAPA_VERIFY_H
#define CAPA_VERIFY_H

#include "store.h"

/** capa_store_verify; `any_format` lets a format-1 store be checked (for upgrade). */
int capa__verify_run(capa_verify_report **out, capa_store *s, const capa_verify_opts *opts,
                     int any_format);

#endif
