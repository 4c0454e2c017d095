/*
 * workflow.c - the workflow definition: XML (schemas/workflow.xsd) into capa_workflow, plus
 * the cross-reference checks the schema leaves to us: unique role and stage ids, every role
 * named by editors/signers/rejecters declared, a rejection only back to an earlier stage,
 * positive time limits with one limit per (severity, kind), and a warning share in 1..100.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "xml.h"

#define WF_NS "urn:capa:workflow:1"
#define STR_(x) #x
#define STR(x) STR_(x)
/* Bounds that keep a hostile workflow from costing quadratic time in the cross checks. */
#define MAX_ROLES 100
#define MAX_STAGES 50
#define MAX_LIMITS 1000

typedef struct walk {
    const char *name;
    capa_diag *diag;
    int invalid;
    size_t n_msgs;
} walk;

static const char *const limit_kinds[] = {"response", "containment", "plan", "closure"};

static void bad(walk *w, const xmlNode *n, const char *fmt, const char *a, const char *b)
{
    char *msg;

    w->invalid = 1;
    if (w->n_msgs++ >= CAPA_XML_MAX_ERRORS) {
        if (w->n_msgs == CAPA_XML_MAX_ERRORS + 1)
            capa_diag_add(w->diag, "%s: too many errors, the rest are not shown", w->name);
        return;
    }
    msg = capa__sprintf(fmt, a ? a : "", b ? b : "");
    capa_diag_add(w->diag, "%s:%ld: %s", w->name, capa__xml_line(n), msg ? msg : "invalid");
    capa__free(msg);
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        capa__free(l[i]);
    capa__free(l);
}

void capa_workflow_free(capa_workflow *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n_roles; i++) {
        capa__free(w->roles[i].id);
        capa__free(w->roles[i].label_zh);
        capa__free(w->roles[i].label_en);
    }
    capa__free(w->roles);
    for (size_t i = 0; i < w->n_stages; i++) {
        capa_stage *s = &w->stages[i];
        capa__free(s->id);
        capa__free(s->label_zh);
        capa__free(s->label_en);
        capa__free(s->form_id);
        capa__free(s->eightd);
        free_list(s->editors, s->n_editors);
        capa__free(s->sign_meaning);
        capa__free(s->sign_meaning_zh);
        capa__free(s->sign_meaning_en);
        free_list(s->signers, s->n_signers);
        capa__free(s->reject_to);
        free_list(s->rejecters, s->n_rejecters);
        free_list(s->tell, s->n_tell);
        for (size_t k = 0; k < s->n_requires; k++) {
            capa__free(s->requires[k].field);
            capa__free(s->requires[k].equals);
            capa__free(s->requires[k].group);
            free_list(s->requires[k].any, s->requires[k].n_any);
            capa__free(s->requires[k].if_field);
            capa__free(s->requires[k].if_equals);
            capa__free(s->requires[k].waiver);
            capa__free(s->requires[k].stage);
            capa__free(s->requires[k].if_stage);
            capa__free(s->requires[k].in_group);
            capa__free(s->requires[k].in_column);
            capa__free(s->requires[k].in_if);
            capa__free(s->requires[k].in_is);
        }
        for (size_t k = 0; k < s->n_waivers; k++) {
            capa__free(s->waivers[k].meaning);
            capa__free(s->waivers[k].label_zh);
            capa__free(s->waivers[k].label_en);
            free_list(s->waivers[k].by, s->waivers[k].n_by);
        }
        capa__free(s->waivers);
        capa__free(s->requires);
        for (size_t k = 0; k < s->n_routes; k++) {
            capa__free(s->routes[k].field);
            capa__free(s->routes[k].equals);
            capa__free(s->routes[k].to);
            capa__free(s->routes[k].label_zh);
            capa__free(s->routes[k].label_en);
        }
        capa__free(s->routes);
    }
    capa__free(w->stages);
    for (size_t i = 0; i < w->n_limits; i++) {
        capa__free(w->limits[i].severity);
        capa__free(w->limits[i].kind);
    }
    capa__free(w->limits);
    for (size_t i = 0; i < w->n_escalations; i++) {
        capa__free(w->escalations[i].level);
        free_list(w->escalations[i].to, w->escalations[i].n_to);
    }
    capa__free(w->escalations);
    capa__free(w->source);
    capa__free(w->id);
    capa__free(w->label_zh);
    capa__free(w->label_en);
    capa__free(w->number_pattern);
    capa__free(w);
}

static size_t count_elems(xmlNode *n, const char *local)
{
    size_t k = 0;
    for (n = capa__xml_elem(n); n; n = capa__xml_elem(n->next))
        k += capa__xml_is(n, WF_NS, local);
    return k;
}

static xmlNode *child(xmlNode *n, const char *local)
{
    for (n = capa__xml_elem(n ? n->children : NULL); n; n = capa__xml_elem(n->next))
        if (capa__xml_is(n, WF_NS, local))
            return n;
    return NULL;
}

