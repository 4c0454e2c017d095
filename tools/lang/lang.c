/*
 * lang.c - the wording catalogue of refusals (see lang.h).
 *
 * One table: per rule id (and optionally a condition on a parameter) the sentence in 中文
 * and in English. Placeholders in braces:
 *   {field}   the field's label in the language (the form's; else the catalogue's own name
 *             for a non-form field such as the reason; else the id)
 *   {value}   the refused value          {case}  the case number
 *   {stage}   the stage's label          {NAME}  parameter NAME of the rule
 *   {NAME@}   parameter NAME_zh or NAME_en in the language, else NAME
 * A condition "NAME" picks the line when the parameter is present, "NAME=V" when it equals V;
 * the first line of a rule whose condition holds is used, so put the conditional ones first.
 * [[...]] is for the browser only (what to click); the CLI drops it.
 */
#include "lang.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wording {
    const char *rule;
    const char *cond; /* NULL: always */
    const char *zh;
    const char *en;
} wording;

static const wording catalogue[] = {
    /* ---- field validation (forms/validate.c) ---- */
    {"field.required", "when=create", "「{field}」为必填项，请填写",
     "{field} is required: please fill it in"},
    {"field.required", "rows", "签核前「{field}」至少需要填写一行[[：请点击“填写本阶段”补填]]",
     "{field} needs at least one row before sign-off[[: click Fill in this stage to add it]]"},
    {"field.required", NULL, "签核前必须填写「{field}」[[：请点击“填写本阶段”补填]]",
     "{field} must be filled in before sign-off[[: click Fill in this stage to add it]]"},
    {"field.min_rows", NULL, "「{field}」至少需要 {min} 行（现有 {rows} 行）",
     "{field} needs at least {min} rows (has {rows})"},
    {"field.max_bytes", NULL, "「{field}」的内容过长（{length} 字节，上限 {max} 字节）",
     "{field} is too long ({length} bytes; at most {max})"},
    {"field.utf8", NULL, "「{field}」的内容不是有效的文本（UTF-8）",
     "{field} is not valid text (UTF-8)"},
    {"field.text", NULL, "「{field}」含有不允许的控制字符或隐藏字符，请删除后再保存",
     "{field} contains a character that is not allowed ({why}); remove it and save again"},
    {"field.max_length", NULL, "「{field}」最多 {max} 个字符（现为 {length} 个）",
     "{field} may have at most {max} characters (has {length})"},
    {"field.integer", NULL, "「{field}」须为整数（现为“{value}”）",
     "{field}: '{value}' is not an integer (a whole number)"},
    {"field.decimal", NULL, "「{field}」须为数字（现为“{value}”）",
     "{field}: '{value}' is not a decimal number"},
    {"field.min", NULL, "「{field}」不得小于 {min}（现为“{value}”）",
     "{field} must be at least {min} (not '{value}')"},
    {"field.max", NULL, "「{field}」不得大于 {max}（现为“{value}”）",
     "{field} must be at most {max} (not '{value}')"},
    {"field.date", NULL, "「{field}」须为日期，格式为 年-月-日，例如 2026-12-07（现为“{value}”）",
     "{field} must be a date as year-month-day, e.g. 2026-12-07 (not '{value}')"},
    {"field.datetime", NULL,
     "「{field}」须为日期和时间，例如 2026-12-07T08:30+08:00（现为“{value}”）",
     "{field} must be a date and time, e.g. 2026-12-07T08:30+08:00 (not '{value}')"},
    {"field.choice", NULL, "「{field}」须为以下之一：{choices@}（现为“{value}”）",
     "{field} must be one of: {choices@} (not '{value}')"},
    {"field.boolean", NULL, "「{field}」须为“是”或“否”", "{field} must be yes or no"},
    {"field.user", NULL, "「{field}」须为一位用户的账号（现为“{value}”）",
     "{field} must be a user's account (not '{value}')"},
    {"field.user_unknown", NULL, "「{field}」：没有账号为“{value}”的用户",
     "{field}: there is no user with the account '{value}'"},
    {"field.pattern", NULL, "「{field}」的格式不符合要求（“{value}”不符合 {pattern}）",
     "{field} does not have the required format ('{value}' does not match {pattern})"},
    {"field.repeated", NULL, "「{field}」提交了两次", "{field} was given twice"},
    {"field.name", NULL, "字段名“{field}”格式不正确", "the field name '{field}' is malformed"},
    {"field.unknown", NULL, "“{field}”不是本表单的字段", "'{field}' is not a field of this form"},
    {"field.group", NULL, "「{field}」是可重复的表格，请逐行填写",
     "{field} is a table: fill it in row by row"},
    {"field.row", NULL, "「{field}」的行号超出范围（最多 {max} 行）",
     "{field}: the row is out of range (at most {max} rows)"},
    /* ---- the workflow's sign-off conditions ---- */
    {"signoff.equals", "reject_to",
     "签核“{meaning@}”要求「{field}」为“{equals@}”（现为“{value}”）：请在重新确认后修改该项，"
     "或[[点击“驳回”]]退回“{reject_to@}”阶段",
     "'{meaning@}' requires {field} to be '{equals@}' (it is '{value}'): change it after a new "
     "check, or [[click Reject to ]]send the case back to {reject_to@}"},
    {"signoff.equals", NULL, "签核“{meaning@}”要求「{field}」为“{equals@}”（现为“{value}”）",
     "'{meaning@}' requires {field} to be '{equals@}' (it is '{value}')"},
    {"signoff.filled", NULL, "签核“{meaning@}”要求先填写「{field}」[[：请点击“填写本阶段”补填]]",
     "'{meaning@}' requires {field} to be filled in[[: click Fill in this stage]]"},
    /* ---- the workflow's rules over rows, alternatives and waivers (IATF 16949 10.2.4) ---- */
    {"signoff.rule", "waiver_by",
     "签核“{meaning@}”要求填写「{flabel@}」{any@}{cond@}，或由{waiver_by@}签署“{waiver@}”；"
     "目前两者皆无[[：请点击“填写本阶段”补填，或请{waiver_by@}签署]]",
     "'{meaning@}' requires {flabel@}{any@} to be filled in{cond@}, or a '{waiver@}' signed by "
     "{waiver_by@}; there is neither[[: click Fill in this stage, or ask {waiver_by@} to sign "
     "it]]"},
    {"signoff.rule", NULL, "签核“{meaning@}”要求填写「{flabel@}」{any@}{cond@}[[：请点击“填写本阶段”补填]]",
     "'{meaning@}' requires {flabel@}{any@} to be filled in{cond@}[[: click Fill in this stage]]"},
    {"signoff.rule_in", NULL, "签核“{meaning@}”要求「{flabel@}」（“{value}”）{in@}{cond@}",
     "'{meaning@}' requires {flabel@} ('{value}'){in@}{cond@}"},
    {"signoff.rule_equals", "waiver_by",
     "签核“{meaning@}”要求「{flabel@}」为“{equals@}”（现为“{value}”）{cond@}，或由{waiver_by@}"
     "签署“{waiver@}”",
     "'{meaning@}' requires {flabel@} to be '{equals@}' (it is '{value}'){cond@}, or a "
     "'{waiver@}' signed by {waiver_by@}"},
    {"signoff.rule_equals", NULL, "签核“{meaning@}”要求「{flabel@}」为“{equals@}”（现为“{value}”）{cond@}",
     "'{meaning@}' requires {flabel@} to be '{equals@}' (it is '{value}'){cond@}"},
    /* ---- who may act ---- */
    {"open.role", "who", "您的角色（{role@}）不能新建案件；请联系可以新建的人：{who}",
     "your role ({role@}) may not open a case; please ask someone who can: {who}"},
    {"open.role", NULL, "您的角色（{role@}）不能新建案件；新建需要以下角色：{roles@}",
     "your role ({role@}) may not open a case; that needs the role {roles@}"},
    {"set.role", "who", "您的角色（{role@}）不能填写“{stage}”阶段；请联系可以填写的人：{who}",
     "your role ({role@}) may not fill in the stage {stage}; please ask someone who can: {who}"},
    {"set.role", NULL, "您的角色（{role@}）不能填写“{stage}”阶段；需要以下角色：{roles@}",
     "your role ({role@}) may not fill in the stage {stage}; that needs the role {roles@}"},
    {"sign.role", "who",
     "您的角色（{role@}）不能在“{stage}”阶段签核“{meaning@}”；请联系可以签核的人：{who}",
     "your role ({role@}) may not sign '{meaning@}' on the stage {stage}; please ask someone "
     "who can: {who}"},
    {"sign.role", NULL,
     "您的角色（{role@}）不能在“{stage}”阶段签核“{meaning@}”；需要以下角色：{roles@}，目前没有"
     "可签核的用户，请联系系统管理员添加",
     "your role ({role@}) may not sign '{meaning@}' on the stage {stage}; that needs the role "
     "{roles@}, and nobody can now: please ask the administrator to add someone"},
    {"reject.role", "who", "您的角色（{role@}）不能驳回“{stage}”阶段；请联系可以驳回的人：{who}",
     "your role ({role@}) may not reject the stage {stage}; please ask someone who can: {who}"},
    {"reject.role", NULL, "您的角色（{role@}）不能驳回“{stage}”阶段；需要以下角色：{roles@}",
     "your role ({role@}) may not reject the stage {stage}; that needs the role {roles@}"},
    {"case.recused", NULL, "您是本案的被投诉人，须回避：不能填写、签核或驳回本案",
     "you are the person this complaint is about and are recused: you may not fill in, sign or "
     "reject this case"},
    {"sign.independent", NULL,
     "您修改过“{stage}”阶段的内容，不能由您本人签核“{meaning@}”（不得自审自批）；请联系：{who}",
     "you changed fields of the stage {stage}, so '{meaning@}' must come from someone else (no "
     "self-approval); please ask: {who}"},
    {"sign.independent_nobody", NULL,
     "您修改过“{stage}”阶段的内容，不能由您本人签核“{meaning@}”（不得自审自批），而目前没有其他"
     "具有角色 {roles@} 的用户可以签核：请联系系统管理员添加一位",
     "you changed fields of the stage {stage}, so '{meaning@}' must come from someone else (no "
     "self-approval), and no other user with the role {roles@} can sign it: please ask the "
     "administrator to add one"},
    {"admin.role", NULL, "只有系统管理员可以执行此操作", "only an administrator may do this"},
    /* ---- the state of the case ---- */
    {"sign.meaning", NULL,
     "本案已不在您打开时的阶段：现处于“{stage}”阶段（待“{meaning@}"
     "”）。请重新打开案件页核对后再操作",
     "the case is no longer at the stage you opened: it is now at {stage} (awaiting "
     "'{meaning@}'); open the case page again and check it"},
    {"case.changed", NULL, "您查看之后，此阶段的内容已被他人修改：请重新打开案件页核对后再提交",
     "the data of this stage changed since it was shown to you: someone else changed it; open "
     "the case page again, check it and submit again"},
    {"case.closed", NULL, "本案已于 {closed_at} 结案，归档后只读",
     "this case was closed on {closed_at}; an archived case is read-only"},
    {"case.imported", NULL, "这是从 {origin} 导入的归档副本，在此只读",
     "this is an archived copy imported from {origin}; it is read-only here"},
    {"case.not_found", NULL, "没有编号为 {case} 的案件", "there is no case {case}"},
    {"reject.none", NULL, "“{stage}”阶段没有驳回步骤，只能签核“{meaning@}”",
     "the stage {stage} cannot be rejected; it can only be signed off as '{meaning@}'"},
    {"reason.required", NULL, "驳回必须填写理由", "a rejection must give a reason"},
    {"reason.max_bytes", NULL, "理由过长（{length} 字节，上限 {max} 字节）",
     "the reason is too long ({length} bytes; at most {max})"},
    /* ---- signing in ---- */
    {"auth.password", NULL, "密码不正确", "that is the wrong password"},
    {"auth.locked_now", NULL,
     "密码不正确；连续 {max_failed} 次错误，账户已被锁定：请联系系统管理员解锁",
     "wrong password; after {max_failed} wrong passwords the account is now locked: please ask "
     "the administrator to unlock it"},
    {"auth.locked", NULL, "账户已被锁定：请联系系统管理员解锁",
     "the account is locked: please ask the administrator to unlock it"},
    {"auth.session", NULL, "您的登录已失效（账户、密码或角色已变更）：请重新登录",
     "your sign-in has ended (the account, its password or role changed): please sign in "
     "again"},
};

