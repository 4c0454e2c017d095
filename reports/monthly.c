/*
 * monthly.c - the monthly quality report (客户投诉月统计表) as a signed PDF
 * (capa_report_monthly_pdf): the figures of capa_stats_monthly laid out with the dossier's
 * flow engine (layout.c), a Pareto chart of defect codes (bars in descending order and the
 * cumulative-percentage line) and the 12-month trend of opened vs closed, drawn with
 * libharu's path operators. Every figure is printed as monthly_rows.c formats it.
 */
#include "capa_report.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "pdfsign.h"

static const float SIG_BOX[4] = {MARGIN_X, 66.0f, PAGE_W - MARGIN_X, 130.0f};
static const rgb CLOSED_C = {0.55f, 0.70f, 0.35f};

typedef struct rep {
    capa_flow fl;
    capa_store *s;
    const capa_monthly *m;
    const capa_formdef *intake, *archive;
    const capa_report_plants *g; /* a group report's plants, or NULL */
} rep;

/* A monthly report's words, or a week's or range's ("period"). */
#define MONTHLY(r) ((r)->m->kind == CAPA_PERIOD_MONTH)

static void fmt_real(char *b, size_t sz, double v, int digits)
{
    if (v < 0)
        snprintf(b, sz, "—");
    else
        snprintf(b, sz, "%.*f", digits, capa_report_round(v, digits));
}

/* "一般 / General (general)" for a choice code, the value itself otherwise; "" = not given. */
static void value_label(char *b, size_t sz, const capa_formdef *fd, const char *field,
                        const char *v)
{
    const capa_field *f = fd ? capa_formdef_field(fd, field) : NULL;
    const capa_choice *ch = f && *v ? capa_field_choice(f, v) : NULL;
    if (!*v)
        snprintf(b, sz, "（未填）(not given)");
    else if (ch)
        snprintf(b, sz, "%s / %s (%s)", ch->label_zh, ch->label_en, v);
    else
        snprintf(b, sz, "%s", v);
}

static void counts_table(rep *r, const char *zh, const char *en, const capa_stat_counts *c,
                         const capa_formdef *fd, const char *field, int cumulative)
{
    char title[200];
    snprintf(title, sizeof title, "%s %s", zh, en);
    /* A short table is kept whole with its title (one-line rows of 8.5 pt, a two-line
     * header); a long one starts where at least a few rows fit and continues. */
    capa_lay__ensure(&r->fl, c->n <= 12 ? 18 + 30 + 17 * (float)(c->n ? c->n : 1) : 60);
    capa_lay__para(&r->fl, title, 10.0f, ACCENT);
    static const float w[3] = {CONTENT_W - 200, 100, 100};
    static const char *const head[3] = {"项目\nValue", "件数\nCount", "占比 %\nShare %"};
    static const char *const head_c[3] = {"项目\nValue", "件数\nCount", "累计 %\nCumulative %"};
    table t = {3, w, cumulative ? head_c : head, 8.5f, -1};
    capa_lay__table_begin(&r->fl, &t);
    for (size_t i = 0; i < c->n && !capa_lay__failed(&r->fl); i++) {
        char v[600], n[32], pc[32];
        value_label(v, sizeof v, fd, field, c->v[i].key);
        snprintf(n, sizeof n, "%llu", (unsigned long long)c->v[i].count);
        fmt_real(pc, sizeof pc,
                 cumulative ? c->v[i].cumulative_percent
                 : c->total ? 100.0 * (double)c->v[i].count / (double)c->total
                            : -1,
                 2);
        const char *row[3] = {v, n, pc};
        capa_lay__table_add(&r->fl, &t, row, INK);
    }
    r->fl.y -= 10;
}

static void text_at(rep *r, float x, float y, float size, rgb c, const char *s)
{
    char *clean = capa_text__clean(r->fl.f, s, NULL);
    if (!clean) {
        r->fl.oom = 1;
        return;
    }
    capa_lay__draw_line(&r->fl, x, y, size, c, clean);
    capa__free(clean);
}

