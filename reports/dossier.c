/*
 * dossier.c - the signed PDF dossier of one case (capa_report_dossier).
 *
 * Layout is a single pass over a small "flow" engine: a cursor moves down the page, tables
 * are drawn line by line so a row taller than what is left of the page continues on the
 * next one (with the table's header repeated), and nothing is ever drawn below the bottom
 * margin. Headers and footers are deferred until every page exists so they can say
 * "第 n 页 / 共 N 页". The cover carries the visible signature box on page 1, where the
 * signature widget goes.
 *
 * Everything printed comes from the store through core's public API: stage labels and
 * sign-off meanings from the workflow, field labels and choice labels from the form version
 * each stage record was filled in with (capa_store_form(id, version)).
 *
 * Determinism: the PDF's dates come from the render time, libharu writes no random IDs when
 * not encrypting, and the signer derives /ID from the unsigned bytes; so two renders with
 * the same render time differ only inside the CMS signature.
 */
#include "capa_report.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hpdf.h>
#include <png.h>
#include <qrencode.h>

#include "layout.h"
#include "pdfsign.h"
#include "rerror.h"
#include "text.h"

#ifndef CAPA_REPORT_FONT
#define CAPA_REPORT_FONT "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
#endif

/* The signature box on the cover (page 1): llx lly urx ury. */
static const float SIG_BOX[4] = {MARGIN_X, 66.0f, PAGE_W - MARGIN_X, 150.0f};

const char *capa_report_default_font(void)
{
    return CAPA_REPORT_FONT;
}

typedef struct user_name {
    char *id, *name;
} user_name;

typedef struct doc {
    capa_flow fl; /* pages, font, cursor (layout.h) */
    capa_store *s;
    const capa_workflow *wf;
    const capa_case *c;
    int64_t now;
    int fixed_off;
    int32_t off_min;
    user_name *users;
    size_t n_users;
    /* Time per stage summed over every pass through it (rejection loops send a case back
     * over stages), from the audit trail's stage changes. Indexed like the workflow. */
    int64_t *stage_ms;
    int *stage_passes;
    int cur_stage; /* stage the case is in while walking the trail, -1 none */
    int64_t cur_since;
} doc;

/* ---- strings ---- */

static void fmt_local(const doc *d, char *buf, size_t sz, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    long off;
    if (d->fixed_off) {
        off = (long)d->off_min * 60;
        t += off;
        gmtime_r(&t, &tm);
    } else {
        localtime_r(&t, &tm);
        off = tm.tm_gmtoff;
    }
    char base[40];
    strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
    long a = off < 0 ? -off : off;
    int hh = (int)(a / 3600 % 100), mm = (int)(a % 3600 / 60);
    snprintf(buf, sz, "%.24s (UTC%c%02d:%02d)", base, off < 0 ? '-' : '+', hh, mm);
}

static void fmt_duration(char *buf, size_t sz, int64_t ms)
{
    int64_t m = ms / 60000;
    if (m < 0)
        m = 0;
    if (m >= 1440)
        snprintf(buf, sz, "%lld 天 d %lld 小时 h", (long long)(m / 1440),
                 (long long)(m % 1440 / 60));
    else
        snprintf(buf, sz, "%lld 小时 h %lld 分 min", (long long)(m / 60), (long long)(m % 60));
}

/* "中文 / English", or whichever exists. */
static void bi(sbuf *b, const char *zh, const char *en)
{
    if (zh && *zh && en && *en && strcmp(zh, en) != 0)
        capa_lay__sb_addf(b, "%s / %s", zh, en);
    else if (zh && *zh)
        capa_lay__sb_add(b, zh);
    else if (en)
        capa_lay__sb_add(b, en);
}

static const char *user_display(doc *d, const char *id)
{
    if (!id)
        return "";
    for (size_t i = 0; i < d->n_users; i++)
        if (strcmp(d->users[i].id, id) == 0)
            return d->users[i].name;
    capa_user *u = NULL;
    char *name = NULL;
    if (capa_user_get(&u, d->s, id) == CAPA_OK && u->name && strcmp(u->name, id) != 0)
        name = capa__sprintf("%s (%s)", u->name, id);
    else
        name = capa__strdup(id);
    capa_user_free(u);
    user_name *nu = capa__realloc(d->users, (d->n_users + 1) * sizeof *nu);
    char *idc = capa__strdup(id);
    if (!name || !nu || !idc) {
        capa__free(name);
        capa__free(idc);
        if (nu)
            d->users = nu;
        d->fl.oom = 1;
        return id;
    }
    d->users = nu;
    d->users[d->n_users].id = idc;
    d->users[d->n_users].name = name;
    return d->users[d->n_users++].name;
}

static const char *stage_label(const doc *d, const char *id, int en)
{
    const capa_stage *st = id ? capa_workflow_stage(d->wf, id) : NULL;
    if (!st)
        return id ? id : "";
    return en ? st->label_en : st->label_zh;
}

static void role_label(doc *d, sbuf *b, const char *role)
{
    const capa_role *r = role ? capa_workflow_role(d->wf, role) : NULL;
    if (r)
        bi(b, r->label_zh, r->label_en);
    else
        capa_lay__sb_add(b, role ? role : "");
}

/* The sign-off meaning's labels: from the workflow stage that defines it, else built in. */
static void meaning_label(doc *d, sbuf *b, const char *meaning)
{
    for (size_t i = 0; meaning && i < d->wf->n_stages; i++) {
        const capa_stage *st = &d->wf->stages[i];
        if (st->sign_meaning && strcmp(st->sign_meaning, meaning) == 0 &&
            (st->sign_meaning_zh || st->sign_meaning_en)) {
            bi(b, st->sign_meaning_zh, st->sign_meaning_en ? st->sign_meaning_en : meaning);
            return;
        }
        /* A waiver (<waiver meaning zh en>, e.g. 文件更新豁免 Document update waived). */
        const capa_waiver *w = capa_stage_waiver(st, meaning);
        if (w && (w->label_zh || w->label_en)) {
            bi(b, w->label_zh, w->label_en ? w->label_en : meaning);
            return;
        }
    }
    static const char *const builtin[][2] = {
        {"reviewed", "审核"}, {"approved", "批准"}, {"done", "完成"},   {"verified", "验证"},
        {"closed", "结案"},   {"rejected", "驳回"}, {"reject", "驳回"},
    };
    for (size_t i = 0; meaning && i < sizeof builtin / sizeof *builtin; i++)
        if (strcmp(builtin[i][0], meaning) == 0) {
            bi(b, builtin[i][1], meaning);
            return;
        }
    capa_lay__sb_add(b, meaning ? meaning : "");
}

/* ---- field values ---- */