/* Names of fields that are no form's (the request's own). */
static const struct {
    const char *id, *zh, *en;
} own_fields[] = {
    {"reason", "理由", "Reason"},
};

int capa_lang_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "zh") == 0)
        return CAPA_LANG_ZH;
    if (strcmp(s, "en") == 0)
        return CAPA_LANG_EN;
    if (strcmp(s, "both") == 0)
        return CAPA_LANG_BOTH;
    return -1;
}

capa_lang capa_lang_from_env(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "zh", 2) == 0 ? CAPA_LANG_ZH : CAPA_LANG_EN;
    }
    return CAPA_LANG_EN;
}

/* The first line for v's rule whose condition holds, or NULL. */
static const wording *find(const capa_violation *v)
{
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        const wording *w = &catalogue[i];
        if (strcmp(w->rule, v->rule) != 0)
            continue;
        if (!w->cond)
            return w;
        const char *eq = strchr(w->cond, '=');
        char name[40];
        size_t n = eq ? (size_t)(eq - w->cond) : strlen(w->cond);
        if (n >= sizeof name)
            continue;
        memcpy(name, w->cond, n);
        name[n] = 0;
        const char *have = capa_refusal_param_get(v, name);
        if (have && *have && (!eq || strcmp(have, eq + 1) == 0))
            return w;
    }
    return NULL;
}