static void stroke_rgb(rep *r, rgb c, float w)
{
    HPDF_Page_SetRGBStroke(r->fl.page, c.r, c.g, c.b);
    HPDF_Page_SetLineWidth(r->fl.page, w);
}

/* The top of a count axis and its step: whole numbers only (1, 2 or 5 times a power of ten),
 * at most 5 steps, the top at or above `ymax`. Counts are never fractions. */
static uint64_t count_step(uint64_t ymax, uint64_t *top)
{
    uint64_t step = 1;
    for (uint64_t p = 1;; p *= 10) {
        if (ymax <= 5 * p) {
            step = p;
            break;
        }
        if (ymax <= 10 * p) {
            step = 2 * p;
            break;
        }
        if (ymax <= 25 * p) {
            step = 5 * p;
            break;
        }
    }
    if (ymax == 0)
        ymax = 1;
    *top = (ymax + step - 1) / step * step;
    return step;
}

/* Axes of a chart whose plot area is (x, y) .. (x + w, y + h) for counts up to `ymax`; returns
 * the count at the top of the plot (a whole number of whole steps). */
static uint64_t axes(rep *r, float x, float y, float w, float h, uint64_t ymax)
{
    stroke_rgb(r, RULE, 0.6f);
    HPDF_Page_MoveTo(r->fl.page, x, y + h);
    HPDF_Page_LineTo(r->fl.page, x, y);
    HPDF_Page_LineTo(r->fl.page, x + w, y);
    HPDF_Page_Stroke(r->fl.page);
    uint64_t top, step = count_step(ymax, &top);
    char b[32];
    for (uint64_t v = 0; v <= top; v += step) {
        float yy = y + h * (float)v / (float)top;
        snprintf(b, sizeof b, "%llu", (unsigned long long)v);
        text_at(r, x - 6 - capa_text__width(r->fl.f, b, 7.0f), yy + 4, 7.0f, MUTED, b);
    }
    return top;
}

/* A bar's label, whole: wrapped to the bar's slot, in the largest of a few sizes that keeps it
 * to three lines (the smallest size otherwise, on as many lines as it takes). */
typedef struct blabel {
    capa_lines l;
    float size;
} blabel;

static void bar_label(rep *r, blabel *bl, const char *key, float width)
{
    static const float sizes[] = {6.5f, 5.5f, 4.5f};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        capa_text__lines_clear(&bl->l);
        bl->size = sizes[k];
        capa_lay__wrap(&r->fl, &bl->l, *key ? key : "(—)", bl->size, width);
        if (bl->l.n <= 3)
            return;
    }
}