/* A stored value as the auditor should read it: choice labels, users by name. */
static char *show_value(doc *d, const capa_field *fld, const char *v)
{
    sbuf b = {0};
    if (fld && fld->type == CAPA_FT_CHOICE) {
        const capa_choice *ch = capa_field_choice(fld, v);
        if (ch) {
            bi(&b, ch->label_zh, ch->label_en);
            /* The stored id too, as the audit trail shows it, unless the English label
             * already says it ("In house" for in_house). */
            char norm[128] = "";
            size_t k = 0;
            for (const char *p = ch->label_en ? ch->label_en : ""; *p && k + 1 < sizeof norm; p++)
                norm[k++] = *p == ' ' || *p == '-' ? '_' : (char)tolower((unsigned char)*p);
            norm[k] = 0;
            if (strcmp(ch->value, norm) != 0)
                capa_lay__sb_addf(&b, " [%s]", ch->value);
        } else {
            capa_lay__sb_add(&b, v);
        }
    } else if (fld && fld->type == CAPA_FT_BOOLEAN) {
        capa_lay__sb_add(&b, strcmp(v, "true") == 0 ? "是 / yes" : strcmp(v, "false") == 0 ? "否 / no" : v);
    } else if (fld && fld->type == CAPA_FT_USER) {
        capa_lay__sb_add(&b, user_display(d, v));
    } else {
        capa_lay__sb_add(&b, v);
    }
    return capa_lay__sb_take(&b, &d->fl);
}

static const char *rec_value(const capa_stage_record *r, const char *name)
{
    for (size_t i = 0; i < r->n_values; i++)
        if (strcmp(r->values[i].name, name) == 0)
            return r->values[i].value;
    return NULL;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* A repeating group as a table: "#" then one column per group column. */
static void group_table(doc *d, const capa_field *g, const capa_stage_record *r)
{
    unsigned rows[256];
    size_t nrows = 0;
    size_t plen = strlen(g->id);
    for (size_t i = 0; i < r->n_values; i++) {
        const char *nm = r->values[i].name;
        if (strncmp(nm, g->id, plen) != 0 || nm[plen] != '.' || !r->values[i].value ||
            !*r->values[i].value)
            continue;
        char grp[128], col[128];
        unsigned row;
        if (capa_field_name_split(nm, grp, sizeof grp, &row, col, sizeof col) != 1)
            continue;
        int seen = 0;
        for (size_t k = 0; k < nrows; k++)
            seen |= rows[k] == row;
        if (!seen && nrows < sizeof rows / sizeof *rows)
            rows[nrows++] = row;
    }
    if (nrows == 0)
        return;
    qsort(rows, nrows, sizeof *rows, cmp_unsigned);

    sbuf lb = {0};
    bi(&lb, g->label_zh, g->label_en);
    char *title = capa_lay__sb_take(&lb, &d->fl);
    d->fl.y -= 4;
    capa_lay__ensure(&d->fl, 60);
    capa_lay__para(&d->fl, title ? title : "", 9.5f, MUTED);
    capa__free(title);

    /* Only the columns some row filled in: optional columns (an action's status, date done,
     * evidence) take no width from the text until they are used. */
    size_t colx[7], ncols = 1;
    for (size_t c = 0; c < g->n_columns && ncols < 8; c++) {
        int used = 0;
        for (size_t k = 0; k < nrows && !used; k++) {
            char name[300];
            snprintf(name, sizeof name, "%s.%u.%s", g->id, rows[k], g->columns[c].id);
            const char *v = rec_value(r, name);
            used = v && *v;
        }
        if (used)
            colx[ncols++ - 1] = c;
    }
    float widths[8];
    widths[0] = 24.0f;
    for (size_t i = 1; i < ncols; i++)
        widths[i] = (CONTENT_W - widths[0]) / (float)(ncols - 1);
    char *head[8] = {0};
    head[0] = capa__strdup("#");
    for (size_t i = 1; i < ncols; i++) {
        sbuf hb = {0};
        const capa_field *c = &g->columns[colx[i - 1]];
        if (c->label_en && c->label_zh && strcmp(c->label_zh, c->label_en) != 0)
            capa_lay__sb_addf(&hb, "%s\n%s", c->label_zh, c->label_en);
        else
            capa_lay__sb_add(&hb, c->label_zh ? c->label_zh : c->id);
        head[i] = capa_lay__sb_take(&hb, &d->fl);
    }
    table t = {ncols, widths, (const char *const *)head, 9.0f, -1};
    for (size_t i = 0; i < ncols; i++)
        if (!head[i])
            d->fl.oom = 1;
    if (!capa_lay__failed(&d->fl)) {
        capa_lay__table_begin(&d->fl, &t);
        for (size_t k = 0; k < nrows && !capa_lay__failed(&d->fl); k++) {
            char *cell[8] = {0};
            cell[0] = capa__sprintf("%u", rows[k]);
            for (size_t i = 1; i < ncols; i++) {
                char name[300];
                const capa_field *col = &g->columns[colx[i - 1]];
                snprintf(name, sizeof name, "%s.%u.%s", g->id, rows[k], col->id);
                const char *v = rec_value(r, name);
                cell[i] = v ? show_value(d, col, v) : capa__strdup("");
            }
            int ok = 1;
            for (size_t i = 0; i < ncols; i++)
                ok &= cell[i] != NULL;
            if (ok)
                capa_lay__table_add(&d->fl, &t, (const char *const *)cell, INK);
            else
                d->fl.oom = 1;
            for (size_t i = 0; i < ncols; i++)
                capa__free(cell[i]);
        }
    }
    for (size_t i = 0; i < ncols; i++)
        capa__free(head[i]);
    d->fl.y -= 6;
}

/* ---- sections ---- */

/* Why a skipped stage has no signatures, from the trail: the route taken, the value that took
 * it and the sign-off of the stage that decided (who, when). */
static void skipped_note(doc *d, const capa_route *skip, size_t from)
{
    const capa_stage_record *r = &d->c->stages[from];
    const capa_formdef *form = NULL;
    const capa_field *fld = NULL;
    if (capa_case_form(&form, d->s, d->c, r->form_id, r->form_version) == CAPA_OK && form)
        fld = capa_formdef_field(form, skip->field);
    sbuf b = {0};
    capa_lay__sb_add(&b, "已跳过，无需签名：");
    capa_lay__sb_add(&b, skip->label_zh ? skip->label_zh : "");
    capa_lay__sb_add(&b, " Skipped, no signature required: ");
    capa_lay__sb_add(&b, skip->label_en ? skip->label_en : "");
    capa_lay__sb_add(&b, "\n");
    bi(&b, fld ? fld->label_zh : skip->field, fld ? fld->label_en : NULL);
    char *v = show_value(d, fld, skip->equals ? skip->equals : "");
    capa_lay__sb_addf(&b, " = %s", v ? v : "");
    capa__free(v);
    capa_lay__sb_add(&b, "（");
    bi(&b, stage_label(d, r->stage, 0), stage_label(d, r->stage, 1));
    capa_lay__sb_add(&b, "）");
    /* The sign-off in force that left that stage with the value. */
    const capa_signature *g = NULL;
    for (size_t i = 0; i < d->c->n_signatures; i++) {
        const capa_signature *x = &d->c->signatures[i];
        if (x->stage && strcmp(x->stage, r->stage) == 0 && !x->superseded &&
            !(x->kind && strcmp(x->kind, "reject") == 0))
            g = x;
    }
    if (g) {
        char u[40];
        capa_lay__fmt_utc(u, sizeof u, g->time);
        capa_lay__sb_addf(&b, "，签出 signed off by %s",
                          g->name && *g->name ? g->name : g->user ? g->user : "");
        if (g->user && g->name && strcmp(g->name, g->user) != 0)
            capa_lay__sb_addf(&b, " (%s)", g->user);
        capa_lay__sb_addf(&b, ", %s", u);
    }
    char *text = capa_lay__sb_take(&b, &d->fl);
    d->fl.y -= 2;
    capa_lay__para(&d->fl, text ? text : "", 9.0f, MUTED);
    capa__free(text);
}

static void signatures_of(doc *d, const char *stage, size_t idx)
{
    static const float w[6] = {78, 72, 66, 110, 92, CONTENT_W - 418};
    static const char *const head[6] = {"签名人\nSigned by",   "角色\nRole",
                                        "含义\nMeaning",       "时间\nTime (UTC / local)",
                                        "数据哈希\nData hash", "状态\nStatus"};
    static const table t = {6, w, head, 8.0f, -1};
    int any = 0;
    for (size_t i = 0; i < d->c->n_signatures && !capa_lay__failed(&d->fl); i++) {
        const capa_signature *g = &d->c->signatures[i];
        if (!g->stage || strcmp(g->stage, stage) != 0)
            continue;
        if (!any) {
            d->fl.y -= 4;
            capa_lay__ensure(&d->fl, 70);
            capa_lay__para(&d->fl, "电子签名 Electronic signatures (21 CFR 11.50)", 9.5f, ACCENT);
            capa_lay__table_begin(&d->fl, &t);
            any = 1;
        }
        int reject = g->kind && strcmp(g->kind, "reject") == 0;
        int waiver = g->kind && strcmp(g->kind, "waiver") == 0;
        sbuf who = {0}, role = {0}, mean = {0}, when = {0}, status = {0};
        capa_lay__sb_add(&who, g->name && *g->name ? g->name : g->user);
        if (g->user && (!g->name || strcmp(g->name, g->user) != 0))
            capa_lay__sb_addf(&who, " (%s)", g->user);
        role_label(d, &role, g->role);
        meaning_label(d, &mean, reject ? "rejected" : g->meaning);
        char u[40], l[64];
        capa_lay__fmt_utc(u, sizeof u, g->time);
        fmt_local(d, l, sizeof l, g->time);
        capa_lay__sb_addf(&when, "%s\n%s", u, l);
        if (reject)
            capa_lay__sb_add(&status, "驳回 Rejected (reason below)");
        else if (g->superseded)
            capa_lay__sb_add(&status, "已被取代 Superseded (stage sent back later)");
        else
            capa_lay__sb_add(&status, "有效 In force");
        if (d->c->round > 1) /* 二次处理: which round the signature was given in */
            capa_lay__sb_addf(&status, "\n第 %d 轮 round %d", g->round, g->round);
        char *cells[6] = {capa_lay__sb_take(&who, &d->fl),  capa_lay__sb_take(&role, &d->fl),          capa_lay__sb_take(&mean, &d->fl),
                          capa_lay__sb_take(&when, &d->fl), capa__strdup(g->data_hash), capa_lay__sb_take(&status, &d->fl)};
        int ok = 1;
        for (int k = 0; k < 6; k++)
            ok &= cells[k] != NULL;
        if (ok)
            capa_lay__table_add(&d->fl, &t, (const char *const *)cells,
                      reject          ? WARN
                      : g->superseded ? MUTED
                                      : INK);
        else
            d->fl.oom = 1;
        for (int k = 0; k < 6; k++)
            capa__free(cells[k]);
        if ((reject || waiver) && !capa_lay__failed(&d->fl)) {
            /* The reason gets the full width: it is what the auditor reads. */
            static const float full[1] = {CONTENT_W};
            static const table rt = {1, full, NULL, 8.5f, -1};
            sbuf rb = {0};
            capa_lay__sb_addf(&rb,
                              reject ? "驳回理由 Reason for rejection: %s"
                                     : "豁免理由 Reason for the waiver: %s",
                              g->reason ? g->reason : "");
            char *reason = capa_lay__sb_take(&rb, &d->fl);
            const char *row[1] = {reason ? reason : ""};
            capa_lay__table_add(&d->fl, &rt, row, reject ? WARN : INK);
            capa__free(reason);
        }
    }
    size_t from = 0;
    const capa_route *skip = any ? NULL : capa_case_skipped_from(d->c, d->wf, idx, &from);
    if (skip) {
        skipped_note(d, skip, from);
    } else if (!any) {
        d->fl.y -= 2;
        capa_lay__para(&d->fl, "尚无签名 No signatures yet", 9.0f, MUTED);
    }
}

/* Most pixels a photo may have to be drawn (its decoded form is checked first). */
#define MAX_PIXELS ((uint64_t)16 * 1024 * 1024)

/* Whether libpng decodes the whole picture without error, within MAX_PIXELS. libharu 2.3.0
 * hands a PNG to libpng with an error handler that returns, which makes libpng abort the
 * process on a damaged file: an attachment is outside input, so it is decoded here first
 * with libpng's own (setjmp-safe) simplified API. */
static int png_decodes(const void *data, size_t len)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len))
        return 0;
    if ((uint64_t)img.width * img.height > MAX_PIXELS || img.width == 0 || img.height == 0) {
        png_image_free(&img);
        return 0;
    }
    img.format = PNG_FORMAT_RGBA;
    void *buf = capa__malloc(PNG_IMAGE_SIZE(img));
    if (!buf) {
        png_image_free(&img);
        return 0;
    }
    int ok = png_image_finish_read(&img, NULL, buf, 0, NULL) != 0;
    capa__free(buf);
    png_image_free(&img);
    return ok;
}