/* A white-space separated list of role ids, e.g. editors="qe qe_lead". */
static int id_list(char ***out, size_t *out_n, const xmlNode *n, const char *attr)
{
    int rc;
    char *v = NULL, *save = NULL, *tok;
    size_t k = 0;

    *out = NULL;
    *out_n = 0;
    rc = capa__xml_attr(&v, n, attr);
    if (rc != CAPA_OK || !v)
        goto done;
    for (char *p = v; *p; p++)
        k += !strchr(" \t\r\n", *p) && (p == v || strchr(" \t\r\n", p[-1]));
    rc = CAPA_ENOMEM;
    *out = capa__calloc(k ? k : 1, sizeof **out);
    if (!*out)
        goto done;
    for (tok = strtok_r(v, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
        (*out)[*out_n] = capa__strdup(tok);
        if (!(*out)[*out_n])
            goto done;
        (*out_n)++;
    }
    rc = CAPA_OK;
done:
    capa__free(v);
    return rc;
}

static int labels(char **zh, char **en, const xmlNode *n)
{
    int rc = capa__xml_attr(zh, n, "zh");
    if (rc == CAPA_OK)
        rc = capa__xml_attr(en, n, "en");
    return rc;
}

static void check_roles(walk *w, const capa_workflow *wf, const xmlNode *n, char **roles, size_t k,
                        const char *what)
{
    for (size_t i = 0; i < k; i++)
        if (!capa_workflow_role(wf, roles[i]))
            bad(w, n, "%s names role `%s`, which is not declared in <roles>", what, roles[i]);
}

static int parse_roles(capa_workflow *wf, xmlNode *roles, walk *w)
{
    int rc = CAPA_OK;
    size_t k = count_elems(roles ? roles->children : NULL, "role");

    if (k > MAX_ROLES) {
        bad(w, roles, "more than %s roles", STR(MAX_ROLES), NULL);
        return CAPA_OK;
    }
    wf->roles = capa__calloc(k ? k : 1, sizeof *wf->roles);
    if (!wf->roles)
        return CAPA_ENOMEM;
    for (xmlNode *c = capa__xml_elem(roles ? roles->children : NULL); c;
         c = capa__xml_elem(c->next)) {
        capa_role *r;
        if (!capa__xml_is(c, WF_NS, "role"))
            continue;
        r = &wf->roles[wf->n_roles++];
        rc = capa__xml_attr(&r->id, c, "id");
        if (rc == CAPA_OK)
            rc = labels(&r->label_zh, &r->label_en, c);
        if (rc != CAPA_OK)
            break;
        for (size_t i = 0; r->id && i + 1 < wf->n_roles; i++)
            if (wf->roles[i].id && strcmp(wf->roles[i].id, r->id) == 0)
                bad(w, c, "role `%s` is declared twice", r->id, NULL);
    }
    return rc;
}

/* The <require>, <route> and <round> children of a sign-off (at most 20 of each, says the schema).
 */
static int parse_rules(capa_stage *s, xmlNode *sign)
{
    int rc = CAPA_OK;
    size_t nq = count_elems(sign->children, "require"),
           nr = count_elems(sign->children, "route") + count_elems(sign->children, "round");
    s->requires = capa__calloc(nq ? nq : 1, sizeof *s->requires);
    s->routes = capa__calloc(nr ? nr : 1, sizeof *s->routes);
    if (!s->requires || !s->routes)
        return CAPA_ENOMEM;
    for (xmlNode *c = capa__xml_elem(sign->children); c && rc == CAPA_OK;
         c = capa__xml_elem(c->next)) {
        if (capa__xml_is(c, WF_NS, "require")) {
            capa_condition *q = &s->requires[s->n_requires++];
            rc = capa__xml_attr(&q->field, c, "field");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->equals, c, "equals");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->group, c, "group");
            if (rc == CAPA_OK)
                rc = id_list(&q->any, &q->n_any, c, "or");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->if_field, c, "if");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->if_equals, c, "is");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->waiver, c, "waiver");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->stage, c, "stage");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->if_stage, c, "if-stage");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->in_group, c, "in");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->in_if, c, "in-if");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&q->in_is, c, "in-is");
            char *dot = q->in_group ? strchr(q->in_group, '.') : NULL;
            if (rc == CAPA_OK && dot) { /* in="G.C": group G, column C */
                if (!(q->in_column = capa__strdup(dot + 1)))
                    rc = CAPA_ENOMEM;
                *dot = 0;
            }
        } else if (capa__xml_is(c, WF_NS, "route") || capa__xml_is(c, WF_NS, "round")) {
            capa_route *r = &s->routes[s->n_routes++];
            r->round = capa__xml_is(c, WF_NS, "round");
            rc = capa__xml_attr(&r->field, c, "field");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&r->equals, c, "equals");
            if (rc == CAPA_OK)
                rc = capa__xml_attr(&r->to, c, "to");
            if (rc == CAPA_OK)
                rc = labels(&r->label_zh, &r->label_en, c);
        }
    }
    return rc;
}

/* The <waiver meaning by zh en> children of a stage: signatures its rules accept instead of
 * data (at most 8, says the schema). A <require waiver> must name one (check_rejects). */
static int parse_waivers(capa_workflow *wf, capa_stage *s, xmlNode *n, walk *w)
{
    int rc = CAPA_OK;
    size_t k = count_elems(n->children, "waiver");
    if (!k)
        return CAPA_OK;
    if (!(s->waivers = capa__calloc(k, sizeof *s->waivers)))
        return CAPA_ENOMEM;
    for (xmlNode *c = capa__xml_elem(n->children); c && rc == CAPA_OK;
         c = capa__xml_elem(c->next)) {
        if (!capa__xml_is(c, WF_NS, "waiver"))
            continue;
        capa_waiver *x = &s->waivers[s->n_waivers++];
        if ((rc = capa__xml_attr(&x->meaning, c, "meaning")) ||
            (rc = labels(&x->label_zh, &x->label_en, c)) ||
            (rc = id_list(&x->by, &x->n_by, c, "by")))
            break;
        if (!x->meaning || !x->n_by) {
            bad(w, c, "stage `%s`: a <waiver> needs meaning and by%s", s->id, "");
            continue;
        }
        check_roles(w, wf, c, x->by, x->n_by, "waiver");
        if (s->sign_meaning && strcmp(x->meaning, s->sign_meaning) == 0)
            bad(w, c, "stage `%s`: waiver meaning `%s` is the stage's sign-off meaning", s->id,
                x->meaning);
        for (size_t i = 0; i + 1 < s->n_waivers; i++)
            if (s->waivers[i].meaning && strcmp(s->waivers[i].meaning, x->meaning) == 0)
                bad(w, c, "stage `%s`: waiver `%s` is declared twice", s->id, x->meaning);
    }
    return rc;
}

static int parse_stage(capa_workflow *wf, capa_stage *s, xmlNode *n, walk *w)
{
    int rc;
    xmlNode *sign = child(n, "signoff"), *rej = child(n, "reject");
    char *indep = NULL;

    rc = capa__xml_attr(&s->id, n, "id");
    if (rc == CAPA_OK)
        rc = labels(&s->label_zh, &s->label_en, n);
    if (rc == CAPA_OK)
        rc = capa__xml_attr(&s->form_id, n, "form");
    if (rc == CAPA_OK)
        rc = capa__xml_attr(&s->eightd, n, "eightd");
    if (rc == CAPA_OK)
        rc = id_list(&s->editors, &s->n_editors, n, "editors");
    if (rc == CAPA_OK)
        rc = id_list(&s->tell, &s->n_tell, n, "tell");
    if (rc == CAPA_OK && sign) {
        rc = capa__xml_attr(&s->sign_meaning, sign, "meaning");
        if (rc == CAPA_OK)
            rc = labels(&s->sign_meaning_zh, &s->sign_meaning_en, sign);
        if (rc == CAPA_OK)
            rc = id_list(&s->signers, &s->n_signers, sign, "by");
        if (rc == CAPA_OK)
            rc = capa__xml_attr(&indep, sign, "independent");
        if (rc == CAPA_OK)
            rc = parse_rules(s, sign);
    }
    if (rc == CAPA_OK)
        rc = parse_waivers(wf, s, n, w);
    if (rc == CAPA_OK && rej) {
        rc = capa__xml_attr(&s->reject_to, rej, "to");
        if (rc == CAPA_OK)
            rc = id_list(&s->rejecters, &s->n_rejecters, rej, "by");
    }
    if (rc != CAPA_OK)
        goto done;
    s->sign_independent = indep && (strcmp(indep, "true") == 0 || strcmp(indep, "1") == 0);
    if (!s->id || !s->form_id || !sign || !s->sign_meaning || s->n_signers == 0 ||
        s->n_editors == 0) {
        bad(w, n, "stage `%s` needs an id, a form, editors and a <signoff> with `by`", s->id, NULL);
        goto done;
    }
    check_roles(w, wf, n, s->editors, s->n_editors, "editors");
    check_roles(w, wf, sign, s->signers, s->n_signers, "signoff");
    if (rej && s->n_rejecters == 0) {
        /* Rejecters default to the signers: who may say yes may say no. */
        rc = CAPA_ENOMEM;
        s->rejecters = capa__calloc(s->n_signers, sizeof *s->rejecters);
        if (!s->rejecters)
            goto done;
        for (size_t i = 0; i < s->n_signers; i++) {
            s->rejecters[i] = capa__strdup(s->signers[i]);
            if (!s->rejecters[i])
                goto done;
            s->n_rejecters++;
        }
        rc = CAPA_OK;
    }
    if (rej)
        check_roles(w, wf, rej, s->rejecters, s->n_rejecters, "reject");
done:
    capa__free(indep);
    return rc;
}