static void pareto_chart(rep *r)
{
    const capa_stat_counts *c = &r->m->by_defect;
    size_t n = c->n > 12 ? 12 : c->n;
    float x = MARGIN_X + 34, w = CONTENT_W - 70, h = 150;
    float slot = w / (float)(n ? n : 1), bw = slot * 0.6f;
    blabel lab[12];
    memset(lab, 0, sizeof lab);
    float below = 0;
    for (size_t i = 0; i < n && c->total; i++) {
        bar_label(r, &lab[i], c->v[i].key, slot - 2);
        float lh = (float)lab[i].l.n * lab[i].size * 1.2f;
        if (lh > below)
            below = lh;
    }
    /* Title, plot, labels and legend on one page. */
    capa_lay__ensure(&r->fl, 14 + h + 14 + below + 30);
    capa_lay__para(&r->fl, "缺陷代码柏拉图 Pareto chart of defect codes", 10.0f, ACCENT);
    if (n == 0 || c->total == 0) {
        capa_lay__para(&r->fl,
                       MONTHLY(r) ? "本月无案件 No cases this month"
                                  : "本期无案件 No cases in this period",
                       9.0f, MUTED);
        return;
    }
    float y = r->fl.y - h - 14;
    uint64_t ymax = axes(r, x, y, w, h, c->v[0].count);
    for (size_t i = 0; i < n; i++) {
        float bh = h * (float)c->v[i].count / (float)ymax;
        capa_lay__fill_rect(&r->fl, x + slot * (float)i + (slot - bw) / 2, y, bw, bh, ACCENT);
        for (size_t k = 0; k < lab[i].l.n; k++) {
            float lw = capa_text__width(r->fl.f, lab[i].l.line[k], lab[i].size);
            capa_lay__draw_line(&r->fl, x + slot * (float)i + (slot - lw) / 2,
                                y - 3 - (float)k * lab[i].size * 1.2f, lab[i].size, INK,
                                lab[i].l.line[k]);
        }
        capa_text__lines_clear(&lab[i].l);
    }
    /* The cumulative line on a 0-100 % scale at the right. */
    stroke_rgb(r, WARN, 1.2f);
    for (size_t i = 0; i < n; i++) {
        float px = x + slot * ((float)i + 0.5f);
        float py = y + h * (float)(c->v[i].cumulative_percent / 100.0);
        if (i == 0)
            HPDF_Page_MoveTo(r->fl.page, px, py);
        else
            HPDF_Page_LineTo(r->fl.page, px, py);
    }
    HPDF_Page_Stroke(r->fl.page);
    for (size_t i = 0; i < n; i++) {
        float px = x + slot * ((float)i + 0.5f);
        float py = y + h * (float)(c->v[i].cumulative_percent / 100.0);
        HPDF_Page_SetRGBFill(r->fl.page, WARN.r, WARN.g, WARN.b);
        HPDF_Page_Circle(r->fl.page, px, py, 2.0f);
        HPDF_Page_Fill(r->fl.page);
    }
    text_at(r, x + w + 4, y + h + 4, 7.0f, WARN, "100%");
    text_at(r, x + w + 4, y + 4, 7.0f, WARN, "0%");
    r->fl.y = y - 8 - below;
    capa_lay__para(&r->fl,
                   "柱：件数（降序）  线：累计百分比  Bars: count (descending)  Line: "
                   "cumulative %",
                   7.5f, MUTED);
    r->fl.y -= 8;
}

static void trend_chart(rep *r)
{
    const capa_monthly *m = r->m;
    capa_lay__ensure(&r->fl, 230);
    capa_lay__para(&r->fl,
                   m->kind == CAPA_PERIOD_WEEK ? "近 12 周趋势 12-week trend: opened vs closed"
                                               : "近 12 个月趋势 12-month trend: opened vs closed",
                   10.0f, ACCENT);
    uint64_t ymax = 0;
    for (int i = 0; i < 12; i++) {
        if (m->trend[i].opened > ymax)
            ymax = m->trend[i].opened;
        if (m->trend[i].closed > ymax)
            ymax = m->trend[i].closed;
    }
    float x = MARGIN_X + 34, w = CONTENT_W - 40, h = 140, y = r->fl.y - h - 14;
    ymax = axes(r, x, y, w, h, ymax);
    float slot = w / 12.0f, bw = slot * 0.32f;
    for (int i = 0; i < 12; i++) {
        float x0 = x + slot * (float)i + slot * 0.14f;
        capa_lay__fill_rect(&r->fl, x0, y, bw, h * (float)m->trend[i].opened / (float)ymax, ACCENT);
        capa_lay__fill_rect(&r->fl, x0 + bw, y, bw, h * (float)m->trend[i].closed / (float)ymax,
                            CLOSED_C);
        char lab[16];
        if (m->kind == CAPA_PERIOD_WEEK)
            snprintf(lab, sizeof lab, "W%02d", m->trend[i].month % 100);
        else
            snprintf(lab, sizeof lab, "%02d/%02d", m->trend[i].year % 100, m->trend[i].month % 100);
        text_at(r, x + slot * (float)i + 4, y - 3, 6.5f, INK, lab);
    }
    r->fl.y = y - 16;
    capa_lay__fill_rect(&r->fl, MARGIN_X, r->fl.y - 8, 8, 8, ACCENT);
    text_at(r, MARGIN_X + 12, r->fl.y, 7.5f, INK, "新增 Opened");
    capa_lay__fill_rect(&r->fl, MARGIN_X + 90, r->fl.y - 8, 8, 8, CLOSED_C);
    text_at(r, MARGIN_X + 102, r->fl.y, 7.5f, INK, "结案 Closed");
    r->fl.y -= 16;
    static const float tw[3] = {CONTENT_W - 200, 100, 100};
    static const char *const head[3] = {"月份\nMonth", "新增\nOpened", "结案\nClosed"};
    static const char *const whead[3] = {"周\nISO week", "新增\nOpened", "结案\nClosed"};
    table t = {3, tw, m->kind == CAPA_PERIOD_WEEK ? whead : head, 8.0f, -1};
    capa_lay__table_begin(&r->fl, &t);
    for (int i = 0; i < 12 && !capa_lay__failed(&r->fl); i++) {
        char o[32], c[32];
        const char *mt = m->trend[i].label;
        snprintf(o, sizeof o, "%llu", (unsigned long long)m->trend[i].opened);
        snprintf(c, sizeof c, "%llu", (unsigned long long)m->trend[i].closed);
        const char *row[3] = {mt, o, c};
        capa_lay__table_add(&r->fl, &t, row, INK);
    }
    r->fl.y -= 10;
}