/* A photo drawn from memory: NULL when it cannot be read (an error libharu raised is
 * cleared: a bad picture is listed, not fatal to the dossier). */
static HPDF_Image load_image(doc *d, const capa_attachment *a, const void *data, size_t len)
{
    HPDF_Image img = NULL;
    int before = d->fl.hpdf_err;
    if (strcmp(a->mime, "image/jpeg") == 0)
        img = HPDF_LoadJpegImageFromMem(d->fl.pdf, data, (HPDF_UINT)len);
    else if (strcmp(a->mime, "image/png") == 0 && png_decodes(data, len))
        img = HPDF_LoadPngImageFromMem(d->fl.pdf, data, (HPDF_UINT)len);
    if (img && (uint64_t)HPDF_Image_GetWidth(img) * HPDF_Image_GetHeight(img) > MAX_PIXELS)
        img = NULL; /* stays in the file unused; drawing it would be no thumbnail */
    if (!img || d->fl.hpdf_err != before) {
        HPDF_ResetError(d->fl.pdf);
        d->fl.hpdf_err = before;
        return NULL;
    }
    return img;
}

#define THUMB_W 150.0f
#define THUMB_H 112.0f

/* The stage's attachments: name, size, SHA-256, who and when; JPEG and PNG photos also as
 * thumbnails below, three to a row, each captioned with its name. */
