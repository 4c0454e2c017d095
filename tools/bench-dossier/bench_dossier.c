/*
 * bench_dossier.c - how long a signed dossier takes and how big it is, next to the same
 * dossier produced the way web QMS products do it (HTML -> wkhtmltopdf), in one run.
 *
 *   bench-dossier [-n RUNS] [-m WKHTML_RUNS] [-o DIR] [--font FILE]
 *
 * Builds a scratch store with one typical closed case (issue 3's acceptance walk with its
 * rejection loop, a second 5-Why row with long text), then times, as medians:
 *   capa: capa_report_dossier (render with libharu + CMS sign + write + fsync + rename);
 *   html: writing the same content as HTML + `wkhtmltopdf -q` to a PDF (unsigned).
 * Prints one table with times, sizes and ratios. Keeps the outputs in DIR when -o is given.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capa.h"
#include "capa_report.h"

#define PW "bench-password-1"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench-dossier: %s: %s\n", what, rc ? capa_error_last() : "");
    exit(1);
}

#define CK(call)                                                                                   \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != CAPA_OK)                                                                        \
            die(#call, rc_);                                                                       \
    } while (0)

static capa_store *s;

/* A plant's clock for the walk: starts 2026-11-02 08:00 UTC and moves on 3 h 10 min per
 * reading, so the dossier shows realistic time per stage (it does not affect timings). */
static int64_t walk_clock(void *payload)
{
    int64_t *t = payload;
    return *t += 190 * 60 * 1000;
}

static void set(const char *num, const char *user, const capa_kv *kv, size_t n)
{
    capa_actor a = {user, PW};
    CK(capa_case_set(s, num, &a, kv, n, NULL));
}

static void sign(const char *num, const char *user, const char *meaning)
{
    capa_actor a = {user, PW};
    CK(capa_case_sign(s, num, &a, meaning));
}