static const char *kind_zh(const char *k)
{
    return strcmp(k, "response") == 0      ? "响应"
           : strcmp(k, "containment") == 0 ? "围堵"
           : strcmp(k, "plan") == 0        ? "分析与计划"
           : strcmp(k, "closure") == 0     ? "结案"
                                           : k;
}

/* What the report is called and its period's words, by the kind of window. */
typedef struct names {
    const char *title_zh, *title_en, *period_zh, *period_en, *this_zh, *end_zh, *end_en;
} names;

static const names *names_of(const capa_monthly *m)
{
    static const names n[3] = {{"客户投诉月统计表", "Monthly quality report", "月份", "Month",
                                "本月", "月末未结", "Open at month end"},
                               {"客户投诉周统计表", "Weekly quality report", "周", "ISO week",
                                "本周", "周末未结", "Open at week end"},
                               {"客户投诉期间统计表", "Quality report for a period", "期间",
                                "Period", "本期", "期末未结", "Open at the period's end"}};
    return &n[m->kind <= CAPA_PERIOD_RANGE ? m->kind : CAPA_PERIOD_RANGE];
}

static void summary(rep *r, const capa_pdf_signer *sg)
{
    const capa_monthly *m = r->m;
    char b[200], l[64];
    r->fl.bottom = SIG_BOX[3] + 10;
    const names *nm = names_of(m);
    char zh[64];
    capa_lay__draw_line(&r->fl, MARGIN_X, r->fl.y, 20.0f, ACCENT, nm->title_zh);
    r->fl.y -= 26;
    capa_lay__draw_line(&r->fl, MARGIN_X, r->fl.y, 13.0f, MUTED, nm->title_en);
    r->fl.y -= 22;
    text_at(r, MARGIN_X, r->fl.y, 16.0f, INK, m->period_text);
    r->fl.y -= 28;
    table t = {2, KV_W, NULL, 9.5f, 0};
    capa_lay__table_begin(&r->fl, &t);
    capa_lay__kv(&r->fl, "组织", "Organisation", m->org);
    capa_lay__kv(&r->fl, nm->period_zh, nm->period_en, m->period_text);
    snprintf(b, sizeof b, "%s – %s", m->from_text, m->to_text);
    capa_lay__kv(&r->fl, "起止日期", "Days (both included)", b);
    capa_lay__kv(&r->fl, "时区", "Time zone", m->timezone);
    time_t at = (time_t)(m->as_of / 1000);
    struct tm tm;
    gmtime_r(&at, &tm);
    strftime(l, sizeof l, "%Y-%m-%d %H:%M:%S UTC", &tm);
    capa_lay__kv(&r->fl, "统计截至", "As of", l);
    snprintf(b, sizeof b, "%llu", (unsigned long long)m->opened);
    snprintf(zh, sizeof zh, "%s新增", nm->this_zh);
    capa_lay__kv(&r->fl, zh, "Opened", b);
    snprintf(b, sizeof b, "%llu", (unsigned long long)m->closed);
    snprintf(zh, sizeof zh, "%s结案", nm->this_zh);
    capa_lay__kv(&r->fl, zh, "Closed", b);
    snprintf(b, sizeof b, "%llu", (unsigned long long)m->open_at_end);
    capa_lay__kv(&r->fl, nm->end_zh, nm->end_en, b);
    char mh[32], md[32], eh[32], ed[32];
    fmt_real(mh, sizeof mh, m->ttc_mean_hours, 2);
    fmt_real(md, sizeof md, m->ttc_mean_hours / 24.0, 2);
    fmt_real(eh, sizeof eh, m->ttc_median_hours, 2);
    fmt_real(ed, sizeof ed, m->ttc_median_hours / 24.0, 2);
    snprintf(b, sizeof b, "平均 mean %s h = %s d\n中位 median %s h = %s d", mh, md, eh, ed);
    capa_lay__kv(&r->fl, "结案周期", "Time to close", b);
    fmt_real(mh, sizeof mh, m->on_time_overall, 4);
    snprintf(b, sizeof b, "%s (%llu / %llu)", mh, (unsigned long long)m->on_time_met,
             (unsigned long long)m->on_time_due);
    capa_lay__kv(&r->fl, "总准时率", "On-time rate, overall", b);
    snprintf(b, sizeof b, "%d", m->recurrence_days);
    capa_lay__kv(&r->fl, "再发判定窗口（天）", "Recurrence window (days)", b);
    /* The signature statement on page 1, in the box the widget covers. */
    float top = SIG_BOX[3] - 8;
    snprintf(b, sizeof b, "电子签名 Digitally signed: %s",
             sg ? capa_pdf__signer_name(sg) : "未签名 (unsigned)");
    text_at(r, SIG_BOX[0] + 24, top, 8.5f, INK, b);
    if (sg) {
        snprintf(b, sizeof b, "SHA-256 %.32s…", capa_pdf__signer_fingerprint(sg));
        text_at(r, SIG_BOX[0] + 24, top - 14, 7.5f, MUTED, b);
    }
}