static void attachments_of(doc *d, const char *stage)
{
    static const float w[4] = {130, 60, CONTENT_W - 300, 110};
    static const char *const head[4] = {"附件\nAttachment", "大小\nSize", "SHA-256",
                                        "上传人 / 时间\nBy / time (UTC)"};
    static const table t = {4, w, head, 8.0f, -1};
    int any = 0;
    size_t n_img = 0;
    for (size_t i = 0; i < d->c->n_attachments && !capa_lay__failed(&d->fl); i++) {
        const capa_attachment *a = &d->c->attachments[i];
        if (strcmp(a->stage, stage) != 0)
            continue;
        if (!any) {
            d->fl.y -= 4;
            capa_lay__ensure(&d->fl, 60);
            capa_lay__para(&d->fl, "附件 Attachments", 9.5f, ACCENT);
            capa_lay__table_begin(&d->fl, &t);
            any = 1;
        }
        sbuf name = {0}, size = {0}, who = {0};
        capa_lay__sb_add(&name, a->name);
        if (a->note && *a->note)
            capa_lay__sb_addf(&name, "\n%s", a->note);
        capa_lay__sb_addf(&size, "%llu B\n%s", (unsigned long long)a->size, a->mime);
        char u[40];
        capa_lay__fmt_utc(u, sizeof u, a->time);
        capa_lay__sb_addf(&who, "%s (%s)\n%s", a->user_name && *a->user_name ? a->user_name : a->user,
                a->user, u);
        char *cells[4] = {capa_lay__sb_take(&name, &d->fl), capa_lay__sb_take(&size, &d->fl), capa__strdup(a->sha256),
                          capa_lay__sb_take(&who, &d->fl)};
        if (cells[0] && cells[1] && cells[2] && cells[3])
            capa_lay__table_add(&d->fl, &t, (const char *const *)cells, INK);
        else
            d->fl.oom = 1;
        for (int k = 0; k < 4; k++)
            capa__free(cells[k]);
        if (strncmp(a->mime, "image/", 6) == 0)
            n_img++;
    }
    if (!n_img || capa_lay__failed(&d->fl))
        return;
    size_t col = 0;
    for (size_t i = 0; i < d->c->n_attachments && !capa_lay__failed(&d->fl); i++) {
        const capa_attachment *a = &d->c->attachments[i];
        void *data = NULL;
        size_t len = 0;
        if (strcmp(a->stage, stage) != 0 || strncmp(a->mime, "image/", 6) != 0)
            continue;
        int rc = capa_attachment_get(&data, &len, NULL, d->s, d->c->number, a->sha256);
        if (rc != CAPA_OK && rc != CAPA_ENOTFOUND) {
            d->fl.core_err = capa_rep__err_core(rc, "dossier: attachment");
            return;
        }
        /* Not found: an imported copy, which carries the digest but not the picture. */
        HPDF_Image img = rc == CAPA_OK ? load_image(d, a, data, len) : NULL;
        if (col == 0) {
            d->fl.y -= 6;
            capa_lay__ensure(&d->fl, THUMB_H + 22);
        }
        float x = MARGIN_X + (float)col * (THUMB_W + 18);
        if (img) {
            float iw = (float)HPDF_Image_GetWidth(img), ih = (float)HPDF_Image_GetHeight(img);
            float k = iw > 0 && ih > 0 ? (THUMB_W / iw < THUMB_H / ih ? THUMB_W / iw : THUMB_H / ih)
                                       : 0;
            if (k > 1)
                k = 1; /* small pictures are not blown up */
            float dw = iw * k, dh = ih * k;
            HPDF_Page_DrawImage(d->fl.page, img, x, d->fl.y - THUMB_H + (THUMB_H - dh), dw, dh);
        } else {
            capa_lay__draw_line(&d->fl, x, d->fl.y - THUMB_H / 2, 8.0f, rc == CAPA_OK ? WARN : MUTED,
                      rc == CAPA_OK ? "图片无法显示 Picture unreadable"
                                    : "图片不在本库 Picture not in this store");
        }
        char *cap = capa_text__clean(d->fl.f, a->name, NULL);
        capa_lines l = {0};
        if (!cap || capa_text__wrap(&l, d->fl.f, cap, 7.5f, THUMB_W) != CAPA_OK)
            d->fl.oom = 1;
        if (l.n)
            capa_lay__draw_line(&d->fl, x, d->fl.y - THUMB_H - 3, 7.5f, MUTED, l.line[0]);
        capa_text__lines_clear(&l);
        capa__free(cap);
        capa__free(data);
        if (++col == 3) {
            col = 0;
            d->fl.y -= THUMB_H + 16;
        }
    }
    if (col)
        d->fl.y -= THUMB_H + 16;
}

/* The values of stage record r, in its form's order (empty ones left out). */
/* Another stage's form, for a rule across stages (capa_stage_form_fn). */
static const capa_formdef *other_form(void *payload, const char *stage)
{
    doc *d = payload;
    const capa_formdef *fd = NULL;
    return capa_case_record_form(&fd, d->s, d->c, stage) == CAPA_OK ? fd : NULL;
}

static void stage_fields(doc *d, const capa_formdef *form, const capa_stage_record *r)
{
    int first = 1;
    for (size_t i = 0; i < form->n_fields && !capa_lay__failed(&d->fl); i++) {
        const capa_field *fld = &form->fields[i];
        if (fld->type == CAPA_FT_GROUP) {
            group_table(d, fld, r);
            first = 1;
            continue;
        }
        const char *v = rec_value(r, fld->id);
        if (!v || !*v)
            continue; /* empty optional (or not yet filled) fields are left out */
        if (first) {
            static const table t = {2, KV_W, NULL, 9.5f, 0};
            capa_lay__table_begin(&d->fl, &t);
            first = 0;
        }
        char *shown = show_value(d, fld, v);
        capa_lay__kv(&d->fl, fld->label_zh, fld->label_en, shown ? shown : "");
        capa__free(shown);
    }
}

/* 二次处理: the stage records as each earlier round left them (their signatures are listed,
 * superseded and with their round, under each stage above). */
static void earlier_rounds(doc *d)
{
    int round = 0;
    for (size_t i = 0; i < d->c->n_earlier && !capa_lay__failed(&d->fl); i++) {
        const capa_stage_record *r = &d->c->earlier[i];
        const capa_stage *st = capa_workflow_stage(d->wf, r->stage);
        char h[400], meta[300], a[40], b[40];
        if (r->round != round) {
            round = r->round;
            snprintf(h, sizeof h, "第 %d 轮（已重新处理） Round %d (gone round again)", round,
                     round);
            d->fl.y -= 10;
            capa_lay__heading(&d->fl, h, 12.5f);
        }
        snprintf(h, sizeof h, "第 %d 轮 · %s  Round %d · %s", round,
                 st && st->label_zh ? st->label_zh : r->stage, round,
                 st && st->label_en ? st->label_en : r->stage);
        d->fl.y -= 4;
        capa_lay__para(&d->fl, h, 10.0f, ACCENT);
        capa_lay__fmt_utc(a, sizeof a, r->entered);
        if (r->left)
            capa_lay__fmt_utc(b, sizeof b, r->left);
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 进入 Entered %s%s%s", r->form_id,
                 r->form_version, a, r->left ? " · 签出 Signed off " : "", r->left ? b : "");
        capa_lay__para(&d->fl, meta, 8.0f, MUTED);
        const capa_formdef *form = NULL;
        int rc = capa_case_form(&form, d->s, d->c, r->form_id, r->form_version);
        if (rc != CAPA_OK && rc != CAPA_ENOTFOUND) {
            d->fl.core_err = capa_rep__err_core(rc, "dossier: form");
            return;
        }
        if (form)
            stage_fields(d, form, r);
    }
}