/* Reject targets can only be checked once every stage is known. */
static int check_rejects(capa_workflow *wf, xmlNode *stages, walk *w)
{
    size_t i = 0;
    for (xmlNode *c = capa__xml_elem(stages->children); c; c = capa__xml_elem(c->next)) {
        capa_stage *s;
        int to;
        if (!capa__xml_is(c, WF_NS, "stage"))
            continue;
        s = &wf->stages[i++];
        for (size_t k = 0; k < s->n_routes; k++) {
            capa_route *r = &s->routes[k];
            /* A new round starts by default at the stage after the first (analysis). */
            if (r->round && !r->to && wf->n_stages > 1 && !(r->to = capa__strdup(wf->stages[1].id)))
                return CAPA_ENOMEM;
            int at = r->to ? capa_workflow_stage_index(wf, r->to) : -1;
            xmlNode *sign = child(c, "signoff");
            if (!r->field || !r->equals || !r->to)
                bad(w, sign, "stage `%s`: a route needs field, equals and to%s", s->id, "");
            else if (r->round && at < 0)
                bad(w, sign, "stage `%s` starts a new round at `%s`, which is not a stage", s->id,
                    r->to);
            else if (r->round && (size_t)at > i - 1)
                bad(w, sign,
                    "stage `%s` starts a new round at `%s`, which is not this or an earlier "
                    "stage",
                    s->id, r->to);
            else if (r->round)
                continue;
            else if (at < 0)
                bad(w, sign, "stage `%s` routes to `%s`, which is not a stage", s->id, r->to);
            else if ((size_t)at <= i - 1)
                bad(w, sign, "stage `%s` routes to `%s`, which is not a later stage", s->id,
                    r->to);
        }
        for (size_t k = 0; k < s->n_requires; k++) {
            const capa_condition *q = &s->requires[k];
            if (!q->field)
                bad(w, child(c, "signoff"), "stage `%s`: a require needs a field%s", s->id, "");
            if (q->if_equals && !q->if_field)
                bad(w, child(c, "signoff"), "stage `%s`: a require with `is` needs `if`%s", s->id,
                    "");
            if (q->waiver && !capa_stage_waiver(s, q->waiver))
                bad(w, child(c, "signoff"),
                    "stage `%s`: a require names waiver `%s`, which is no <waiver> of the stage",
                    s->id, q->waiver);
            if (q->stage && q->if_stage)
                bad(w, child(c, "signoff"),
                    "stage `%s`: a require has both `stage` and `if-stage` (%s)", s->id,
                    q->stage);
            const char *os = capa_condition_other(q);
            int oi = os ? capa_workflow_stage_index(wf, os) : -1;
            if (os && (oi < 0 || (size_t)oi == i - 1))
                bad(w, child(c, "signoff"),
                    "stage `%s`: a require reads stage `%s`, which is not another stage", s->id,
                    os);
            if (q->if_stage && !q->if_field)
                bad(w, child(c, "signoff"), "stage `%s`: a require with `if-stage` needs `if`%s",
                    s->id, "");
            if (q->in_group && (!q->in_column || !*q->in_column || !*q->in_group))
                bad(w, child(c, "signoff"),
                    "stage `%s`: a require's `in` must be GROUP.COLUMN, not `%s`", s->id,
                    q->in_group);
            if ((q->in_if || q->in_is) && (!q->in_group || (q->in_is && !q->in_if)))
                bad(w, child(c, "signoff"),
                    "stage `%s`: `in-if` needs `in`, and `in-is` needs `in-if`%s", s->id, "");
        }
        for (size_t k = 0; k < s->n_tell; k++) {
            /* "stage.field" or "stage.group.field", the stage one of the workflow's */
            const char *t = s->tell[k], *dot = strchr(t, '.');
            char st[65];
            snprintf(st, sizeof st, "%.*s", dot ? (int)(dot - t) : 0, t);
            if (!dot || !dot[1] || dot - t > 64 || capa_workflow_stage_index(wf, st) < 0)
                bad(w, c,
                    "stage `%s`: tell `%s`: expected STAGE.FIELD or STAGE.GROUP.FIELD of a "
                    "stage of the workflow",
                    s->id, t);
        }
        if (!s->reject_to)
            continue;
        to = capa_workflow_stage_index(wf, s->reject_to);
        if (to < 0)
            bad(w, child(c, "reject"), "stage `%s` rejects to `%s`, which is not a stage", s->id,
                s->reject_to);
        else if ((size_t)to >= i - 1)
            bad(w, child(c, "reject"), "stage `%s` rejects to `%s`, which is not an earlier stage",
                s->id, s->reject_to);
    }
    return CAPA_OK;
}

static int parse_stages(capa_workflow *wf, xmlNode *stages, walk *w)
{
    int rc = CAPA_OK;
    size_t k = count_elems(stages ? stages->children : NULL, "stage");

    if (k > MAX_STAGES) {
        bad(w, stages, "more than %s stages", STR(MAX_STAGES), NULL);
        return CAPA_OK;
    }
    wf->stages = capa__calloc(k ? k : 1, sizeof *wf->stages);
    if (!wf->stages)
        return CAPA_ENOMEM;
    if (!stages || k == 0) {
        bad(w, stages, "a workflow needs at least one stage", NULL, NULL);
        return CAPA_OK;
    }
    for (xmlNode *c = capa__xml_elem(stages->children); c; c = capa__xml_elem(c->next)) {
        capa_stage *s;
        if (!capa__xml_is(c, WF_NS, "stage"))
            continue;
        s = &wf->stages[wf->n_stages++];
        rc = parse_stage(wf, s, c, w);
        if (rc != CAPA_OK)
            return rc;
        for (size_t i = 0; s->id && i + 1 < wf->n_stages; i++)
            if (wf->stages[i].id && strcmp(wf->stages[i].id, s->id) == 0)
                bad(w, c, "stage `%s` is declared twice", s->id, NULL);
    }
    return check_rejects(wf, stages, w);
}