/* ---- a group report's per-plant columns ---- */

/* The figures the per-plant table shows, with their words; the key follows the label. */
static const struct {
    const char *section, *label;
} PER_PLANT[] = {
    {"opened", "新增 Opened"},
    {"closed", "结案 Closed"},
    {"open_at_end", "期末未结 Open at end"},
    {"time_to_close_hours", "结案周期（小时）Time to close (h)"},
    {"on_time_rate", "准时率 On-time rate"},
    {"second_rounds", "二次处理 Second rounds"},
    {"satisfaction_unrecorded", "满意度未记录 Satisfaction not recorded"},
    {"by_severity", "严重度 Severity"},
    {"by_validity", "有效性 Validity"},
    {"by_defect", "缺陷代码 Defect code"},
};

typedef struct pp {
    rep *r;
    const table *t;
    size_t from, n; /* the plants of this table */
} pp;

static int per_plant_row(const capa_report_row *row, const capa_report_row *const *per,
                         void *payload)
{
    pp *x = payload;
    const char *label = NULL;
    for (size_t i = 0; i < sizeof PER_PLANT / sizeof *PER_PLANT && !label; i++)
        if (strcmp(PER_PLANT[i].section, row->section) == 0)
            label = PER_PLANT[i].label;
    if (!label || capa_lay__failed(&x->r->fl))
        return 0;
    char name[400];
    snprintf(name, sizeof name, "%s%s%s", label, *row->key ? ": " : "", row->key);
    const char *cells[8] = {name, *row->value ? row->value : "—"};
    for (size_t i = 0; i < x->n; i++) {
        const capa_report_row *p = per[x->from + i];
        cells[2 + i] = p && *p->value                               ? p->value
                       : !p && strncmp(row->section, "by_", 3) == 0 ? "0"
                                                                    : "—";
    }
    capa_lay__table_add(&x->r->fl, x->t, cells, INK);
    return 0;
}