static void stage_section(doc *d, size_t idx)
{
    const capa_stage_record *r = &d->c->stages[idx];
    const capa_stage *st = capa_workflow_stage(d->wf, r->stage);
    sbuf hb = {0};
    capa_lay__sb_addf(&hb, "%zu  ", idx + 1);
    if (st && st->eightd) /* the 8D report's section numbers beside the stage name */
        capa_lay__sb_addf(&hb, "%s · ", st->eightd);
    bi(&hb, st ? st->label_zh : r->stage, st ? st->label_en : NULL);
    char *h = capa_lay__sb_take(&hb, &d->fl);
    d->fl.y -= 8;
    capa_lay__heading(&d->fl, h ? h : "", 12.5f);
    capa__free(h);

    const capa_formdef *form = NULL;
    int rc = capa_case_form(&form, d->s, d->c, r->form_id, r->form_version);
    if (rc != CAPA_OK && rc != CAPA_ENOTFOUND) {
        d->fl.core_err = capa_rep__err_core(rc, "dossier: form");
        return;
    }
    if (rc != CAPA_OK || !form) {
        char m[300];
        snprintf(m, sizeof m, "表单 %s v%d 不可用 Form %s v%d unavailable", r->form_id,
                 r->form_version, r->form_id, r->form_version);
        capa_lay__para(&d->fl, m, 9.0f, WARN);
        return;
    }
    char meta[400], a[40], b[40];
    const capa_route *skip = capa_case_skipped(d->c, d->wf, idx);
    if (skip) {
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 已跳过（%s） Skipped (%s)", form->id,
                 form->version, skip->label_zh, skip->label_en);
    } else if (r->entered) {
        capa_lay__fmt_utc(a, sizeof a, r->entered);
        if (r->left)
            capa_lay__fmt_utc(b, sizeof b, r->left);
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 进入 Entered %s%s%s", form->id,
                 form->version, a, r->left ? " · 签出 Signed off " : "", r->left ? b : "");
    } else if (r->n_values == 0) {
        snprintf(meta, sizeof meta, "表单 Form %s v%d · 尚未进行 Not reached", form->id,
                 form->version);
    } else {
        snprintf(meta, sizeof meta, "表单 Form %s v%d", form->id, form->version);
    }
    capa_lay__para(&d->fl, meta, 8.0f, MUTED);
    d->fl.y -= 2;

    stage_fields(d, form, r);
    /* The rules the stage's sign-off applied, as `show` states them. */
    char zh[600], en[600];
    for (size_t k = 0; st && !skip && (r->entered || r->n_values) && !capa_lay__failed(&d->fl) &&
                       capa_stage_rule(zh, sizeof zh, en, sizeof en, d->wf, st, form, r->values,
                                       r->n_values, r->left != 0, k, other_form, d);
         k++) {
        char line[1300];
        if (k == 0)
            capa_lay__para(&d->fl, "规则 Rules", 9.0f, ACCENT);
        snprintf(line, sizeof line, "· %s\n  %s", zh, en);
        capa_lay__para(&d->fl, line, 8.5f, INK);
    }
    signatures_of(d, r->stage, idx);
    attachments_of(d, r->stage);
}

static void stage_enter(doc *d, const char *id, int64_t t)
{
    int i = id ? capa_workflow_stage_index(d->wf, id) : -1;
    if (d->cur_stage >= 0 && t > d->cur_since)
        d->stage_ms[d->cur_stage] += t - d->cur_since;
    d->cur_stage = i;
    d->cur_since = t;
    if (i >= 0)
        d->stage_passes[i]++;
}

static int stage_time_event(const capa_event *e, void *payload)
{
    doc *d = payload;
    if (e->action && strcmp(e->action, "open") == 0) {
        stage_enter(d, e->stage ? e->stage : d->wf->stages[0].id, e->time);
        return 0;
    }
    for (size_t i = 0; i < e->n_changes; i++)
        if (e->changes[i].field && strcmp(e->changes[i].field, "stage") == 0)
            stage_enter(d, e->changes[i].new_value, e->time);
    return 0;
}

/* Walk the case's trail once for the time spent in each stage. */
static int stage_times(doc *d)
{
    d->stage_ms = capa__calloc(d->wf->n_stages ? d->wf->n_stages : 1, sizeof *d->stage_ms);
    d->stage_passes = capa__calloc(d->wf->n_stages ? d->wf->n_stages : 1, sizeof *d->stage_passes);
    if (!d->stage_ms || !d->stage_passes) {
        d->fl.oom = 1;
        return CAPA_ENOMEM;
    }
    d->cur_stage = -1;
    int rc = capa_audit_foreach(d->s, d->c->number, stage_time_event, d);
    if (rc < 0)
        return d->fl.core_err = capa_rep__err_core(rc, "audit trail");
    if (d->cur_stage >= 0 && !d->c->closed && d->now > d->cur_since)
        d->stage_ms[d->cur_stage] += d->now - d->cur_since;
    return CAPA_OK;
}

/* The audit-chain anchor: the token on a line of its own at a size that fits the line, so
 * no wrap ever splits it (a copy pasted from the PDF must be whole for `capa verify
 * --anchor`), and beside it a QR code of exactly the same text, its modules drawn as filled
 * rectangles (libqrencode; error correction M, a 4-module quiet zone). */
static void anchor_block(doc *d, const char *token)
{
    const float label = 9.5f, qr_mod_max = 2.2f, gap = 12.0f;
    QRcode *qr = QRcode_encodeString(token, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr) {
        d->fl.oom = 1;
        return;
    }
    int w = qr->width, quiet = 4;
    float mod = qr_mod_max, side = mod * (float)(w + 2 * quiet);
    float text_w = CONTENT_W - side - gap, size = 9.0f;
    while (size > 5.0f && capa_text__width(d->fl.f, token, size) > text_w)
        size -= 0.5f;
    float lead = label * 1.35f;
    capa_lay__ensure(&d->fl, side + 6);
    float top = d->fl.y - 4;
    capa_lay__draw_line(&d->fl, MARGIN_X, top, label, MUTED,
                        "审计链锚点 Audit chain anchor at rendering");
    capa_lay__draw_line(&d->fl, MARGIN_X, top - lead, 8.0f, MUTED,
                        "capa verify --anchor SEQ:HEX (文本或二维码 / text or QR code):");
    capa_lay__draw_line(&d->fl, MARGIN_X, top - 2 * lead - 4, size, INK, token);
    /* White ground with the quiet zone, then one rectangle per dark module. */
    float x0 = PAGE_W - MARGIN_X - side, y0 = top - side;
    capa_lay__fill_rect(&d->fl, x0, y0, side, side, (rgb){1, 1, 1});
    HPDF_Page_SetRGBFill(d->fl.page, 0, 0, 0);
    for (int r = 0; r < w; r++)
        for (int c = 0; c < w; c++)
            if (qr->data[r * w + c] & 1)
                HPDF_Page_Rectangle(d->fl.page, x0 + mod * (float)(quiet + c),
                                    y0 + side - mod * (float)(quiet + r + 1), mod, mod);
    HPDF_Page_Fill(d->fl.page);
    QRcode_free(qr);
    d->fl.y = top - side - 6;
}