/* <escalate level="overdue" at="due" after-hours="24" to="prod_mgr"/> inside <limits>. */
static int parse_escalations(capa_workflow *wf, xmlNode *limits, walk *w)
{
    int rc = CAPA_OK;
    char *at = NULL, *after = NULL, *end;
    size_t k = count_elems(limits ? limits->children : NULL, "escalate");
    if (k > CAPA_MAX_ESCALATIONS) {
        bad(w, limits, "more than %s escalation steps", STR(CAPA_MAX_ESCALATIONS), NULL);
        return CAPA_OK;
    }
    if (!k)
        return CAPA_OK;
    if (!(wf->escalations = capa__calloc(k, sizeof *wf->escalations)))
        return CAPA_ENOMEM;
    for (xmlNode *c = capa__xml_elem(limits->children); c; c = capa__xml_elem(c->next)) {
        if (!capa__xml_is(c, WF_NS, "escalate"))
            continue;
        capa_escalation *x = &wf->escalations[wf->n_escalations++];
        capa__free(at);
        capa__free(after);
        at = after = NULL;
        if ((rc = capa__xml_attr(&x->level, c, "level")) || (rc = capa__xml_attr(&at, c, "at")) ||
            (rc = capa__xml_attr(&after, c, "after-hours")) ||
            (rc = id_list(&x->to, &x->n_to, c, "to")))
            break;
        if (!x->level || !at || !x->n_to) {
            bad(w, c, "an <escalate> needs level, at and to%s%s", "", "");
            continue;
        }
        if (strcmp(at, "warn") != 0 && strcmp(at, "due") != 0)
            bad(w, c, "escalate %s: at '%s' must be warn or due", x->level, at);
        x->at_due = strcmp(at, "due") == 0;
        if (after) {
            x->after_hours = strtod(after, &end);
            if (*end || !(x->after_hours >= 0 && x->after_hours <= 8760))
                bad(w, c, "escalate %s: after-hours '%s' must be a number from 0 to 8760",
                    x->level, after);
        }
        for (size_t i = 0; i < x->n_to; i++)
            if (strcmp(x->to[i], "editors") != 0 && !capa_workflow_role(wf, x->to[i]))
                bad(w, c, "escalate to names role `%s`, which is neither declared in <roles> nor "
                    "`editors`%s", x->to[i], "");
        for (size_t i = 0; i + 1 < wf->n_escalations; i++)
            if (wf->escalations[i].level && strcmp(wf->escalations[i].level, x->level) == 0)
                bad(w, c, "escalation level `%s` is given twice%s", x->level, "");
    }
    capa__free(at);
    capa__free(after);
    return rc;
}

static int parse_limits(capa_workflow *wf, xmlNode *limits, walk *w)
{
    int rc = CAPA_OK;
    char *v = NULL, *end;
    size_t k = count_elems(limits ? limits->children : NULL, "limit");

    wf->warn_percent = 80;
    if (k > MAX_LIMITS) {
        bad(w, limits, "more than %s limits", STR(MAX_LIMITS), NULL);
        return CAPA_OK;
    }
    wf->limits = capa__calloc(k ? k : 1, sizeof *wf->limits);
    if (!wf->limits)
        return CAPA_ENOMEM;
    if (!limits)
        goto done;
    rc = capa__xml_attr(&v, limits, "warn-percent");
    if (rc != CAPA_OK)
        goto done;
    if (v) {
        wf->warn_percent = strtod(v, &end);
        if (*end || !(wf->warn_percent > 0 && wf->warn_percent <= 100))
            bad(w, limits, "warn-percent '%s' must be above 0 and at most 100", v, NULL);
    }
    for (xmlNode *c = capa__xml_elem(limits->children); c; c = capa__xml_elem(c->next)) {
        capa_limit *l;
        int known = 0;
        if (!capa__xml_is(c, WF_NS, "limit"))
            continue;
        l = &wf->limits[wf->n_limits++];
        capa__free(v);
        v = NULL;
        rc = capa__xml_attr(&l->severity, c, "severity");
        if (rc == CAPA_OK)
            rc = capa__xml_attr(&l->kind, c, "kind");
        if (rc == CAPA_OK)
            rc = capa__xml_attr(&v, c, "hours");
        if (rc == CAPA_OK && !v && (rc = capa__xml_attr(&v, c, "working-days")) == CAPA_OK && v)
            l->working_days = -1; /* set below */
        if (rc != CAPA_OK)
            goto done;
        if (!l->severity || !l->kind || !v) {
            bad(w, c, "a limit needs severity, kind and hours or working-days", NULL, NULL);
            continue;
        }
        if (l->working_days) {
            long n = strtol(v, &end, 10);
            l->working_days = (int)n;
            if (*end || n < 1 || n > 365)
                bad(w, c, "limit %s: working-days '%s' must be a whole number from 1 to 365",
                    l->kind, v);
        } else {
            l->hours = strtod(v, &end);
            if (*end || !(l->hours > 0))
                bad(w, c, "limit %s: hours '%s' must be a positive number", l->kind, v);
            if (xmlHasProp(c, (const xmlChar *)"working-days"))
                bad(w, c, "limit %s: give hours or working-days, not both%s", l->kind, "");
        }
        for (size_t i = 0; i < sizeof limit_kinds / sizeof *limit_kinds; i++)
            known |= strcmp(l->kind, limit_kinds[i]) == 0;
        if (!known && capa_workflow_stage_index(wf, l->kind) < 0)
            bad(w, c,
                "limit kind `%s` is neither response, containment, plan, closure nor a "
                "stage id%s",
                l->kind, "");
        for (size_t i = 0; i + 1 < wf->n_limits; i++)
            if (wf->limits[i].severity && wf->limits[i].kind &&
                strcmp(wf->limits[i].severity, l->severity) == 0 &&
                strcmp(wf->limits[i].kind, l->kind) == 0)
                bad(w, c, "limit %s for severity '%s' is given twice", l->kind, l->severity);
    }
done:
    capa__free(v);
    return rc == CAPA_OK ? parse_escalations(wf, limits, w) : rc;
}