int capa_lang_knows(const char *rule)
{
    for (size_t i = 0; rule && i < sizeof catalogue / sizeof catalogue[0]; i++)
        if (strcmp(catalogue[i].rule, rule) == 0)
            return 1;
    return 0;
}

/* A growable string; ok = 0 after an allocation failed. */
typedef struct str {
    char *p;
    size_t n, cap;
    int ok;
} str;

static void put(str *s, const char *t, size_t n)
{
    if (!s->ok)
        return;
    if (s->n + n + 1 > s->cap) {
        size_t cap = (s->n + n + 1) * 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->ok = 0;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, t, n);
    s->n += n;
    s->p[s->n] = 0;
}

static void puts_(str *s, const char *t)
{
    put(s, t, strlen(t));
}

static char *take(str *s)
{
    if (!s->ok || !s->p) {
        free(s->p);
        return s->ok ? strdup("") : NULL;
    }
    return s->p;
}

static const char *field_name(const capa_violation *v, int zh)
{
    const char *l = zh ? v->label_zh : v->label_en;
    if (l && *l)
        return l;
    if (*(zh ? v->label_en : v->label_zh)) /* the other language's label beats an id */
        return zh ? v->label_en : v->label_zh;
    for (size_t i = 0; i < sizeof own_fields / sizeof own_fields[0]; i++)
        if (strcmp(own_fields[i].id, v->field) == 0)
            return zh ? own_fields[i].zh : own_fields[i].en;
    return v->field;
}