static void cover(doc *d, const capa_store_info *info, const capa_pdf_signer *sg)
{
    const capa_case *c = d->c;
    /* Page 1 keeps the signature box free. */
    d->fl.bottom = SIG_BOX[3] + 10;
    capa_lay__draw_line(&d->fl, MARGIN_X, d->fl.y, 20.0f, ACCENT, "8D 纠正预防措施档案");
    d->fl.y -= 26;
    capa_lay__draw_line(&d->fl, MARGIN_X, d->fl.y, 13.0f, MUTED, "CAPA dossier (8D report)");
    d->fl.y -= 22;
    char *num = capa_text__clean(d->fl.f, c->number, NULL);
    if (num)
        capa_lay__draw_line(&d->fl, MARGIN_X, d->fl.y, 16.0f, INK, num);
    capa__free(num);
    d->fl.y -= 28;

    static const table t = {2, KV_W, NULL, 9.5f, 0};
    capa_lay__table_begin(&d->fl, &t);
    capa_lay__kv(&d->fl, "组织", "Organisation", info->org);
    capa_lay__kv(&d->fl, "案号", "Case number", c->number);
    if (c->origin) {
        capa_lay__kv(&d->fl, "导入自", "Imported from", c->origin);
        capa_lay__kv(&d->fl, "原案号", "Number there", c->origin_number);
    }
    if (c->round > 1) {
        char rv[160], since[40];
        capa_lay__fmt_utc(since, sizeof since, c->round_at);
        snprintf(rv, sizeof rv, "第 %d 轮（二次处理） round %d since %s", c->round, c->round,
                 since);
        capa_lay__kv(&d->fl, "轮次", "Round", rv);
    }
    const char *title = capa_case_value(c, "intake", "title");
    if (!title || !*title)
        title = capa_case_value(c, "intake", "description");
    if (title && *title)
        capa_lay__kv(&d->fl, "标题", "Title", title);
    const char *cust = capa_case_value(c, "intake", "customer");
    if (cust && *cust)
        capa_lay__kv(&d->fl, "客户", "Customer", cust);
    const char *part = capa_case_value(c, "intake", "part_no");
    const char *lot = capa_case_value(c, "intake", "lot_no");
    if ((part && *part) || (lot && *lot)) {
        sbuf pb = {0};
        capa_lay__sb_addf(&pb, "%s / %s", part && *part ? part : "—", lot && *lot ? lot : "—");
        char *pl = capa_lay__sb_take(&pb, &d->fl);
        capa_lay__kv(&d->fl, "零件 / 批号", "Part / lot", pl);
        capa__free(pl);
    }
    const char *sev = capa_case_value(c, "intake", "severity");
    if (sev && *sev) {
        const capa_formdef *form = NULL;
        const capa_field *fld = NULL;
        if (c->n_stages > 0 && capa_case_form(&form, d->s, c, c->stages[0].form_id,
                                              c->stages[0].form_version) == CAPA_OK)
            fld = capa_formdef_field(form, "severity");
        char *shown = show_value(d, fld, sev);
        capa_lay__kv(&d->fl, "严重度", "Severity", shown);
        capa__free(shown);
    }
    sbuf sb = {0};
    if (c->closed) {
        capa_lay__sb_add(&sb, "已结案 / Closed");
    } else {
        capa_lay__sb_add(&sb, "进行中 / Open · ");
        capa_lay__sb_addf(&sb, "%s / %s", stage_label(d, c->stage, 0), stage_label(d, c->stage, 1));
    }
    char *status = capa_lay__sb_take(&sb, &d->fl);
    capa_lay__kv(&d->fl, "状态", "Status", status);
    capa__free(status);
    const char *subject = capa_case_value(c, "intake", "subject_person");
    if (subject && *subject) {
        char rec[400];
        snprintf(rec, sizeof rec, "被投诉人 %s 不得编辑或签核本案\n%s may neither edit nor sign this case",
                 user_display(d, subject), subject);
        capa_lay__kv(&d->fl, "回避", "Recusal", rec);
    }
    char u[40], l[64], both[120];
    capa_lay__fmt_utc(u, sizeof u, c->opened);
    fmt_local(d, l, sizeof l, c->opened);
    snprintf(both, sizeof both, "%s\n%s", u, l);
    capa_lay__kv(&d->fl, "开案", "Opened", both);
    if (c->closed && c->closed_at) {
        capa_lay__fmt_utc(u, sizeof u, c->closed_at);
        fmt_local(d, l, sizeof l, c->closed_at);
        snprintf(both, sizeof both, "%s\n%s", u, l);
        capa_lay__kv(&d->fl, "结案", "Closed", both);
    }
    /* Recurrence (再发): what IATF 16949 §10.2 auditors ask first. */
    /* Each earlier case by number, closed or not, and whether its corrective actions were
     * verified effective (when, by whom): what the auditor asks next. */
    capa_recur_case *rec = NULL;
    size_t n_rec = 0;
    if (capa_case_recurrence_detail(&rec, &n_rec, d->s, c->number) == CAPA_OK) {
        sbuf rb = {0};
        int days = 0;
        capa_store_recurrence_days(d->s, &days);
        if (!n_rec)
            capa_lay__sb_addf(&rb, "否 / No (%d 天内无同料号同缺陷 / none within %d days)", days, days);
        for (size_t i = 0; i < n_rec; i++)
            capa_lay__sb_addf(&rb, "%s%s", i ? ", " : "", rec[i].number);
        if (n_rec)
            capa_lay__sb_addf(&rb, "\n(%d 天内同料号同缺陷 / same part and defect within %d days)", days,
                    days);
        for (size_t i = 0; i < n_rec; i++) {
            char u[40];
            capa_lay__sb_addf(&rb, "\n%s: %s", rec[i].number,
                              rec[i].closed ? "已结案 closed" : "未结案 open");
            if (rec[i].verified) {
                capa_lay__fmt_utc(u, sizeof u, rec[i].verified_at);
                capa_lay__sb_addf(&rb,
                                  ", 措施已验证有效 corrective actions verified effective %s (%s)",
                                  u, rec[i].verified_by ? rec[i].verified_by : "");
            } else {
                capa_lay__sb_add(&rb, ", 措施未验证有效 corrective actions NOT verified effective");
            }
        }
        char *rt = capa_lay__sb_take(&rb, &d->fl);
        capa_lay__kv(&d->fl, "再发", "Recurrence of", rt);
        capa__free(rt);
    }
    capa_recur_cases_free(rec, n_rec);
    char token[100];
    snprintf(token, sizeof token, "%llu:%s", (unsigned long long)info->n_events, info->head_hash);
    anchor_block(d, token);

    d->fl.y -= 12;
    static const float w[4] = {150, 120, 120, CONTENT_W - 390};
    static const char *const head[4] = {"阶段\nStage", "最近进入\nLast entered (UTC)",
                                        "最近签出\nLast signed off (UTC)",
                                        "耗时（各次合计）\nTime taken (all passes)"};
    static const table tt = {4, w, head, 8.5f, -1};
    /* The rows first, so the table is kept whole: on the cover when it fits there, else
     * moved whole to the next page (a table of more stages than a page holds still flows). */
    char **cells = c->n_stages ? capa__calloc(4 * c->n_stages, sizeof *cells) : NULL;
    if (c->n_stages && !cells)
        d->fl.oom = 1;
    for (size_t i = 0; cells && i < c->n_stages && !capa_lay__failed(&d->fl); i++) {
        const capa_stage_record *r = &c->stages[i];
        sbuf nb = {0};
        bi(&nb, stage_label(d, r->stage, 0), stage_label(d, r->stage, 1));
        char e[40] = "—", o[40] = "—", dur[128] = "—";
        if (r->entered)
            capa_lay__fmt_utc(e, sizeof e, r->entered);
        if (r->left)
            capa_lay__fmt_utc(o, sizeof o, r->left);
        int passes = d->stage_passes ? d->stage_passes[i] : 0;
        if (passes > 0) {
            char run[64];
            fmt_duration(run, sizeof run, d->stage_ms[i]);
            int open = !c->closed && d->cur_stage == (int)i;
            snprintf(dur, sizeof dur, "%s%s", run, open ? " (进行中 open)" : "");
            if (passes > 1) {
                size_t l = strlen(dur);
                snprintf(dur + l, sizeof dur - l, "\n%d 次 passes", passes);
            }
        }
        cells[4 * i] = capa_lay__sb_take(&nb, &d->fl);
        cells[4 * i + 1] = capa__strdup(e);
        cells[4 * i + 2] = capa__strdup(o);
        cells[4 * i + 3] = capa__strdup(dur);
        for (int k = 0; k < 4; k++)
            if (!cells[4 * i + k])
                d->fl.oom = 1;
    }
    if (!capa_lay__failed(&d->fl)) {
        float title_h = 10.0f * 1.35f;
        float need = title_h + capa_lay__table_height(&d->fl, &tt, (const char *const *)cells,
                                                      c->n_stages);
        if (need <= TOP_Y - BOTTOM_Y)
            capa_lay__ensure(&d->fl, need);
    }
    capa_lay__para(&d->fl, "各阶段耗时 Time per stage", 10.0f, ACCENT);
    capa_lay__table_begin(&d->fl, &tt);
    for (size_t i = 0; cells && i < c->n_stages && !capa_lay__failed(&d->fl); i++)
        capa_lay__table_add(&d->fl, &tt, (const char *const *)cells + 4 * i, INK);
    for (size_t i = 0; cells && i < 4 * c->n_stages; i++)
        capa__free(cells[i]);
    capa__free(cells);

    /* The signature box: the bilingual statement on the page; the widget over it draws
     * its frame and the ASCII summary on the bottom line. */
    if (!d->fl.n_pages)
        return; /* the first page could not be made (out of memory): reported by the layout */
    HPDF_Page p1 = d->fl.pages[0];
    HPDF_Page saved = d->fl.page;
    float saved_y = d->fl.y;
    d->fl.page = p1;
    HPDF_Page_SetRGBFill(p1, 0.97f, 0.98f, 1.0f);
    HPDF_Page_Rectangle(p1, SIG_BOX[0], SIG_BOX[1], SIG_BOX[2] - SIG_BOX[0],
                        SIG_BOX[3] - SIG_BOX[1]);
    HPDF_Page_Fill(p1);
    float top = SIG_BOX[3] - 6;
    char line[600];
    if (sg) {
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top, 10.0f, ACCENT, "数字签名 Digital signature (PDF)");
        char *cn = capa_text__clean(d->fl.f, capa_pdf__signer_name(sg), NULL);
        char wu[40], wl[64];
        capa_lay__fmt_utc(wu, sizeof wu, d->now);
        fmt_local(d, wl, sizeof wl, d->now);
        snprintf(line, sizeof line, "签署人 Signed by: %s", cn ? cn : "");
        capa__free(cn);
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top - 15, 9.0f, INK, line);
        snprintf(line, sizeof line, "签署时间 Signed at: %s · %s", wu, wl);
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top - 28, 9.0f, INK, line);
        snprintf(line, sizeof line, "证书 SHA-256 Certificate: %.32s…",
                 capa_pdf__signer_fingerprint(sg));
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top - 41, 8.0f, MUTED, line);
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top - 53, 8.0f, MUTED,
                  "文件签署后任何改动都会使签名失效 Any change after signing invalidates it.");
    } else {
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top, 10.0f, WARN, "未签名 Not digitally signed");
        capa_lay__draw_line(&d->fl, SIG_BOX[0] + 8, top - 15, 9.0f, MUTED,
                  "本文件未经数字签名，无法证明未被改动。This file carries no PDF signature.");
    }
    d->fl.page = saved;
    d->fl.y = saved_y;
    d->fl.bottom = d->fl.page == p1 ? SIG_BOX[3] + 10 : BOTTOM_Y;
}