int capa_workflow_parse(capa_workflow **out, const char *xml, size_t len, const char *name,
                        capa_diag *diag)
{
    int rc;
    uint64_t oom_before = capa__oom_count();
    xmlDocPtr doc = NULL;
    xmlNode *root;
    capa_workflow *wf = NULL;
    char *version = NULL;
    walk w = {name ? name : "(workflow)", diag, 0, 0};

    *out = NULL;
    rc = capa__xml_parse(&doc, xml, len, w.name, "workflow.xsd", diag);
    if (rc != CAPA_OK)
        goto done;
    root = xmlDocGetRootElement(doc);
    if (!capa__xml_is(root, WF_NS, "workflow")) {
        rc = CAPA_EINVALID;
        bad(&w, root, "the root element must be <workflow xmlns=\"" WF_NS "\">", NULL, NULL);
        goto done;
    }
    rc = CAPA_ENOMEM;
    wf = capa__calloc(1, sizeof *wf);
    if (!wf)
        goto done;
    wf->source = capa__strndup(xml, len);
    if (!wf->source)
        goto done;
    wf->source_len = len;
    rc = capa__xml_attr(&version, root, "version");
    if (rc != CAPA_OK)
        goto done;
    wf->version = version ? atoi(version) : 0;
    if ((rc = capa__xml_attr(&wf->id, root, "id")) != CAPA_OK ||
        (rc = capa__xml_attr(&wf->label_zh, root, "zh")) != CAPA_OK ||
        (rc = capa__xml_attr(&wf->label_en, root, "en")) != CAPA_OK ||
        (rc = capa__xml_attr(&wf->number_pattern, root, "number")) != CAPA_OK)
        goto done;
    rc = CAPA_ENOMEM;
    if (!wf->id && !(wf->id = capa__strdup(CAPA_WORKFLOW_DEFAULT)))
        goto done;
    if (strcmp(wf->id, CAPA_WORKFLOW_DEFAULT) == 0 && wf->number_pattern)
        bad(&w, root, "the default workflow `%s` is numbered by the store's pattern (capa init "
                      "--number-pattern), not by a number attribute%s",
            wf->id, "");
    if (strcmp(wf->id, CAPA_WORKFLOW_DEFAULT) != 0 && !wf->number_pattern)
        bad(&w, root, "workflow `%s` needs a number attribute (e.g. number=\"SCAR-{YYYY}-{NNNN}\")%s",
            wf->id, "");
    rc = parse_roles(wf, child(root, "roles"), &w);
    if (rc == CAPA_OK)
        rc = parse_stages(wf, child(root, "stages"), &w);
    if (rc == CAPA_OK)
        rc = parse_limits(wf, child(root, "limits"), &w);
    if (rc == CAPA_OK && w.invalid)
        rc = CAPA_EINVALID;
done:
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (rc == CAPA_OK) {
        *out = wf;
        wf = NULL;
    }
    capa__free(version);
    capa_workflow_free(wf);
    xmlFreeDoc(doc);
    return rc;
}

int capa_workflow_load(capa_workflow **out, const char *path, capa_diag *diag)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    rc = capa__xml_read_file(&buf, &len, path, diag);
    if (rc == CAPA_OK)
        rc = capa_workflow_parse(out, buf, len, path, diag);
    capa__free(buf);
    return rc;
}

const capa_stage *capa_workflow_stage(const capa_workflow *w, const char *id)
{
    int i = capa_workflow_stage_index(w, id);
    return i < 0 ? NULL : &w->stages[i];
}

int capa_workflow_stage_index(const capa_workflow *w, const char *id)
{
    for (size_t i = 0; w && id && i < w->n_stages; i++)
        if (w->stages[i].id && strcmp(w->stages[i].id, id) == 0)
            return (int)i;
    return -1;
}

const capa_role *capa_workflow_role(const capa_workflow *w, const char *id)
{
    for (size_t i = 0; w && id && i < w->n_roles; i++)
        if (w->roles[i].id && strcmp(w->roles[i].id, id) == 0)
            return &w->roles[i];
    return NULL;
}

int capa_role_in(char *const *roles, size_t n, const char *role)
{
    for (size_t i = 0; roles && role && i < n; i++)
        if (roles[i] && strcmp(roles[i], role) == 0)
            return 1;
    return 0;
}

const char *capa_kv_get(const capa_kv *values, size_t n, const char *name)
{
    for (size_t i = 0; values && name && i < n; i++)
        if (values[i].name && strcmp(values[i].name, name) == 0)
            return values[i].value && *values[i].value ? values[i].value : NULL;
    return NULL;
}

int capa_condition_holds(const capa_condition *c, const capa_kv *values, size_t n)
{
    return capa_condition_check(c, values, n, 0, NULL);
}

static const capa_field *rule_field(const capa_formdef *fd, const char *group, const char *id);

int capa_condition_extended(const capa_condition *c)
{
    return c->group || c->if_field || c->n_any || c->waiver || c->stage || c->in_group;
}

const char *capa_condition_other(const capa_condition *c)
{
    return c->stage ? c->stage : c->if_stage;
}

int capa_condition_applies_in(const capa_condition *c, const capa_formdef *fd,
                              const capa_formdef *ofd)
{
    /* where the rule's rows and field are read, and where its `if` is */
    const capa_formdef *rows = c->stage ? ofd : fd, *iff = c->if_stage ? ofd : rows;
    if (rows) {
        if (c->group && !capa_formdef_field(rows, c->group))
            return 0;
        if (!rule_field(rows, c->group, c->field))
            return 0;
        for (size_t i = 0; i < c->n_any; i++)
            if (!rule_field(rows, c->group, c->any[i]))
                return 0;
    }
    if (iff && c->if_field && !rule_field(iff, c->if_stage ? NULL : c->group, c->if_field))
        return 0;
    if (fd && c->in_group &&
        (!rule_field(fd, c->in_group, c->in_column) ||
         (c->in_if && !rule_field(fd, c->in_group, c->in_if))))
        return 0;
    return 1;
}

int capa_condition_applies(const capa_condition *c, const capa_formdef *fd)
{
    return capa_condition_applies_in(c, fd, NULL);
}

const capa_waiver *capa_stage_waiver(const capa_stage *st, const char *meaning)
{
    for (size_t i = 0; st && meaning && i < st->n_waivers; i++)
        if (st->waivers[i].meaning && strcmp(st->waivers[i].meaning, meaning) == 0)
            return &st->waivers[i];
    return NULL;
}

/* The value of `col` in row `row` of `group` ("group.N.col"), or of top-level field `col`
 * when group is NULL. */
static const char *cell(const capa_kv *values, size_t n, const char *group, int row,
                        const char *col)
{
    char name[200];
    if (!group)
        return capa_kv_get(values, n, col);
    snprintf(name, sizeof name, "%s.%d.%s", group, row, col);
    return capa_kv_get(values, n, name);
}

/* The data a rule reads: this stage's, and the other stage's it names (stage=, if-stage=). */
typedef struct rule_data {
    const capa_kv *own, *rows, *iff;
    size_t n_own, n_rows, n_iff;
} rule_data;

static rule_data rule_data_of(const capa_condition *c, const capa_kv *values, size_t n,
                              const capa_kv *other, size_t n_other)
{
    rule_data d = {values, values, values, n, n, n};
    if (c->stage) {
        d.rows = d.iff = other;
        d.n_rows = d.n_iff = other ? n_other : 0;
    } else if (c->if_stage) {
        d.iff = other;
        d.n_iff = other ? n_other : 0;
    }
    return d;
}

/* The row number N of a value named "group.N.column", or 0. */
static int row_of(const char *name, const char *group)
{
    size_t gl = strlen(group);
    if (strncmp(name, group, gl) != 0 || name[gl] != '.')
        return 0;
    char *end;
    long r = strtol(name + gl + 1, &end, 10);
    return *end == '.' && r > 0 && r <= 100000 ? (int)r : 0;
}

/* in="G.C" (in-if, in-is): 1 when `v` stands in column C of a row of group G of this stage's
 * data whose in-if column is filled (holds in-is). */