/* tpl with [[web-only parts]] kept (web) or dropped, into buf; cut at sz. */
static void channel(char *buf, size_t sz, const char *tpl, int web)
{
    size_t o = 0;
    int in = 0;
    for (const char *p = tpl; *p && o + 1 < sz; p++) {
        if (p[0] == '[' && p[1] == '[') {
            in = 1;
            p++;
        } else if (p[0] == ']' && p[1] == ']') {
            in = 0;
            p++;
        } else if (!in || web) {
            buf[o++] = *p;
        }
    }
    buf[o] = 0;
}

static void expand(str *o, const char *text, const capa_refusal *r, const capa_violation *v, int zh,
                   int web)
{
    char name[48], loc[56], tpl[1024];
    channel(tpl, sizeof tpl, text, web);
    for (const char *p = tpl; *p;) {
        const char *b = strchr(p, '{'), *e = b ? strchr(b, '}') : NULL;
        if (!b || !e || (size_t)(e - b - 1) >= sizeof name) {
            puts_(o, p);
            return;
        }
        put(o, p, (size_t)(b - p));
        memcpy(name, b + 1, (size_t)(e - b - 1));
        name[e - b - 1] = 0;
        size_t n = strlen(name);
        const char *val = NULL;
        if (strcmp(name, "field") == 0) {
            val = field_name(v, zh);
        } else if (strcmp(name, "value") == 0) {
            val = v->value;
        } else if (strcmp(name, "case") == 0) {
            val = r->case_number;
        } else if (strcmp(name, "stage") == 0) {
            val = zh ? r->stage_zh : r->stage_en;
            if (!*val)
                val = *r->stage_zh ? r->stage_zh : r->stage;
        } else if (n && name[n - 1] == '@') {
            name[n - 1] = 0;
            snprintf(loc, sizeof loc, "%s_%s", name, zh ? "zh" : "en");
            val = capa_refusal_param_get(v, loc);
            if (!val || !*val)
                val = capa_refusal_param_get(v, name);
        } else {
            val = capa_refusal_param_get(v, name);
        }
        puts_(o, val ? val : "");
        p = e + 1;
    }
}