/* The group's headline figures and breakdowns beside each plant's, four plants a table. */
static void per_plant(rep *r, const capa_plant *zone)
{
    const capa_report_plants *g = r->g;
    capa_lay__ensure(&r->fl, 80);
    capa_lay__para(&r->fl, "各厂对比 Per plant (each in its own time zone and month)", 10.0f,
                   ACCENT);
    for (size_t from = 0; from < g->n && !capa_lay__failed(&r->fl); from += 4) {
        size_t n = g->n - from < 4 ? g->n - from : 4;
        float w[6];
        const char *head[6];
        char names[4][300];
        w[0] = 170;
        for (size_t i = 0; i <= n; i++)
            w[1 + i] = (CONTENT_W - 170) / (float)(n + 1);
        head[0] = "项目\nFigure";
        head[1] = "集团合计\nGroup";
        for (size_t i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "%s", g->name[from + i]);
            head[2 + i] = names[i];
        }
        table t = {n + 2, w, head, 8.0f, 0};
        capa_lay__ensure(&r->fl, 80);
        capa_lay__table_begin(&r->fl, &t);
        pp x = {r, &t, from, n};
        if (capa_report_group_rows(r->m, zone, g, per_plant_row, &x) < 0)
            r->fl.oom = 1;
        r->fl.y -= 10;
    }
}

static void on_time(rep *r)
{
    const capa_monthly *m = r->m;
    capa_lay__ensure(&r->fl, 60);
    capa_lay__para(&r->fl,
                   MONTHLY(r) ? "时限准时率 On-time rate per limit (limits due in the month)"
                              : "时限准时率 On-time rate per limit (limits due in the period)",
                   10.0f, ACCENT);
    static const float w[4] = {CONTENT_W - 240, 80, 80, 80};
    static const char *const head[4] = {"时限\nLimit", "到期\nDue", "准时\nOn time",
                                        "准时率\nRate"};
    table t = {4, w, head, 8.5f, -1};
    capa_lay__table_begin(&r->fl, &t);
    for (size_t i = 0; i <= m->n_on_time && !capa_lay__failed(&r->fl); i++) {
        char k[120], d[32], o[32], rt[32];
        if (i < m->n_on_time) {
            snprintf(k, sizeof k, "%s / %s", kind_zh(m->on_time[i].kind), m->on_time[i].kind);
            snprintf(d, sizeof d, "%llu", (unsigned long long)m->on_time[i].due);
            snprintf(o, sizeof o, "%llu", (unsigned long long)m->on_time[i].on_time);
            fmt_real(rt, sizeof rt, m->on_time[i].rate, 4);
        } else {
            snprintf(k, sizeof k, "合计 / overall");
            snprintf(d, sizeof d, "%llu", (unsigned long long)m->on_time_due);
            snprintf(o, sizeof o, "%llu", (unsigned long long)m->on_time_met);
            fmt_real(rt, sizeof rt, m->on_time_overall, 4);
        }
        const char *row[4] = {k, d, o, rt};
        capa_lay__table_add(&r->fl, &t, row, INK);
    }
    r->fl.y -= 10;
}

static void overdue(rep *r)
{
    const capa_monthly *m = r->m;
    capa_lay__ensure(&r->fl, 60);
    capa_lay__para(&r->fl,
                   MONTHLY(r) ? "月末逾期清单 Overdue at month end"
                              : "期末逾期清单 Overdue at the period's end",
                   10.0f, ACCENT);
    static const float w[4] = {130, CONTENT_W - 330, 120, 80};
    static const char *const head[4] = {"案号\nCase", "时限\nLimit", "到期 (UTC)\nDue (UTC)",
                                        "逾期小时\nHours late"};
    table t = {4, w, head, 8.5f, -1};
    capa_lay__table_begin(&r->fl, &t);
    if (m->n_overdue == 0) {
        const char *row[4] = {"—", "无 / none", "", ""};
        capa_lay__table_add(&r->fl, &t, row, MUTED);
    }
    for (size_t i = 0; i < m->n_overdue && !capa_lay__failed(&r->fl); i++) {
        char k[120], d[40], h[32];
        snprintf(k, sizeof k, "%s / %s", kind_zh(m->overdue[i].kind), m->overdue[i].kind);
        capa_lay__fmt_utc(d, sizeof d, m->overdue[i].due);
        fmt_real(h, sizeof h, (double)m->overdue[i].late_ms / 3600000.0, 2);
        const char *row[4] = {m->overdue[i].number, k, d, h};
        capa_lay__table_add(&r->fl, &t, row, WARN);
    }
    r->fl.y -= 10;
}