static int found_in(const capa_condition *c, const rule_data *d, const char *v)
{
    for (size_t i = 0; i < d->n_own; i++) {
        const char *nm = d->own[i].name;
        int r = nm && d->own[i].value ? row_of(nm, c->in_group) : 0;
        if (!r || strcmp(d->own[i].value, v) != 0)
            continue;
        const char *col = strchr(nm + strlen(c->in_group) + 1, '.');
        if (!col || strcmp(col + 1, c->in_column) != 0)
            continue;
        const char *w = c->in_if ? cell(d->own, d->n_own, c->in_group, r, c->in_if) : NULL;
        if (!c->in_if || (w && (!c->in_is || strcmp(w, c->in_is) == 0)))
            return 1;
    }
    return 0;
}

/* Whether the rule holds in one row (0: top-level). */
static int holds_at(const capa_condition *c, const rule_data *d, int row)
{
    if (c->if_field) {
        const char *w = c->if_stage ? capa_kv_get(d->iff, d->n_iff, c->if_field)
                                    : cell(d->iff, d->n_iff, c->group, row, c->if_field);
        if (!w || (c->if_equals && strcmp(w, c->if_equals) != 0))
            return 1; /* does not apply here */
    }
    const char *v = cell(d->rows, d->n_rows, c->group, row, c->field);
    if (v && (!c->equals || strcmp(v, c->equals) == 0) && (!c->in_group || found_in(c, d, v)))
        return 1;
    for (size_t i = 0; i < c->n_any; i++)
        if (cell(d->rows, d->n_rows, c->group, row, c->any[i]))
            return 1;
    return 0;
}

int capa_condition_check_in(const capa_condition *c, const capa_kv *values, size_t n,
                            const capa_kv *other, size_t n_other, int waived, int *out_row)
{
    rule_data d = rule_data_of(c, values, n, other, n_other);
    if (out_row)
        *out_row = 0;
    if (c->waiver && waived)
        return 1;
    if (!c->group)
        return holds_at(c, &d, 0);
    /* Every row that has any value, lowest first: the first failing one is named. */
    int bad = 0;
    for (size_t i = 0; d.rows && i < d.n_rows; i++) {
        int r = d.rows[i].name && d.rows[i].value && *d.rows[i].value
                    ? row_of(d.rows[i].name, c->group)
                    : 0;
        if (r && (!bad || r < bad) && !holds_at(c, &d, r))
            bad = r;
    }
    if (out_row)
        *out_row = bad;
    return bad == 0;
}

int capa_condition_check(const capa_condition *c, const capa_kv *values, size_t n, int waived,
                         int *out_row)
{
    return capa_condition_check_in(c, values, n, NULL, 0, waived, out_row);
}

int capa_workflow_next(const capa_workflow *w, size_t idx, const capa_kv *values, size_t n,
                       const capa_route **out_route)
{
    const capa_stage *st = &w->stages[idx];
    if (out_route)
        *out_route = NULL;
    for (size_t k = 0; k < st->n_routes; k++) {
        const char *v = capa_kv_get(values, n, st->routes[k].field);
        int to = capa_workflow_stage_index(w, st->routes[k].to);
        if (v && strcmp(v, st->routes[k].equals) == 0 &&
            (st->routes[k].round ? to >= 0 && to <= (int)idx : to > (int)idx)) {
            if (out_route)
                *out_route = &st->routes[k];
            return to;
        }
    }
    return idx + 1 < w->n_stages ? (int)idx + 1 : -1;
}

/* A column of group g by id, or NULL. */
static const capa_field *rule_column(const capa_field *g, const char *id)
{
    for (size_t i = 0; g && id && i < g->n_columns; i++)
        if (strcmp(g->columns[i].id, id) == 0)
            return &g->columns[i];
    return NULL;
}

/* The field a rule names: a top-level field, or a column of `group`. */
static const capa_field *rule_field(const capa_formdef *fd, const char *group, const char *id)
{
    return group ? rule_column(capa_formdef_field(fd, group), id) : capa_formdef_field(fd, id);
}

/* A field's labels (its id when the form does not know it) and a value's (its choice's). */
static void field_labels_in(const capa_formdef *fd, const char *group, const char *id,
                            const char **zh, const char **en)
{
    const capa_field *f = rule_field(fd, group, id);
    *zh = f && f->label_zh ? f->label_zh : id;
    *en = f && f->label_en ? f->label_en : id;
}

static void field_labels(const capa_formdef *fd, const char *id, const char **zh, const char **en)
{
    field_labels_in(fd, NULL, id, zh, en);
}

static void value_labels_in(const capa_formdef *fd, const char *group, const char *id,
                            const char *v, const char **zh, const char **en)
{
    const capa_field *f = rule_field(fd, group, id);
    const capa_choice *ch = f && v ? capa_field_choice(f, v) : NULL;
    *zh = ch && ch->label_zh ? ch->label_zh : v;
    *en = ch && ch->label_en ? ch->label_en : v;
}

static void value_labels(const capa_formdef *fd, const char *id, const char *v, const char **zh,
                         const char **en)
{
    const capa_field *f = capa_formdef_field(fd, id);
    const capa_choice *ch = f && v ? capa_field_choice(f, v) : NULL;
    *zh = ch && ch->label_zh ? ch->label_zh : v;
    *en = ch && ch->label_en ? ch->label_en : v;
}

/* append to a fixed buffer */
static void cat(char *b, size_t sz, const char *fmt, const char *a, const char *c)
{
    size_t l = strlen(b);
    if (l < sz)
        snprintf(b + l, sz - l, fmt, a ? a : "", c ? c : "");
}

/* A stage's labels (its id when the workflow does not know it). */
static void stage_labels(const capa_workflow *w, const char *id, const char **zh, const char **en)
{
    const capa_stage *st = w && id ? capa_workflow_stage(w, id) : NULL;
    *zh = st && st->label_zh && *st->label_zh ? st->label_zh : id;
    *en = st && st->label_en && *st->label_en ? st->label_en : id;
}