char *capa_lang_violation(const capa_refusal *r, const capa_violation *v, capa_lang lang, int web)
{
    str o = {NULL, 0, 0, 1};
    const wording *w = find(v);
    if (!w) {
        puts_(&o, v->message);
        return take(&o);
    }
    if (lang != CAPA_LANG_EN)
        expand(&o, w->zh, r, v, 1, web);
    if (lang == CAPA_LANG_BOTH)
        puts_(&o, " / ");
    size_t en_at = o.n;
    if (lang != CAPA_LANG_ZH)
        expand(&o, w->en, r, v, 0, web);
    if (o.ok && o.p && o.n > en_at && o.p[en_at] >= 'a' && o.p[en_at] <= 'z')
        o.p[en_at] = (char)(o.p[en_at] - 'a' + 'A'); /* a sentence begins with a capital */
    return take(&o);
}

/* A field required before sign-off, named alone (not a table's rows, not at creation). */
static int plain_required(const capa_violation *v)
{
    const char *when = capa_refusal_param_get(v, "when");
    return strcmp(v->rule, "field.required") == 0 && !capa_refusal_param_get(v, "rows") &&
           (!when || strcmp(when, "sign") == 0);
}

/* Several fields still empty before sign-off, as one sentence listing their labels. */
static void required_together(str *o, const capa_refusal *r, capa_lang lang, int web)
{
    char tpl[256];
    for (int zh = 1; zh >= 0; zh--) {
        if ((zh && lang == CAPA_LANG_EN) || (!zh && lang == CAPA_LANG_ZH))
            continue;
        if (!zh && lang == CAPA_LANG_BOTH)
            puts_(o, " / ");
        puts_(o, zh ? "签核前还须填写：" : "Still to fill in before sign-off: ");
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (!plain_required(&r->v[i]))
                continue;
            puts_(o, k++ ? (zh ? "、" : ", ") : "");
            puts_(o, zh ? "「" : "");
            puts_(o, field_name(&r->v[i], zh));
            puts_(o, zh ? "」" : "");
        }
        channel(tpl, sizeof tpl,
                zh ? "[[（请点击“填写本阶段”补填）]]"
                   : "[[ (click Fill in this stage to add them)]]",
                web);
        puts_(o, tpl);
    }
}

char *capa_lang_refusal(const capa_refusal *r, capa_lang lang, int web)
{
    str o = {NULL, 0, 0, 1};
    size_t n_req = 0, k = 0;
    for (size_t i = 0; i < r->n; i++)
        n_req += plain_required(&r->v[i]);
    for (size_t i = 0; i < r->n; i++) {
        int together = n_req > 1 && plain_required(&r->v[i]);
        if (together && n_req == SIZE_MAX)
            continue; /* already said, with the first */
        if (k++)
            puts_(&o, lang == CAPA_LANG_ZH ? "；" : "; ");
        if (together) {
            required_together(&o, r, lang, web);
            n_req = SIZE_MAX;
            continue;
        }
        char *one = capa_lang_violation(r, &r->v[i], lang, web);
        if (!one) {
            o.ok = 0;
            break;
        }
        puts_(&o, one);
        free(one);
    }
    if (r->n_dropped) {
        char more[96];
        snprintf(more, sizeof more,
                 lang == CAPA_LANG_ZH   ? "；另有 %zu 项"
                 : lang == CAPA_LANG_EN ? "; and %zu more"
                                        : "；另有 %zu 项 / and more",
                 r->n_dropped);
        puts_(&o, more);
    }
    return take(&o);
}

char *capa_lang_error_last(int code, capa_lang lang, int web)
{
    const capa_refusal *r = capa_refusal_last();
    if (r)
        return capa_lang_refusal(r, lang, web);
    const char *m = capa_error_last();
    return strdup(m && *m ? m : capa_strerror(code));
}