static char *typical_case(void)
{
    capa_actor admin = {"admin", PW};
    static const char *u[][4] = {
        {"li", "intake", "李娜", "业务部"},        {"wang", "qe", "王工", "品管部"},
        {"chen", "qe_lead", "陈主管", "品管部"},   {"zhao", "prod_mgr", "赵经理", "生产部"},
        {"sun", "production", "孙班长", "生产部"},
    };
    for (size_t i = 0; i < sizeof u / sizeof *u; i++)
        CK(capa_user_add(s, &admin, u[i][0], u[i][1], u[i][2], u[i][3], PW));
    capa_kv in[] = {
        {"customer", "华东汽车"},
        {"part_no", "PCB-7731"},
        {"lot_no", "L2026-1102"},
        {"qty_affected", "120"},
        {"defect_code", "SOLDER-BRIDGE"},
        {"severity", "important"},
        {"channel", "written"},
        {"complaint_type", "quality"},
        {"responsible_dept", "生产部"},
        {"description", "焊点连锡，客户来料检验发现。客户 IQC 抽检 200 pcs 发现 U7 (QFN-48) "
                        "相邻引脚连锡 6 pcs，退回整批 120 pcs 待处理。"},
    };
    capa_actor li = {"li", PW};
    char *num = NULL;
    CK(capa_case_open(&num, s, &li, in, sizeof in / sizeof *in));
    capa_kv a1[] = {{"validity", "valid"}, {"containment", "库存隔离 3 批，全检；在途 1 批拦截"}};
    set(num, "wang", a1, 2);
    sign(num, "wang", "reviewed");
    capa_kv an[] = {
        {"five_why.1.why", "为何连锡"},
        {"five_why.1.because", "钢网开口偏大"},
        {"five_why.2.why", "为何钢网开口偏大"},
        {"five_why.2.because", "钢网设计沿用旧版规范，未针对 0.4 mm 间距 QFN 器件做开口缩小；"
                               "设计评审清单中也没有开口面积比的检查项。The stencil design "
                               "reused an old rule set without aperture reduction."},
        {"five_why.3.why", "为何评审未发现"},
        {"five_why.3.because", "评审清单缺少开口面积比检查项"},
        {"category_6m", "method"},
        {"root_cause_occurrence", "钢网开口设计偏大 0.05 mm"},
        {"root_cause_escape", "AOI 程序未覆盖该位置"},
    };
    set(num, "wang", an, sizeof an / sizeof *an);
    sign(num, "chen", "reviewed");
    capa_kv ac[] = {{"corrective_actions.1.action", "钢网开口缩小 10%"},
                    {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-05"}};
    set(num, "wang", ac, 3);
    capa_actor zhao = {"zhao", PW};
    CK(capa_case_reject(s, num, &zhao, "缺少预防措施"));
    sign(num, "chen", "reviewed");
    capa_kv pa[] = {{"preventive_actions.1.action", "更新钢网设计规范"},
                    {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    {"preventive_actions.2.action", "AOI 程序增加 QFN 引脚间检查"},
                    {"preventive_actions.2.owner", "chen"},
                    {"preventive_actions.2.due", "2026-12-15"}};
    set(num, "wang", pa, 6);
    sign(num, "zhao", "approved");
    capa_kv rw[] = {
        {"disposition", "rework"}, {"rework_mode", "in_house"}, {"rework_order", "RW-2026-0088"},
        {"qty_reworked", "120"},   {"qty_scrapped", "0"},       {"qty_received", "120"}};
    set(num, "sun", rw, 6);
    sign(num, "sun", "done");
    capa_kv ve[] = {{"method", "复检 + 批量验证"},
                    {"sample_size", "200"},
                    {"result", "pass"},
                    {"evidence", "连续 3 批 0 不良"}};
    set(num, "wang", ve, 4);
    sign(num, "wang", "verified");
    capa_kv ar[] = {{"customer_reply", "已回复客户 8D 报告"},
                    {"follow_up_date", "2026-12-28"},
                    {"follow_up_by", "wang"},
                    {"satisfaction", "satisfied"},
                    {"lessons_learned", "钢网设计评审加入开口检查"},
                    {"documents_updated", "WI-SMT-012 rev C"}};
    set(num, "wang", ar, 6);
    sign(num, "chen", "closed");
    return num;
}

/* ---- the HTML peer: the same content, as a web QMS would template it ---- */

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\n':
            fputs("<br>", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void when(char *buf, size_t sz, int64_t ms)
{
    capa_time_format(buf, sz, ms);
}

static int audit_html(const capa_event *e, void *payload)
{
    FILE *f = payload;
    char t[40];
    when(t, sizeof t, e->time);
    fprintf(f, "<tr><td>%llu</td><td>%s</td><td>", (unsigned long long)e->seq, t);
    esc(f, e->actor);
    fputs("</td><td>", f);
    esc(f, e->action);
    fputs("</td><td>", f);
    esc(f, e->stage);
    fputs("</td><td>", f);
    for (size_t i = 0; i < e->n_changes; i++) {
        esc(f, e->changes[i].field);
        fputs(": ", f);
        esc(f, e->changes[i].old_value ? e->changes[i].old_value : "∅");
        fputs(" → ", f);
        esc(f, e->changes[i].new_value ? e->changes[i].new_value : "∅");
        fputs("<br>", f);
    }
    if (e->reason) {
        fputs("理由 Reason: ", f);
        esc(f, e->reason);
    }
    fputs("</td></tr>\n", f);
    return 0;
}

static void write_html(const char *path, const char *num)
{
    FILE *f = fopen(path, "w");
    if (!f)
        die(path, 0);
    capa_case *c = NULL;
    const capa_workflow *wf = NULL;
    capa_store_info info;
    CK(capa_case_get(&c, s, num));
    CK(capa_store_workflow(&wf, s));
    CK(capa_store_info_get(&info, s));
    fputs("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>"
          "body{font-family:'WenQuanYi Zen Hei',sans-serif;font-size:10pt}"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:3px;"
          "vertical-align:top}th{background:#e8edf7}h2{background:#e8edf7;padding:4px}"
          ".l{width:150px;color:#666}</style></head><body>\n",
          f);
    fputs("<h1>8D 纠正预防措施档案</h1><p>CAPA dossier (8D report)</p><h2>", f);
    esc(f, c->number);
    fputs("</h2><table>", f);
    fputs("<tr><td class=l>组织<br>Organisation</td><td>", f);
    esc(f, info.org);
    fputs("</td></tr><tr><td class=l>客户<br>Customer</td><td>", f);
    esc(f, capa_case_value(c, "intake", "customer"));
    fputs("</td></tr><tr><td class=l>审计链头哈希<br>Audit chain head</td><td>", f);
    esc(f, info.head_hash);
    fputs("</td></tr></table>\n", f);
    for (size_t i = 0; i < c->n_stages; i++) {
        const capa_stage_record *r = &c->stages[i];
        const capa_stage *st = capa_workflow_stage(wf, r->stage);
        const capa_formdef *form = NULL;
        CK(capa_store_form(&form, s, r->form_id, r->form_version));
        fprintf(f, "<h2>%zu ", i + 1);
        esc(f, st->label_zh);
        fputs(" / ", f);
        esc(f, st->label_en);
        fputs("</h2><table>\n", f);
        for (size_t k = 0; k < form->n_fields; k++) {
            const capa_field *fl = &form->fields[k];
            if (fl->type == CAPA_FT_GROUP) {
                fputs("<tr><td colspan=2><b>", f);
                esc(f, fl->label_zh);
                fputs("</b><table><tr><th>#</th>", f);
                for (size_t j = 0; j < fl->n_columns; j++) {
                    fputs("<th>", f);
                    esc(f, fl->columns[j].label_zh);
                    fputs("<br>", f);
                    esc(f, fl->columns[j].label_en);
                    fputs("</th>", f);
                }
                fputs("</tr>", f);
                for (unsigned row = 1; row <= 20; row++) {
                    int any = 0;
                    char name[256];
                    for (size_t j = 0; j < fl->n_columns; j++) {
                        snprintf(name, sizeof name, "%s.%u.%s", fl->id, row, fl->columns[j].id);
                        any |= capa_case_value(c, r->stage, name) != NULL;
                    }
                    if (!any)
                        continue;
                    fprintf(f, "<tr><td>%u</td>", row);
                    for (size_t j = 0; j < fl->n_columns; j++) {
                        snprintf(name, sizeof name, "%s.%u.%s", fl->id, row, fl->columns[j].id);
                        fputs("<td>", f);
                        esc(f, capa_case_value(c, r->stage, name));
                        fputs("</td>", f);
                    }
                    fputs("</tr>", f);
                }
                fputs("</table></td></tr>\n", f);
                continue;
            }
            const char *v = capa_case_value(c, r->stage, fl->id);
            if (!v || !*v)
                continue;
            fputs("<tr><td class=l>", f);
            esc(f, fl->label_zh);
            fputs("<br>", f);
            esc(f, fl->label_en);
            fputs("</td><td>", f);
            const capa_choice *ch = fl->type == CAPA_FT_CHOICE ? capa_field_choice(fl, v) : NULL;
            if (ch) {
                esc(f, ch->label_zh);
                fputs(" / ", f);
                esc(f, ch->label_en);
            } else {
                esc(f, v);
            }
            fputs("</td></tr>\n", f);
        }
        fputs("</table><table><tr><th>签名人 Signed by</th><th>角色 Role</th><th>含义 "
              "Meaning</th><th>时间 Time</th><th>数据哈希 Data hash</th><th>状态 Status</th></tr>",
              f);
        for (size_t k = 0; k < c->n_signatures; k++) {
            const capa_signature *g = &c->signatures[k];
            if (strcmp(g->stage, r->stage) != 0)
                continue;
            char t[40];
            when(t, sizeof t, g->time);
            fputs("<tr><td>", f);
            esc(f, g->name);
            fputs("</td><td>", f);
            esc(f, g->role);
            fputs("</td><td>", f);
            esc(f, g->meaning);
            fprintf(f, "</td><td>%s</td><td style=\"word-break:break-all\">%s</td><td>", t,
                    g->data_hash);
            esc(f, g->superseded ? "已被取代 Superseded" : g->reason ? g->reason : "有效");
            fputs("</td></tr>", f);
        }
        fputs("</table>\n", f);
    }
    fputs("<h2 style=\"page-break-before:always\">附录 审计追踪 Appendix: audit trail</h2>"
          "<table><tr><th>#</th><th>时间</th><th>用户</th><th>动作</th><th>阶段</th>"
          "<th>变更</th></tr>\n",
          f);
    CK(capa_audit_foreach(s, num, audit_html, f));
    fputs("</table></body></html>\n", f);
    fclose(f);
    capa_case_free(c);
    capa_store_info_clear(&info);
}

static long file_size(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

int main(int argc, char **argv)
{
    int runs = 30, wruns = 7;
    const char *keep = NULL, *font = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-m") == 0 && i + 1 < argc)
            wruns = atoi(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            keep = argv[++i];
        else if (strcmp(argv[i], "--font") == 0 && i + 1 < argc)
            font = argv[++i];
        else {
            fprintf(stderr, "usage: bench-dossier [-n RUNS] [-m WKHTML_RUNS] [-o DIR] "
                            "[--font FILE]\n");
            return 2;
        }
    }
    if (runs < 1 || wruns < 0)
        return 2;
    char tmpl[] = "/tmp/bench-dossier-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir)
        die("mkdtemp", 0);
    char db[512], keys[600], key[700], crt[700], pdf[600], html[600], wpdf[600], cmd[2048];
    snprintf(db, sizeof db, "%s/var", dir);
    snprintf(keys, sizeof keys, "%s/keys", db);
    const char *out = keep ? keep : dir;
    if (keep)
        mkdir(keep, 0755);
    snprintf(pdf, sizeof pdf, "%s/dossier-capa.pdf", out);
    snprintf(html, sizeof html, "%s/dossier.html", out);
    snprintf(wpdf, sizeof wpdf, "%s/dossier-wkhtmltopdf.pdf", out);

    capa_open_opts oo = {0};
    oo.create = 1;
    oo.map_size = 64u << 20;
    oo.kdf_log2n = 10;
    int64_t clock_ms = 1793606400000LL; /* 2026-11-02T08:00:00Z */
    oo.clock = walk_clock;
    oo.clock_payload = &clock_ms;
    CK(capa_store_open(&s, db, &oo));
    capa_init_opts io = {0};
    io.org = "示例电子有限公司";
    io.admin_password = PW;
    CK(capa_store_init(s, &io));
    char *num = typical_case();
    CK(capa_report_keys_create(keys, "示例电子有限公司", 0));
    snprintf(key, sizeof key, "%s/org.key", keys);
    snprintf(crt, sizeof crt, "%s/org.crt", keys);

    capa_dossier_opts o = {0};
    o.key_path = key;
    o.cert_path = crt;
    o.font_path = font;
    double *t = calloc((size_t)runs + (size_t)wruns + 1, sizeof *t);
    CK(capa_report_dossier(s, num, pdf, &o)); /* warm the page cache */
    for (int i = 0; i < runs; i++) {
        double a = now_ms();
        CK(capa_report_dossier(s, num, pdf, &o));
        t[i] = now_ms() - a;
    }
    double capa_ms = median(t, runs);
    long capa_sz = file_size(pdf);

    double html_ms = 0;
    long html_sz = -1;
    int have_wk = system("command -v wkhtmltopdf >/dev/null 2>&1") == 0;
    if (have_wk && wruns > 0) {
        snprintf(cmd, sizeof cmd, "wkhtmltopdf -q --encoding utf-8 '%s' '%s' 2>/dev/null", html,
                 wpdf);
        write_html(html, num);
        if (system(cmd) != 0) /* warm-up (fontconfig cache) */
            have_wk = 0;
        for (int i = 0; have_wk && i < wruns; i++) {
            double a = now_ms();
            write_html(html, num);
            int rc = system(cmd);
            t[i] = now_ms() - a;
            if (rc != 0)
                have_wk = 0;
        }
        if (have_wk) {
            html_ms = median(t, wruns);
            html_sz = file_size(wpdf);
        }
    }
    printf("dossier of a typical closed case (%s; 6 stages, rejection loop, audit trail)\n", num);
    printf("%-34s %12s %12s\n", "method", "median ms", "size KB");
    printf("%-34s %12.1f %12.1f\n", "capa (libharu + CMS sign)", capa_ms, capa_sz / 1024.0);
    if (html_sz >= 0) {
        printf("%-34s %12.1f %12.1f\n", "HTML + wkhtmltopdf (unsigned)", html_ms, html_sz / 1024.0);
        printf("%-34s %12.1fx %11.1fx\n", "ratio wkhtmltopdf / capa", html_ms / capa_ms,
               (double)html_sz / (double)capa_sz);
    } else {
        printf("%-34s %12s %12s\n", "HTML + wkhtmltopdf", "n/a", "n/a");
    }
    printf("runs: capa %d, wkhtmltopdf %d; font %s\n", runs, have_wk ? wruns : 0,
           font ? font : capa_report_default_font());
    capa_store_close(s);
    free(num);
    free(t);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return 0;
}