static void satisfaction(rep *r)
{
    const capa_monthly *m = r->m;
    counts_table(r, MONTHLY(r) ? "回访满意度（本月结案）" : "回访满意度（本期结案）",
                 MONTHLY(r) ? "Customer satisfaction (closed this month)"
                            : "Customer satisfaction (closed in the period)",
                 &m->satisfaction, r->archive, "satisfaction", 0);
    char b[120];
    snprintf(b, sizeof b, "未记录 Not recorded: %llu",
             (unsigned long long)m->satisfaction_unrecorded);
    capa_lay__para(&r->fl, b, 8.5f, MUTED);
    /* 二次处理: cases sent round again (dissatisfied follow-up, 8D rejected) and their share
     * of the month's closing decisions. */
    char rate[32];
    fmt_real(rate, sizeof rate, m->second_round_rate, 4);
    snprintf(b, sizeof b, "二次处理 Second rounds: %llu   二次处理率 rate: %s",
             (unsigned long long)m->second_rounds, rate);
    capa_lay__para(&r->fl, b, 8.5f, INK);
    /* Field failures / warranty returns (IATF 16949 §10.2.5-10.2.6): no trouble found apart. */
    fmt_real(rate, sizeof rate, m->ntf_rate, 4);
    snprintf(b, sizeof b, "退件判定 Returned parts decided: %llu   未发现故障 NTF: %llu   NTF 率 rate: %s",
             (unsigned long long)m->returns_decided, (unsigned long long)m->ntf, rate);
    capa_lay__para(&r->fl, b, 8.5f, INK);
    for (size_t i = 0; i < m->n_ntf_cases; i++) {
        snprintf(b, sizeof b, "NTF: %s", m->ntf_cases[i]);
        capa_lay__para(&r->fl, b, 8.5f, MUTED);
    }
    r->fl.y -= 8;
}

static void recurrences(rep *r)
{
    const capa_monthly *m = r->m;
    char b[160];
    capa_lay__ensure(&r->fl, 60);
    if (r->g)
        snprintf(b, sizeof b,
                 "跨厂再发 Recurrences across plants (same part and defect in more "
                 "than one plant, latest case this period)");
    else
        snprintf(b, sizeof b, "再发清单 Recurrences (same part and defect within %d days)",
                 m->recurrence_days);
    capa_lay__para(&r->fl, b, 10.0f, ACCENT);
    static const float w[3] = {130, 150, CONTENT_W - 280};
    static const char *const head[3] = {"案号\nCase", "料号 / 缺陷\nPart / defect",
                                        "再发于\nRecurrence of"};
    table t = {3, w, head, 8.5f, -1};
    capa_lay__table_begin(&r->fl, &t);
    if (m->n_recurrences == 0) {
        const char *row[3] = {"—", "无 / none", ""};
        capa_lay__table_add(&r->fl, &t, row, MUTED);
    }
    for (size_t i = 0; i < m->n_recurrences && !capa_lay__failed(&r->fl); i++) {
        const capa_stat_recurrence *x = &m->recurrences[i];
        sbuf of = {0};
        for (size_t k = 0; k < x->n_of; k++)
            capa_lay__sb_addf(&of, "%s%s", k ? ", " : "", x->of[k]);
        char *ofs = capa_lay__sb_take(&of, &r->fl);
        char pd[200];
        snprintf(pd, sizeof pd, "%s / %s", x->part_no, x->defect_code);
        const char *row[3] = {x->number, pd, ofs ? ofs : ""};
        capa_lay__table_add(&r->fl, &t, row, INK);
        capa__free(ofs);
    }
}