typedef struct audit_ctx {
    doc *d;
    const table *t;
    size_t n;
} audit_ctx;

static int audit_row(const capa_event *e, void *payload)
{
    audit_ctx *a = payload;
    doc *d = a->d;
    sbuf ch = {0};
    for (size_t i = 0; i < e->n_changes; i++) {
        const capa_change *c = &e->changes[i];
        capa_lay__sb_addf(&ch, "%s%s: %s → %s", i ? "\n" : "", c->field ? c->field : "",
                c->old_value ? c->old_value : "—", c->new_value ? c->new_value : "—");
    }
    if (e->reason && *e->reason)
        capa_lay__sb_addf(&ch, "%s理由 Reason: %s", e->n_changes ? "\n" : "", e->reason);
    /* The chain hash after this event: what `capa verify` recomputes. */
    if (e->hash[0])
        capa_lay__sb_addf(&ch, "\n链哈希 Chain hash: %s", e->hash);
    char *changes = capa_lay__sb_take(&ch, &d->fl);
    char seq[24], when[40];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->seq);
    capa_lay__fmt_utc(when, sizeof when, e->time);
    const char *row[6] = {seq,
                          when,
                          user_display(d, e->actor),
                          e->action ? e->action : "",
                          e->stage ? stage_label(d, e->stage, 0) : "",
                          changes ? changes : ""};
    capa_lay__table_add(&d->fl, a->t, row, INK);
    capa__free(changes);
    a->n++;
    return capa_lay__failed(&d->fl) ? 1 : 0;
}

