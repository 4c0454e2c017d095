/*
 * validation.c - the report of `capa validate` (capa_report_validation_pdf): the operational
 * qualification a plant runs on its installed system, as a signed PDF with the dossier's
 * fonts and layout (layout.c). Page 1: the verdict, the summary and the environment; then one
 * block per check - its clauses, what it did and saw, and whether it passed.
 */
#include "capa_report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "pdfsign.h"

static const float SIG_BOX[4] = {MARGIN_X, 66.0f, PAGE_W - MARGIN_X, 130.0f};
static const rgb PASS_C = {0.10f, 0.45f, 0.20f};

static void text_at(capa_flow *fl, float x, float y, float size, rgb c, const char *s)
{
    char *clean = capa_text__clean(fl->f, s, NULL);
    if (!clean) {
        fl->oom = 1;
        return;
    }
    capa_lay__draw_line(fl, x, y, size, c, clean);
    capa__free(clean);
}

static size_t n_failed(const capa_validation *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_checks; i++)
        n += !v->checks[i].passed;
    return n;
}

static void summary(capa_flow *fl, const capa_validation *v, const capa_pdf_signer *sg)
{
    char b[512], t1[40], t2[40];
    size_t bad = n_failed(v);
    fl->bottom = SIG_BOX[3] + 10;
    /* The signature statement on page 1, in the box the widget covers (drawn first: the
     * environment may run on to page 2). */
    float top = SIG_BOX[3] - 8;
    snprintf(b, sizeof b, "电子签名 Digitally signed: %s",
             sg ? capa_pdf__signer_name(sg) : "未签名 (unsigned)");
    text_at(fl, SIG_BOX[0] + 24, top, 8.5f, INK, b);
    if (sg) {
        snprintf(b, sizeof b, "SHA-256 %.32s…", capa_pdf__signer_fingerprint(sg));
        text_at(fl, SIG_BOX[0] + 24, top - 14, 7.5f, MUTED, b);
    }
    capa_lay__draw_line(fl, MARGIN_X, fl->y, 20.0f, ACCENT, "运行确认报告");
    fl->y -= 26;
    capa_lay__draw_line(fl, MARGIN_X, fl->y, 13.0f, MUTED,
                        "Operational qualification (capa validate)");
    fl->y -= 22;
    snprintf(b, sizeof b, bad ? "结论 Result: FAILED - %zu of %zu checks failed"
                              : "结论 Result: PASSED - all %zu checks passed",
             bad ? bad : v->n_checks, v->n_checks);
    text_at(fl, MARGIN_X, fl->y, 14.0f, bad ? WARN : PASS_C, b);
    fl->y -= 26;
    table t = {2, KV_W, NULL, 9.5f, 0};
    capa_lay__table_begin(fl, &t);
    capa_lay__fmt_utc(t1, sizeof t1, v->started);
    capa_lay__fmt_utc(t2, sizeof t2, v->finished);
    snprintf(b, sizeof b, "%s – %s", t1, t2);
    capa_lay__kv(fl, "运行时间", "Run", b);
    sbuf failed = {0};
    for (size_t i = 0; i < v->n_checks; i++)
        if (!v->checks[i].passed)
            capa_lay__sb_addf(&failed, "%s%s (%s)", failed.n ? "\n" : "", v->checks[i].id,
                              v->checks[i].clauses);
    char *fs = capa_lay__sb_take(&failed, fl);
    capa_lay__kv(fl, "未通过", "Failed checks", fs && *fs ? fs : "none");
    capa__free(fs);
    snprintf(b, sizeof b,
             "A scratch store in a new temporary directory: the plant's data was not opened. "
             "Each check can fail (capa validate --break CHECK shows it). Clauses with no "
             "check are the plant's procedure: docs/compliance.md.");
    capa_lay__kv(fl, "范围", "Scope", b);
    for (size_t i = 0; i < v->n_env; i++)
        capa_lay__kv(fl, v->env[i].name, NULL, v->env[i].value);
    fl->bottom = BOTTOM_Y;
}

static void checks(capa_flow *fl, const capa_validation *v)
{
    static const float w[3] = {70, CONTENT_W - 130, 60};
    static const char *const head[3] = {"检查\nCheck", "条款\nClauses", "结果\nResult"};
    table t = {3, w, head, 8.5f, -1};
    capa_lay__para(fl, "检查一览 Checks", 12.0f, ACCENT);
    capa_lay__table_begin(fl, &t);
    for (size_t i = 0; i < v->n_checks && !capa_lay__failed(fl); i++) {
        const capa_validation_check *k = &v->checks[i];
        const char *row[3] = {k->id, k->clauses, k->passed ? "PASS 通过" : "FAIL 未通过"};
        capa_lay__table_add(fl, &t, row, k->passed ? INK : WARN);
    }
    for (size_t i = 0; i < v->n_checks && !capa_lay__failed(fl); i++) {
        const capa_validation_check *k = &v->checks[i];
        char b[300];
        fl->y -= 10;
        capa_lay__ensure(fl, 80);
        snprintf(b, sizeof b, "%s: %s", k->id, k->passed ? "PASS" : "FAIL");
        capa_lay__para(fl, b, 11.0f, k->passed ? PASS_C : WARN);
        capa_lay__para(fl, k->title, 9.0f, INK);
        snprintf(b, sizeof b, "Clauses: %s", k->clauses);
        capa_lay__para(fl, b, 8.5f, MUTED);
        capa_lay__para(fl, k->evidence ? k->evidence : "", 8.0f, INK);
    }
}

int capa_report_validation_pdf(const capa_validation *v, const char *out_path,
                               const capa_monthly_opts *opts)
{
    static const capa_monthly_opts defaults = {0};
    capa_pdf_signer *sg = NULL;
    capa_flow fl = {0};
    int rc;
    if (!opts)
        opts = &defaults;
    if (!v || !out_path)
        return capa_error_set(CAPA_EINVALID, "validation report: results and output required");
    if (opts->key_path || opts->cert_path) {
        if (!opts->key_path || !opts->cert_path)
            return capa_error_set(CAPA_EINVALID,
                                  "validation report: signing needs both a key and a certificate");
        if ((rc = capa_pdf__signer_load(&sg, opts->key_path, opts->cert_path)) != CAPA_OK)
            return rc;
    }
    int64_t now = opts->now_ms ? opts->now_ms : (int64_t)time(NULL) * 1000;
    if ((rc = capa_lay__begin(&fl, opts->font_path, now, "capa operational qualification")) !=
        CAPA_OK)
        goto done;
    capa_lay__new_page(&fl);
    summary(&fl, v, sg);
    capa_lay__new_page(&fl);
    checks(&fl, v);
    if (!capa_lay__failed(&fl))
        capa_lay__headers_footers(&fl, "运行确认 capa validate", "Operational qualification",
                                  now);
    rc = capa_lay__finish(&fl, out_path, sg, now, "运行确认 Operational qualification",
                          opts->location, SIG_BOX);
done:
    capa_lay__end(&fl);
    capa_pdf__signer_free(sg);
    return rc;
}