int capa_report_monthly_pdf(capa_store *s, const capa_monthly *m, const char *out_path,
                            const capa_monthly_opts *opts)
{
    static const capa_monthly_opts defaults = {0};
    const capa_workflow *wf = NULL;
    capa_pdf_signer *sg = NULL;
    rep r = {0};
    int rc;
    if (!opts)
        opts = &defaults;
    if (!s || !m || !out_path)
        return capa_error_set(CAPA_EINVALID, "monthly report: store, figures and output required");
    if (opts->key_path || opts->cert_path) {
        if (!opts->key_path || !opts->cert_path)
            return capa_error_set(CAPA_EINVALID,
                                  "monthly report: signing needs both a key and a certificate");
        if ((rc = capa_pdf__signer_load(&sg, opts->key_path, opts->cert_path)) != CAPA_OK)
            return rc;
    }
    r.s = s;
    r.m = m;
    if (capa_store_workflow(&wf, s) == CAPA_OK && wf->n_stages > 0) {
        if (capa_store_form(&r.intake, s, wf->stages[0].form_id, 0) != CAPA_OK)
            r.intake = NULL;
        for (size_t i = 0; i < wf->n_stages && !r.archive; i++) {
            const capa_formdef *fd = NULL;
            if (capa_store_form(&fd, s, wf->stages[i].form_id, 0) == CAPA_OK &&
                capa_formdef_field(fd, "satisfaction"))
                r.archive = fd;
        }
    }
    int64_t now = opts->now_ms ? opts->now_ms : (int64_t)time(NULL) * 1000;
    char title[120], left[300], reason[120];
    snprintf(title, sizeof title, "%s %s", names_of(m)->title_en, m->period_text);
    if ((rc = capa_lay__begin(&r.fl, opts->font_path, now, title)) != CAPA_OK)
        goto done;
    capa_lay__new_page(&r.fl);
    summary(&r, sg);
    /* The figures go on below the summary: page 1 is used, the signature box kept free (the
     * flow's bottom stays above it until the next page). */
    r.fl.y -= 14;
    r.g = opts->plants;
    if (r.g && r.g->n) {
        capa_plant *zone = NULL;
        if ((rc = capa_plant_new(&zone, m->timezone)) != CAPA_OK)
            goto done;
        per_plant(&r, zone);
        capa_plant_free(zone);
    }
    on_time(&r);
    counts_table(&r, "按严重度", "By severity", &m->by_severity, r.intake, "severity", 0);
    counts_table(&r, "按反馈方式", "By channel", &m->by_channel, r.intake, "channel", 0);
    counts_table(&r, "按投诉类型", "By complaint type", &m->by_complaint_type, r.intake,
                 "complaint_type", 0);
    counts_table(&r, "按有效性", "By validity", &m->by_validity, r.intake, "validity", 0);
    counts_table(&r, "按客户", "By customer", &m->by_customer, NULL, NULL, 0);
    counts_table(&r, "按料号", "By part number", &m->by_part, NULL, NULL, 0);
    counts_table(&r, "按责任部门", "By responsible department", &m->by_dept, NULL, NULL, 0);
    pareto_chart(&r);
    counts_table(&r, "按缺陷代码（柏拉图顺序）", "By defect code (Pareto order)", &m->by_defect,
                 NULL, NULL, 1);
    trend_chart(&r);
    overdue(&r);
    satisfaction(&r);
    recurrences(&r);
    snprintf(left, sizeof left, "%s %s · %s", names_of(m)->title_zh, m->period_text,
             m->org ? m->org : "");
    if (!capa_lay__failed(&r.fl))
        capa_lay__headers_footers(&r.fl, left, "Monthly quality report", now);
    snprintf(reason, sizeof reason, "%s %s %s", names_of(m)->title_zh, names_of(m)->title_en,
             m->period_text);
    rc = capa_lay__finish(&r.fl, out_path, sg, now, reason, opts->location, SIG_BOX);
done:
    capa_lay__end(&r.fl);
    capa_pdf__signer_free(sg);
    return rc;
}