/* The sentence of a <require> with group, if/is, or, waiver (IATF 16949 §10.2.4, 8D D7). */
static void rich_rule(char *zh, size_t zsz, char *en, size_t esz, const capa_workflow *w,
                      const capa_stage *st, const capa_formdef *fd, const capa_condition *c,
                      const capa_kv *values, size_t n, int signed_off, capa_stage_form_fn other,
                      void *payload)
{
    const char *fz, *fe, *vz, *ve, *sz, *se;
    const capa_formdef *ofd = fd; /* this stage's form */
    int row = 0, ok = capa_condition_check(c, values, n, 0, &row);
    *zh = *en = 0;
    cat(zh, zsz, "签核要求%s%s", "", "");
    cat(en, esz, "sign-off requires%s%s", "", "");
    /* A rule across stages names the fields of the other stage by that stage's form (fd is
     * this stage's), by id when the caller cannot give it. */
    const capa_formdef *rfd = !c->stage ? fd : other ? other(payload, c->stage) : NULL;
    const capa_formdef *ifd = !c->if_stage ? rfd : other ? other(payload, c->if_stage) : NULL;
    if (c->group) {
        field_labels(rfd, c->group, &fz, &fe);
        cat(zh, zsz, " 每行%s%s", fz, NULL);
        cat(en, esz, " in each row of %s%s", fe, NULL);
    }
    if (c->stage) {
        stage_labels(w, c->stage, &sz, &se);
        cat(zh, zsz, "（阶段“%s”）%s", sz, NULL);
        cat(en, esz, " of stage %s%s", se, NULL);
    }
    if (c->group) {
        cat(zh, zsz, "：%s%s", NULL, NULL);
        cat(en, esz, ":%s%s", NULL, NULL);
    }
    if (c->if_field) {
        field_labels_in(ifd, c->if_stage ? NULL : c->group, c->if_field, &fz, &fe);
        value_labels_in(ifd, c->if_stage ? NULL : c->group, c->if_field, c->if_equals, &vz,
                        &ve);
        cat(zh, zsz, c->if_equals ? " 当 %s = %s 时" : " 当 %s 已填写时%s", fz, vz);
        if (c->if_stage) {
            stage_labels(w, c->if_stage, &sz, &se);
            cat(zh, zsz, "（阶段“%s”）%s", sz, NULL);
            cat(en, esz, c->if_equals ? " where %s = %s" : " where %s is filled in%s", fe, ve);
            cat(en, esz, " in stage %s,%s", se, NULL);
        } else {
            cat(en, esz, c->if_equals ? " where %s = %s," : " where %s is filled in,%s", fe,
                ve);
        }
    }
    fd = rfd;
    field_labels_in(fd, c->group, c->field, &fz, &fe);
    if (c->equals) {
        value_labels_in(fd, c->group, c->field, c->equals, &vz, &ve);
        cat(zh, zsz, " %s = %s", fz, vz);
        cat(en, esz, " %s = %s", fe, ve);
    } else {
        cat(zh, zsz, " %s%s", fz, NULL);
        cat(en, esz, " %s%s", fe, NULL);
    }
    for (size_t i = 0; i < c->n_any; i++) {
        field_labels_in(fd, c->group, c->any[i], &fz, &fe);
        cat(zh, zsz, " 或 %s%s", fz, NULL);
        cat(en, esz, " or %s%s", fe, NULL);
    }
    if (!c->equals) {
        cat(zh, zsz, " 已填写%s%s", NULL, NULL);
        cat(en, esz, " filled in%s%s", NULL, NULL);
    }
    if (c->in_group) {
        const capa_formdef *own = ofd; /* in= names this stage's group */
        const char *gz, *ge;
        field_labels(own, c->in_group, &gz, &ge);
        field_labels_in(own, c->in_group, c->in_column, &fz, &fe);
        cat(zh, zsz, "，且见于本阶段 %s 的 %s", gz, fz);
        cat(en, esz, " and found in this stage's %s as %s", ge, fe);
        if (c->in_if) {
            field_labels_in(own, c->in_group, c->in_if, &fz, &fe);
            value_labels_in(own, c->in_group, c->in_if, c->in_is, &vz, &ve);
            cat(zh, zsz, c->in_is ? "（%s = %s 的行）" : "（%s 已填写的行）%s", fz, vz);
            cat(en, esz, c->in_is ? " in a row where %s = %s" : " in a row where %s is filled%s",
                fe, ve);
        }
    }
    const capa_waiver *wv = capa_stage_waiver(st, c->waiver);
    if (wv) {
        cat(zh, zsz, "，或有 %s（%s）签名", wv->label_zh, wv->meaning);
        cat(en, esz, ", or a waiver '%s' (%s) signed", wv->meaning, wv->label_en);
    }
    char r[32] = "";
    if (!ok && row)
        snprintf(r, sizeof r, " %d", row);
    if (!capa_condition_applies(c, ofd)) {
        cat(zh, zsz, "（本表单版本无此字段，不适用）%s%s", NULL, NULL);
        cat(en, esz, " (does not apply: this form version lacks the fields)%s%s", NULL, NULL);
    } else if (capa_condition_other(c) && !signed_off) {
        /* Its data are partly another stage's: the sign-off checks them (and replay). */
        stage_labels(w, capa_condition_other(c), &sz, &se);
        cat(zh, zsz, "（签核时按阶段“%s”的数据检查）%s", sz, NULL);
        cat(en, esz, " (checked at sign-off against stage %s's data)%s", se, NULL);
    } else if (ok || capa_condition_other(c)) {
        cat(zh, zsz, "（已满足）%s%s", NULL, NULL);
        cat(en, esz, " (met)%s%s", NULL, NULL);
    } else if (wv) {
        cat(zh, zsz, "（数据未满足%s%s，须豁免签名）", r[0] ? "：第" : "", r[0] ? r + 1 : "");
        cat(en, esz, " (not met by the data%s%s: the waiver stands in when signed)",
            r[0] ? ", row" : "", r);
    } else {
        cat(zh, zsz, signed_off ? "（未满足%s%s）" : "（尚未满足%s%s）", r[0] ? "：第" : "",
            r[0] ? r + 1 : "");
        cat(en, esz, signed_off ? " (NOT met%s%s)" : " (not met yet%s%s)", r[0] ? ", row" : "",
            r);
    }
}

int capa_stage_rule(char *zh, size_t zsz, char *en, size_t esz, const capa_workflow *w,
                    const capa_stage *st, const capa_formdef *fd, const capa_kv *values, size_t n,
                    int signed_off, size_t k, capa_stage_form_fn other, void *payload)
{
    const char *fz, *fe, *vz, *ve, *ez, *ee;
    if (k < st->n_requires && capa_condition_extended(&st->requires[k])) {
        rich_rule(zh, zsz, en, esz, w, st, fd, &st->requires[k], values, n, signed_off, other,
                  payload);
        return 1;
    }
    if (k < st->n_requires) {
        const capa_condition *c = &st->requires[k];
        const char *v = capa_kv_get(values, n, c->field);
        int ok = capa_condition_holds(c, values, n);
        field_labels(fd, c->field, &fz, &fe);
        value_labels(fd, c->field, v, &vz, &ve);
        if (c->equals) {
            value_labels(fd, c->field, c->equals, &ez, &ee);
            snprintf(zh, zsz, "签核要求 %s = %s；本案：%s（%s）", fz, ez, v ? vz : "空",
                     ok ? "已满足" : signed_off ? "未满足" : "尚未满足");
            snprintf(en, esz, "sign-off requires %s = %s; this case: %s (%s)", fe, ee,
                     v ? ve : "empty", ok ? "met" : signed_off ? "NOT met" : "not met yet");
        } else {
            snprintf(zh, zsz, "签核要求 %s 已填写（%s）", fz,
                     ok ? "已满足" : signed_off ? "未满足" : "尚未满足");
            snprintf(en, esz, "sign-off requires %s to be filled in (%s)", fe,
                     ok ? "met" : signed_off ? "NOT met" : "not met yet");
        }
        return 1;
    }
    k -= st->n_requires;
    if (st->sign_independent) {
        if (k == 0) {
            snprintf(zh, zsz, "审批独立：签核人不得修改过本阶段的任何字段");
            snprintf(en, esz, "independent sign-off: the signer changed no field of this stage");
            return 1;
        }
        k--;
    }
    if (k < st->n_routes) {
        const capa_route *r = &st->routes[k];
        const capa_stage *to = capa_workflow_stage(w, r->to);
        const char *v = capa_kv_get(values, n, r->field);
        int taken = v && strcmp(v, r->equals) == 0;
        field_labels(fd, r->field, &fz, &fe);
        value_labels(fd, r->field, r->equals, &ez, &ee);
        if (r->round) {
            snprintf(zh, zsz, "%s = %s 时不能结案，从 %s 起重新处理（%s）；本案：%s", fz, ez,
                     to && to->label_zh ? to->label_zh : r->to, r->label_zh,
                     taken ? (signed_off ? "已重新处理" : "将重新处理") : "否");
            snprintf(en, esz,
                     "when %s = %s the case cannot close and goes round again from %s (%s); "
                     "this case: %s",
                     fe, ee, to && to->label_en ? to->label_en : r->to, r->label_en,
                     taken ? (signed_off ? "sent round" : "will go round") : "no");
            return 1;
        }
        snprintf(zh, zsz, "%s = %s 时直接转至 %s（%s）；本案：%s", fz, ez,
                 to && to->label_zh ? to->label_zh : r->to, r->label_zh,
                 taken ? (signed_off ? "已转" : "将转") : "未转");
        snprintf(en, esz, "when %s = %s the case goes straight to %s (%s); this case: %s", fe, ee,
                 to && to->label_en ? to->label_en : r->to, r->label_en,
                 taken ? (signed_off ? "taken" : "will be taken") : "not taken");
        return 1;
    }
    return 0;
}