static void audit_appendix(doc *d)
{
    static const float w[6] = {28, 84, 70, 48, 54, CONTENT_W - 284};
    static const char *const head[6] = {"#",           "时间\nTime (UTC)",
                                        "用户\nUser",  "动作\nAction",
                                        "阶段\nStage", "变更（旧 → 新）\nChanges (old → new)"};
    static const table t = {6, w, head, 7.5f, -1};
    capa_lay__new_page(&d->fl);
    capa_lay__heading(&d->fl, "附录 审计追踪 Appendix: audit trail", 12.5f);
    capa_lay__para(&d->fl,
         "本案全部审计事件，按发生顺序；每个事件都已链入哈希链。"
         "Every audit event of this case, in order; each is part of the hash chain.",
         8.0f, MUTED);
    d->fl.y -= 2;
    capa_lay__table_begin(&d->fl, &t);
    audit_ctx a = {d, &t, 0};
    int rc = capa_audit_foreach(d->s, d->c->number, audit_row, &a);
    if (rc < 0 && !capa_lay__failed(&d->fl))
        d->fl.core_err = capa_rep__err_core(rc, "audit trail");
}

static void headers_footers(doc *d, const char *org)
{
    sbuf hb = {0};
    capa_lay__sb_addf(&hb, "%s · %s", d->c->number, org ? org : "");
    char *left = capa_lay__sb_take(&hb, &d->fl);
    if (left)
        capa_lay__headers_footers(&d->fl, left, "8D 档案 CAPA dossier", d->now);
    capa__free(left);
}

/* The chain head now, into head (65 bytes): every write appends an event, so an unchanged
 * head means nothing was written in between. */
static int head_now(capa_store *s, char *head)
{
    capa_store_info i = {0};
    int rc = capa_store_info_get(&i, s);
    if (rc == CAPA_OK) {
        memcpy(head, i.head_hash, sizeof i.head_hash);
        capa_store_info_clear(&i);
    }
    return rc;
}

/* One attempt; *moved set when a write came in between the proof and the last read, so that
 * what was rendered may not be what was proven (nothing is written then). */
static int dossier_once(capa_store *s, const char *number, const char *out_path,
                        const capa_dossier_opts *opts, int *moved)
{
    static const capa_dossier_opts defaults = {0};
    char head0[65] = "", head1[65] = "";
    int rc = CAPA_OK;
    doc d = {0};
    capa_case *c = NULL;
    capa_store_info info = {0};
    int have_info = 0;
    capa_pdf_signer *sg = NULL;
    if (!opts)
        opts = &defaults;
    if (!s || !number || !out_path)
        return capa_error_set(CAPA_EINVALID, "dossier: store, case number and output required");

    /* Everything that can fail on input comes before any file is touched. The proof and
     * the reads below are transactions of their own: the head before the proof and after
     * the last read must be the same, or the dossier is made again (capa_report_dossier). */
    if (!opts->verified && (rc = head_now(s, head0)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    if (!opts->verified &&
        (rc = capa_case_prove_ex(s, number,
                                 opts->proof_cert_path ? opts->proof_cert_path : opts->cert_path,
                                 opts->proof)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    if ((rc = capa_case_get(&c, s, number)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    if ((rc = capa_case_workflow(&d.wf, s, c)) != CAPA_OK ||
        (rc = capa_store_info_get(&info, s)) != CAPA_OK) {
        rc = capa_rep__err_core(rc, "dossier");
        goto done;
    }
    have_info = 1;
    if (opts->key_path || opts->cert_path) {
        if (!opts->key_path || !opts->cert_path) {
            rc = capa_error_set(CAPA_EINVALID, "dossier: signing needs both a key and a "
                                               "certificate");
            goto done;
        }
        if ((rc = capa_pdf__signer_load(&sg, opts->key_path, opts->cert_path)) != CAPA_OK)
            goto done;
    }
    d.s = s;
    d.c = c;
    d.now = opts->now_ms ? opts->now_ms : (int64_t)time(NULL) * 1000;
    d.fixed_off = opts->fixed_utc_offset;
    d.off_min = opts->utc_offset_min;
    char title[200];
    snprintf(title, sizeof title, "CAPA dossier %s", c->number);
    if ((rc = capa_lay__begin(&d.fl, opts->font_path, d.now, title)) != CAPA_OK)
        goto done;

    if ((rc = stage_times(&d)) != CAPA_OK)
        goto done;
    capa_lay__new_page(&d.fl);
    cover(&d, &info, sg);
    for (size_t i = 0; i < c->n_stages && !capa_lay__failed(&d.fl); i++) {
        /* The stages start on a page of their own after the cover; when the cover ran onto
         * a second page (its time-per-stage table moved there whole), right below it. */
        if (i == 0 && d.fl.n_pages == 1)
            capa_lay__new_page(&d.fl);
        stage_section(&d, i);
    }
    if (!capa_lay__failed(&d.fl))
        earlier_rounds(&d);
    if (!capa_lay__failed(&d.fl))
        audit_appendix(&d);
    if (!capa_lay__failed(&d.fl))
        headers_footers(&d, info.org);
    char what[200], reason[200];
    snprintf(what, sizeof what, "dossier %s", number);
    if ((rc = capa_lay__status(&d.fl, what)) != CAPA_OK)
        goto done;
    snprintf(reason, sizeof reason, "8D 档案 CAPA dossier %s", c->number);
    if (!opts->verified) {
        if ((rc = head_now(s, head1)) != CAPA_OK) {
            rc = capa_rep__err_core(rc, "dossier");
            goto done;
        }
        if (strcmp(head0, head1) != 0) {
            *moved = 1;
            rc = capa_error_set(CAPA_ERROR,
                                "dossier %s: the store changed while it was made (a write came "
                                "in after its proof); nothing was written, try again",
                                number);
            goto done;
        }
    }
    rc = capa_lay__finish(&d.fl, out_path, sg, d.now, reason, opts->location, SIG_BOX);
done:
    capa_lay__end(&d.fl);
    for (size_t i = 0; i < d.n_users; i++) {
        capa__free(d.users[i].id);
        capa__free(d.users[i].name);
    }
    capa__free(d.users);
    capa__free(d.stage_ms);
    capa__free(d.stage_passes);
    capa_pdf__signer_free(sg);
    capa_case_free(c);
    if (have_info)
        capa_store_info_clear(&info);
    return rc;
}

int capa_report_dossier(capa_store *s, const char *number, const char *out_path,
                        const capa_dossier_opts *opts)
{
    /* A write between the proof and the rendering: prove and render again (a few times;
     * a store written that often refuses with the reason, nothing written). */
    for (int tries = 0;; tries++) {
        int moved = 0;
        int rc = dossier_once(s, number, out_path, opts, &moved);
        if (!moved || tries == 4)
            return rc;
    }
}