static const capa_formdef *find_form(const capa_formdef *const *forms, size_t n, const char *id)
{
    for (size_t i = 0; forms && id && i < n; i++)
        if (forms[i] && forms[i]->id && strcmp(forms[i]->id, id) == 0)
            return forms[i];
    return NULL;
}

/* A field a sign-off rule names: a column of group `g`, or (g NULL) a top-level non-group
 * field of form f; `eq` a choice of it when it is a choice. 1 when it is not (in diag). */
static int check_rule_field(capa_diag *diag, const capa_stage *st, const capa_formdef *f,
                            const capa_field *g, const char *id, const char *eq)
{
    const capa_field *fld = g ? rule_column(g, id) : capa_formdef_field(f, id);
    if (!fld || fld->type == CAPA_FT_GROUP) {
        if (g)
            capa_diag_add(diag,
                          "workflow: stage `%s`: the sign-off's rule names column `%s`, which is "
                          "not a column of group `%s` of form `%s`",
                          st->id, id ? id : "", g->id, f->id);
        else
            capa_diag_add(diag,
                          "workflow: stage `%s`: the sign-off's rule names field `%s`, which "
                          "is not a (non-group) field of form `%s`",
                          st->id, id ? id : "", f->id);
        return 1;
    }
    if (eq && fld->type == CAPA_FT_CHOICE && !capa_field_choice(fld, eq)) {
        capa_diag_add(diag,
                      "workflow: stage `%s`: the sign-off's rule wants field `%s` = '%s', "
                      "which is not a choice of form `%s`",
                      st->id, id, eq, f->id);
        return 1;
    }
    return 0;
}

int capa_workflow_check_forms(const capa_workflow *w, const capa_formdef *const *forms, size_t n,
                              capa_diag *diag)
{
    uint64_t oom_before = capa__oom_count();
    const capa_formdef *first = NULL;
    const capa_field *sev = NULL;
    int rc = CAPA_OK;

    for (size_t i = 0; i < w->n_stages; i++) {
        const capa_formdef *f = find_form(forms, n, w->stages[i].form_id);
        if (!f) {
            capa_diag_add(diag, "workflow: stage `%s` uses form `%s`, which is not defined",
                          w->stages[i].id, w->stages[i].form_id);
            rc = CAPA_EINVALID;
        }
        if (i == 0)
            first = f;
        const capa_stage *st = &w->stages[i];
        for (size_t k = 0; f && k < st->n_requires + st->n_routes; k++) {
            const capa_condition *q = k < st->n_requires ? &st->requires[k] : NULL;
            const char *id = q ? q->field : st->routes[k - st->n_requires].field;
            const char *eq = q ? q->equals : st->routes[k - st->n_requires].equals;
            const char *group = q ? q->group : NULL;
            /* A rule across stages reads its rows (stage=) or its `if` (if-stage=) in the
             * other stage's form. */
            const capa_stage *os = q && capa_condition_other(q)
                                       ? capa_workflow_stage(w, capa_condition_other(q))
                                       : NULL;
            const capa_formdef *of = os ? find_form(forms, n, os->form_id) : NULL;
            if (q && capa_condition_other(q) && !of)
                continue; /* capa_workflow_parse named the stage; its form is named above */
            const capa_formdef *rf = q && q->stage ? of : f;
            const capa_field *g = group ? capa_formdef_field(rf, group) : NULL;
            if (group && (!g || g->type != CAPA_FT_GROUP)) {
                capa_diag_add(diag,
                              "workflow: stage `%s`: the sign-off's rule names group `%s`, which "
                              "is not a group of form `%s`",
                              st->id, group, rf->id);
                rc = CAPA_EINVALID;
                continue;
            }
            if (check_rule_field(diag, st, rf, g, id, eq) ||
                (q && q->if_field &&
                 check_rule_field(diag, st, q->if_stage ? of : rf, q->if_stage ? NULL : g,
                                  q->if_field, q->if_equals)))
                rc = CAPA_EINVALID;
            for (size_t a = 0; q && a < q->n_any; a++)
                if (check_rule_field(diag, st, rf, g, q->any[a], NULL))
                    rc = CAPA_EINVALID;
            const capa_field *ig = q && q->in_group ? capa_formdef_field(f, q->in_group) : NULL;
            if (q && q->in_group && (!ig || ig->type != CAPA_FT_GROUP)) {
                capa_diag_add(diag,
                              "workflow: stage `%s`: the sign-off's rule names `in` group `%s`, "
                              "which is not a group of form `%s`",
                              st->id, q->in_group, f->id);
                rc = CAPA_EINVALID;
                continue;
            }
            if (ig && (check_rule_field(diag, st, f, ig, q->in_column, NULL) ||
                       (q->in_if && check_rule_field(diag, st, f, ig, q->in_if, q->in_is))))
                rc = CAPA_EINVALID;
        }
    }
    sev = capa_formdef_field(first, "severity");
    for (size_t i = 0; sev && sev->type == CAPA_FT_CHOICE && i < w->n_limits; i++) {
        const char *s = w->limits[i].severity;
        if (strcmp(s, "*") != 0 && !capa_field_choice(sev, s)) {
            capa_diag_add(diag,
                          "workflow: limit %s is for severity '%s', which is not a choice of "
                          "field `severity` of form `%s`",
                          w->limits[i].kind, s, first->id);
            rc = CAPA_EINVALID;
        }
    }
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    return rc;
}
