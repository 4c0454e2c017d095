/*
 * archive.c - the XML case archive (schemas/case.xsd): `capa export` writes one case, and the
 * parser reads one back for `capa import --xml` and for the replay of an import event.
 *
 * The document states the case as the exporting store holds it (header, each reached stage
 * with its form id and version, signatures, attachment digests) together with what it is
 * derived from: the case's audit events, each with the chain hash before it (prev) and after
 * it, and the definitions its records were filled with. Times are integer milliseconds and
 * an absent attribute or element is a value never set, so every event re-encodes to the very
 * bytes its chain hash covers. The writer is libxml2's (escaping included: a line break in an
 * attribute, a carriage return in a text, stay what they were); the parser is the one safe
 * parser of forms/xml.c (no DOCTYPE, entities or network; 64 MiB, 256 levels at most) with
 * the schema, and then this file's own checks of what a schema cannot say.
 */
#include "archive.h"

#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "attach.h"
#include "codec.h"
#include "record.h"
#include "xml.h"

/* ---- parsing ---- */

typedef struct pctx {
    capa_diag *diag;
    const char *name;
    int oom;
} pctx;

static char *attr(pctx *p, const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
    if (!v)
        return NULL;
    char *c = capa__strdup((const char *)v);
    xmlFree(v);
    if (!c)
        p->oom = 1;
    return c;
}

static char *text(pctx *p, const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *c = capa__strdup(v ? (const char *)v : "");
    xmlFree(v);
    if (!c)
        p->oom = 1;
    return c;
}

static int64_t attr_i64(pctx *p, const xmlNode *n, const char *name)
{
    char *v = attr(p, n, name), *end = NULL;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end)
        capa_diag_add(p->diag, "%s:%ld: <%s> %s: not a number", p->name, capa__xml_line(n),
                      (const char *)n->name, name);
    capa__free(v);
    return (int64_t)x;
}

/* An optional number: 0 when the attribute is absent. */
static int64_t attr_i64_opt(pctx *p, const xmlNode *n, const char *name)
{
    return xmlHasProp(n, (const xmlChar *)name) ? attr_i64(p, n, name) : 0;
}

static int attr_bool(pctx *p, const xmlNode *n, const char *name)
{
    char *v = attr(p, n, name);
    int b = v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
    capa__free(v);
    return b;
}

static int is(const xmlNode *n, const char *local)
{
    return capa__xml_is(n, CAPA_ARCHIVE_NS, local);
}

static xmlNode *first(const xmlNode *n)
{
    return n ? capa__xml_elem(n->children) : NULL;
}

static xmlNode *next(const xmlNode *n)
{
    return capa__xml_elem(n->next);
}

static size_t count(const xmlNode *list, const char *local)
{
    size_t k = 0;
    for (xmlNode *n = first(list); n; n = next(n))
        k += is(n, local);
    return k;
}

static void parse_stage(pctx *p, const xmlNode *n, capa_stage_record *r)
{
    r->stage = attr(p, n, "id");
    r->form_id = attr(p, n, "form");
    r->form_version = (int)attr_i64(p, n, "form-version");
    r->entered = attr_i64(p, n, "entered");
    r->left = attr_i64(p, n, "left");
    for (xmlNode *c = first(n); c && !p->oom; c = next(c)) {
        if (is(c, "editor")) {
            char *u = text(p, c);
            if (u && capa_stage__add_editor(r, u))
                p->oom = 1;
            capa__free(u);
        } else if (is(c, "value")) {
            char *k = attr(p, c, "name"), *v = text(p, c);
            if (k && v && capa_stage__value(r, k))
                capa_diag_add(p->diag, "%s:%ld: stage %s: value `%s` given twice", p->name,
                              capa__xml_line(c), r->stage, k);
            else if (k && v && *v && capa_stage__set(r, k, v))
                p->oom = 1;
            capa__free(k);
            capa__free(v);
        }
    }
}

static void parse_sig(pctx *p, const xmlNode *n, capa_signature *g)
{
    char *hash = attr(p, n, "data-hash");
    g->seq = (uint64_t)attr_i64(p, n, "seq");
    g->stage = attr(p, n, "stage");
    g->kind = attr(p, n, "kind");
    g->meaning = attr(p, n, "meaning");
    g->user = attr(p, n, "user");
    g->name = attr(p, n, "name");
    g->role = attr(p, n, "role");
    g->time = attr_i64(p, n, "time");
    g->superseded = attr_bool(p, n, "superseded");
    g->round = (int)attr_i64_opt(p, n, "round");
    if (g->round < 1)
        g->round = 1;
    if (hash && strlen(hash) == 64)
        memcpy(g->data_hash, hash, 65);
    capa__free(hash);
    for (xmlNode *c = first(n); c; c = next(c))
        if (is(c, "reason"))
            g->reason = text(p, c);
}

static void parse_att(pctx *p, const xmlNode *n, capa_attachment *a)
{
    char *sha = attr(p, n, "sha256");
    a->seq = (uint64_t)attr_i64(p, n, "seq");
    a->name = attr(p, n, "name");
    a->stage = attr(p, n, "stage");
    a->mime = attr(p, n, "mime");
    a->size = (uint64_t)attr_i64(p, n, "size");
    a->user = attr(p, n, "user");
    a->user_name = attr(p, n, "user-name");
    a->time = attr_i64(p, n, "time");
    if (sha && strlen(sha) == 64)
        memcpy(a->sha256, sha, 65);
    capa__free(sha);
    for (xmlNode *c = first(n); c; c = next(c))
        if (is(c, "note"))
            a->note = text(p, c);
}

static void parse_event(pctx *p, const xmlNode *n, capa_event_rec *e, unsigned char prev[32])
{
    char *actor = attr(p, n, "actor"), *action = attr(p, n, "action"), *num = attr(p, n, "case"),
         *stage = attr(p, n, "stage"), *reason = NULL, *ph = attr(p, n, "prev"),
         *hh = attr(p, n, "hash");
    for (xmlNode *c = first(n); c; c = next(c))
        if (is(c, "reason") && !reason)
            reason = text(p, c);
    capa_event__init(e, actor, action, num, stage, reason);
    e->version = (int)attr_i64(p, n, "version");
    e->ev.version = e->version;
    e->ev.seq = (uint64_t)attr_i64(p, n, "seq");
    e->ev.time = attr_i64(p, n, "time");
    for (xmlNode *c = first(n); c && !e->oom; c = next(c)) {
        if (is(c, "change")) {
            char *field = attr(p, c, "field"), *o = NULL, *w = NULL;
            for (xmlNode *x = first(c); x; x = next(x)) {
                if (is(x, "old") && !o)
                    o = text(p, x);
                else if (is(x, "new") && !w)
                    w = text(p, x);
            }
            capa_event__change(e, field, o, w);
            capa__free(field);
            capa__free(o);
            capa__free(w);
        } else if (is(c, "fact")) {
            char *k = attr(p, c, "name"), *v = text(p, c);
            if (k && v)
                capa_event__fact(e, k, v);
            capa__free(k);
            capa__free(v);
        }
    }
    if (!ph || capa__unhex(prev, 32, ph) != 0 || !hh || capa__unhex(e->hash, 32, hh) != 0)
        capa_diag_add(p->diag, "%s:%ld: event %llu: prev and hash must be SHA-256 hex", p->name,
                      capa__xml_line(n), (unsigned long long)e->ev.seq);
    else
        capa__hex(e->ev.hash, e->hash, 32);
    if (e->oom)
        p->oom = 1;
    capa__free(actor);
    capa__free(action);
    capa__free(num);
    capa__free(stage);
    capa__free(reason);
    capa__free(ph);
    capa__free(hh);
}

void capa_archive__free(capa_archive *a)
{
    if (!a)
        return;
    capa__free(a->org);
    capa__free(a->pattern);
    capa__free(a->timezone);
    capa__free(a->anchor);
    capa_case_free(a->c);
    for (size_t i = 0; i < a->n_events; i++)
        capa_event__clear(&a->events[i]);
    capa__free(a->events);
    capa__free(a->prev);
    for (size_t i = 0; i < a->n_defs; i++) {
        capa__free(a->defs[i].id);
        capa__free(a->defs[i].xml);
    }
    capa__free(a->defs);
    capa__free(a);
}

int capa_archive__parse(capa_archive **out, const char *xml, size_t len, const char *name,
                        capa_diag *diag)
{
    xmlDocPtr doc = NULL;
    capa_archive *a = NULL;
    pctx p = {diag, name ? name : "(case archive)", 0};
    size_t before = diag->n;
    *out = NULL;
    int err = capa__xml_parse_max(&doc, xml, len, p.name, "case.xsd", CAPA_ARCHIVE_MAX_BYTES,
                                  diag);
    if (err)
        return err;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!(a = capa__calloc(1, sizeof *a)) || !(a->c = capa__calloc(1, sizeof *a->c))) {
        err = CAPA_ENOMEM;
        goto done;
    }
    a->c->number = attr(&p, root, "number");
    for (xmlNode *n = first(root); n && !p.oom; n = next(n)) {
        if (is(n, "store")) {
            a->org = attr(&p, n, "org");
            a->pattern = attr(&p, n, "pattern");
            a->timezone = attr(&p, n, "timezone");
            a->anchor = attr(&p, n, "anchor");
            a->exported = attr_i64(&p, n, "exported");
        } else if (is(n, "header")) {
            a->c->stage = attr(&p, n, "stage");
            a->c->closed = attr_bool(&p, n, "closed");
            a->c->opened = attr_i64(&p, n, "opened");
            a->c->closed_at = attr_i64(&p, n, "closed-at");
            a->c->opened_by = attr(&p, n, "opened-by");
            a->c->round = (int)attr_i64_opt(&p, n, "round");
            a->c->round_at = attr_i64_opt(&p, n, "round-at");
        } else if (is(n, "stages")) {
            size_t k = count(n, "stage");
            if (!(a->c->stages = capa__calloc(k ? k : 1, sizeof *a->c->stages)) ||
                !(a->c->earlier = capa__calloc(k ? k : 1, sizeof *a->c->earlier)))
                p.oom = 1;
            /* A stage with a round is a record an earlier round left (二次处理). */
            for (xmlNode *c = first(n); c && !p.oom; c = next(c)) {
                if (!is(c, "stage"))
                    continue;
                int64_t round = attr_i64_opt(&p, c, "round");
                if (round > 0) {
                    capa_stage_record *r = &a->c->earlier[a->c->n_earlier++];
                    parse_stage(&p, c, r);
                    r->round = (int)round;
                } else {
                    parse_stage(&p, c, &a->c->stages[a->c->n_stages++]);
                }
            }
        } else if (is(n, "signatures")) {
            size_t k = count(n, "signature");
            if (!(a->c->signatures = capa__calloc(k ? k : 1, sizeof *a->c->signatures)))
                p.oom = 1;
            for (xmlNode *c = first(n); c && !p.oom; c = next(c))
                if (is(c, "signature"))
                    parse_sig(&p, c, &a->c->signatures[a->c->n_signatures++]);
        } else if (is(n, "attachments")) {
            size_t k = count(n, "attachment");
            if (!(a->c->attachments = capa__calloc(k ? k : 1, sizeof *a->c->attachments)))
                p.oom = 1;
            for (xmlNode *c = first(n); c && !p.oom; c = next(c))
                if (is(c, "attachment"))
                    parse_att(&p, c, &a->c->attachments[a->c->n_attachments++]);
        } else if (is(n, "events")) {
            size_t k = count(n, "event");
            if (!(a->events = capa__calloc(k ? k : 1, sizeof *a->events)) ||
                !(a->prev = capa__calloc(k ? k : 1, sizeof *a->prev)))
                p.oom = 1;
            for (xmlNode *c = first(n); c && !p.oom; c = next(c))
                if (is(c, "event")) {
                    parse_event(&p, c, &a->events[a->n_events], a->prev[a->n_events]);
                    a->n_events++;
                }
        } else if (is(n, "definitions")) {
            size_t k = count(n, "definition");
            if (!(a->defs = capa__calloc(k ? k : 1, sizeof *a->defs)))
                p.oom = 1;
            for (xmlNode *c = first(n); c && !p.oom; c = next(c))
                if (is(c, "definition")) {
                    capa_arch_def *d = &a->defs[a->n_defs++];
                    d->id = attr(&p, c, "id");
                    d->version = (int)attr_i64(&p, c, "version");
                    d->xml = text(&p, c);
                }
        }
    }
    if (p.oom) {
        err = CAPA_ENOMEM;
        goto done;
    }
    /* What the schema cannot say: events in order, each the case's, signatures in order. */
    for (size_t i = 0; i < a->n_events; i++) {
        const capa_event *e = &a->events[i].ev;
        if (i && e->seq <= a->events[i - 1].ev.seq)
            capa_diag_add(diag, "%s: event %llu follows event %llu: events must be in order",
                          p.name, (unsigned long long)e->seq,
                          (unsigned long long)a->events[i - 1].ev.seq);
        if (!e->case_number || strcmp(e->case_number, a->c->number) != 0)
            capa_diag_add(diag, "%s: event %llu (%s) is not of case %s", p.name,
                          (unsigned long long)e->seq, e->action, a->c->number);
    }
    if (a->n_events && strcmp(a->events[0].ev.action, "open") != 0)
        capa_diag_add(diag, "%s: the first event is %s, not the case's open", p.name,
                      a->events[0].ev.action);
    for (size_t i = 0; i < a->n_defs; i++)
        if (a->defs[i].version <= 0)
            capa_diag_add(diag, "%s: definition %s: bad version", p.name, a->defs[i].id);
    err = diag->n > before ? CAPA_EINVALID : CAPA_OK;
done:
    xmlFreeDoc(doc);
    if (err) {
        capa_archive__free(a);
        return err;
    }
    *out = a;
    return CAPA_OK;
}

/* ---- writing ---- */

typedef struct wctx {
    xmlTextWriterPtr w;
    int bad;
} wctx;

static void start(wctx *x, const char *name)
{
    /* libxml2 2.9.14's xmlTextWriterStartElement ignores a failed xmlListPushFront: the
     * element it made is lost (a leak LeakSanitizer finds when the allocation-failure walk
     * fails that allocation) and the call still reports success. Fault injection is kept out
     * of this one call (as out of schema validation, forms/xml.c); a real out-of-memory
     * there is libxml2's to handle. */
    capa__alloc_shield(1);
    int rc = xmlTextWriterStartElement(x->w, (const xmlChar *)name);
    capa__alloc_shield(0);
    if (rc < 0)
        x->bad = 1;
}

static void end(wctx *x)
{
    if (xmlTextWriterEndElement(x->w) < 0)
        x->bad = 1;
}

static void at(wctx *x, const char *name, const char *v)
{
    if (v && xmlTextWriterWriteAttribute(x->w, (const xmlChar *)name, (const xmlChar *)v) < 0)
        x->bad = 1;
}

static void at_i64(wctx *x, const char *name, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    at(x, name, buf);
}

static void elem(wctx *x, const char *name, const char *v)
{
    if (!v)
        return;
    capa__alloc_shield(1); /* it starts an element too: see start() */
    int rc = xmlTextWriterWriteElement(x->w, (const xmlChar *)name, (const xmlChar *)v);
    capa__alloc_shield(0);
    if (rc < 0)
        x->bad = 1;
}

/* An element with attributes and a text. */
static void elem_named(wctx *x, const char *name, const char *k, const char *kv, const char *v)
{
    start(x, name);
    at(x, k, kv);
    if (xmlTextWriterWriteString(x->w, (const xmlChar *)(v ? v : "")) < 0)
        x->bad = 1;
    end(x);
}

/* A stage record; one an earlier round left (二次处理) carries that round. */
static void write_stage(wctx *w, const capa_stage_record *r)
{
    start(w, "stage");
    at(w, "id", r->stage);
    if (r->round > 0)
        at_i64(w, "round", r->round);
    at(w, "form", r->form_id);
    at_i64(w, "form-version", r->form_version);
    at_i64(w, "entered", r->entered);
    at_i64(w, "left", r->left);
    for (size_t k = 0; k < r->n_editors; k++)
        elem(w, "editor", r->editors[k]);
    for (size_t k = 0; k < r->n_values; k++)
        elem_named(w, "value", "name", r->values[k].name, r->values[k].value);
    end(w);
}

static void write_event(wctx *x, const capa_event_rec *e, const unsigned char prev[32])
{
    char ph[65];
    capa__hex(ph, prev, 32);
    start(x, "event");
    at_i64(x, "seq", (int64_t)e->ev.seq);
    at_i64(x, "version", e->version);
    at_i64(x, "time", e->ev.time);
    at(x, "actor", e->ev.actor);
    at(x, "action", e->ev.action);
    at(x, "case", e->ev.case_number);
    at(x, "stage", e->ev.stage);
    at(x, "prev", ph);
    at(x, "hash", e->ev.hash);
    elem(x, "reason", e->ev.reason);
    for (size_t i = 0; i < e->n_changes; i++) {
        start(x, "change");
        at(x, "field", e->changes[i].field);
        elem(x, "old", e->changes[i].old_value);
        elem(x, "new", e->changes[i].new_value);
        end(x);
    }
    for (size_t i = 0; i < e->n_facts; i++)
        elem_named(x, "fact", "name", e->facts[i].name, e->facts[i].value);
    end(x);
}

/* What an export is made of, gathered in one read transaction. */
typedef struct exp {
    capa_case *c;
    capa_hdr h;
    capa_event_rec *events;
    unsigned char (*prev)[32];
    size_t n_events;
    capa_arch_def *defs;
    size_t n_defs;
    capa_archive *from; /* an imported case: the archive it came from */
    capa_event_rec import;
    int have_import;
    char *org, *pattern, *timezone;
} exp;

static int raw_def(capa_store *s, MDB_txn *txn, const char *id, int version, char **out)
{
    unsigned char key[256];
    size_t n = strlen(id);
    MDB_val v;
    if (n + 5 > sizeof key)
        return CAPA_ENOTFOUND;
    memcpy(key, id, n);
    key[n] = 0;
    capa_be32(key + n + 1, (uint32_t)version);
    int err = capa_store__get(txn, s->dbi[DB_FORMS], key, n + 5, &v);
    if (err)
        return err == CAPA_ENOTFOUND
                   ? capa_error_set(CAPA_ECORRUPT, "export: definition %s v%d is missing", id,
                                    version)
                   : err;
    if (!(*out = capa__strndup(v.mv_data, v.mv_size)))
        return capa_error_set(CAPA_ENOMEM, "export: out of memory");
    return CAPA_OK;
}

static int add_def(exp *x, capa_store *s, MDB_txn *txn, const char *id, int version)
{
    for (size_t i = 0; i < x->n_defs; i++)
        if (strcmp(x->defs[i].id, id) == 0 && x->defs[i].version == version)
            return CAPA_OK;
    capa_arch_def *d = capa__realloc(x->defs, (x->n_defs + 1) * sizeof *d);
    if (!d)
        return capa_error_set(CAPA_ENOMEM, "export: out of memory");
    x->defs = d;
    d = &x->defs[x->n_defs];
    memset(d, 0, sizeof *d);
    d->version = version;
    if (!(d->id = capa__strdup(id)))
        return capa_error_set(CAPA_ENOMEM, "export: out of memory");
    x->n_defs++;
    return raw_def(s, txn, id, version, &d->xml);
}

static int cmp_def(const void *a, const void *b)
{
    const capa_arch_def *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->version > y->version) - (x->version < y->version);
}

static int gather(exp *x, capa_store *s, const char *number)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    uint64_t id;
    int err = capa_case_get(&x->c, s, number);
    if (err || (err = capa_store__read_begin(s, &txn)))
        return err;
    if ((err = capa__case_id(s, txn, number, &id)) || (err = capa_hdr__get(s, txn, id, &x->h)) ||
        (err = capa_meta__get_str(s, txn, "org", &x->org)) ||
        (err = capa_meta__get_str(s, txn, "pattern", &x->pattern)))
        goto done;
    if ((err = capa_meta__get_str(s, txn, "timezone", &x->timezone)) == CAPA_ENOTFOUND)
        err = (x->timezone = capa__strdup("UTC")) ? CAPA_OK : CAPA_ENOMEM;
    if (err)
        goto done;
    unsigned char ck[8];
    capa_be64(ck, id);
    MDB_val k = {8, ck}, v;
    int rc = mdb_cursor_open(txn, s->dbi[DB_CASE_EVENTS], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_SET_KEY); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP)) {
        unsigned char sk[8];
        MDB_val ev;
        uint64_t seq = capa_get_be64(v.mv_data);
        capa_event_rec e;
        memcpy(sk, v.mv_data, 8);
        if ((err = capa_store__get(txn, s->dbi[DB_EVENTS], sk, 8, &ev)) ||
            (err = capa_event__decode(&e, ev.mv_data, ev.mv_size, NULL, NULL)))
            goto done;
        if (strcmp(e.ev.action, "import_archive") == 0) {
            x->import = e;
            x->have_import = 1;
            continue;
        }
        capa_event_rec *p = capa__realloc(x->events, (x->n_events + 1) * sizeof *p);
        unsigned char(*q)[32] = p ? capa__realloc(x->prev, (x->n_events + 1) * sizeof *q) : NULL;
        if (p)
            x->events = p;
        if (!q) {
            capa_event__clear(&e);
            err = capa_error_set(CAPA_ENOMEM, "export: out of memory");
            goto done;
        }
        x->prev = q;
        x->events[x->n_events] = e;
        memset(x->prev[x->n_events], 0, 32);
        if (seq > 1) {
            capa_be64(sk, seq - 1);
            if ((err = capa_store__get(txn, s->dbi[DB_EVENTS], sk, 8, &ev)))
                goto done;
            if (ev.mv_size < 33) {
                err = capa_error_set(CAPA_ECORRUPT, "export: audit event %llu is damaged",
                                     (unsigned long long)(seq - 1));
                goto done;
            }
            memcpy(x->prev[x->n_events], (const unsigned char *)ev.mv_data + ev.mv_size - 32, 32);
        }
        x->n_events++;
    }
    if (rc && rc != MDB_NOTFOUND) {
        err = capa_store__mdb_err(rc, "export: case events");
        goto done;
    }
    if (x->have_import) {
        /* An archived copy: its events and definitions are those of the archive it came in. */
        capa_diag diag = {0};
        const char *doc = capa_event__get(&x->import, "archive");
        err = doc ? capa_archive__parse(&x->from, doc, strlen(doc), "import event", &diag)
                  : CAPA_ECORRUPT;
        capa_diag_clear(&diag);
        if (err) {
            err = capa_error_set(err == CAPA_ENOMEM ? err : CAPA_ECORRUPT,
                                 "export %s: the import event's archive does not parse", number);
            goto done;
        }
    } else {
        int wf = 0;
        if ((err = capa_store__form_latest(s, txn, CAPA_WORKFLOW_ID, &wf)) ||
            (err = add_def(x, s, txn, CAPA_WORKFLOW_ID, wf)))
            goto done;
        for (size_t i = 0; i < x->c->n_stages; i++)
            if (x->c->stages[i].form_version > 0 &&
                (err = add_def(x, s, txn, x->c->stages[i].form_id, x->c->stages[i].form_version)))
                goto done;
        qsort(x->defs, x->n_defs, sizeof *x->defs, cmp_def);
    }
done:
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    return err;
}

static void exp_clear(exp *x)
{
    capa_case_free(x->c);
    capa_hdr_clear(&x->h);
    for (size_t i = 0; i < x->n_events; i++)
        capa_event__clear(&x->events[i]);
    capa__free(x->events);
    capa__free(x->prev);
    for (size_t i = 0; i < x->n_defs; i++) {
        capa__free(x->defs[i].id);
        capa__free(x->defs[i].xml);
    }
    capa__free(x->defs);
    capa_archive__free(x->from);
    if (x->have_import)
        capa_event__clear(&x->import);
    capa__free(x->org);
    capa__free(x->pattern);
    capa__free(x->timezone);
}

int capa_case_export(char **out, size_t *out_len, capa_store *s, const char *number)
{
    exp x;
    char anchor[100];
    xmlBufferPtr buf = NULL;
    wctx w = {NULL, 0};
    memset(&x, 0, sizeof x);
    *out = NULL;
    *out_len = 0;
    int err = gather(&x, s, number);
    if (err || (err = capa_anchor_current(anchor, sizeof anchor, s)))
        goto done;
    if (!(buf = xmlBufferCreate()) || !(w.w = xmlNewTextWriterMemory(buf, 0))) {
        err = capa_error_set(CAPA_ENOMEM, "export: out of memory");
        goto done;
    }
    xmlTextWriterSetIndent(w.w, 1);
    xmlTextWriterSetIndentString(w.w, (const xmlChar *)"  ");
    if (xmlTextWriterStartDocument(w.w, NULL, "UTF-8", NULL) < 0)
        w.bad = 1;
    const capa_case *c = x.c;
    start(&w, "case");
    at(&w, "xmlns", CAPA_ARCHIVE_NS);
    at(&w, "format", "1");
    /* An imported copy is written with its number at origin, not its address here. */
    at(&w, "number", x.from ? x.from->c->number : c->number);
    start(&w, "store");
    at(&w, "org", x.org);
    at(&w, "pattern", x.pattern);
    at(&w, "timezone", x.timezone);
    at(&w, "anchor", anchor);
    at_i64(&w, "exported", capa_store__now(s));
    end(&w);
    start(&w, "header");
    at(&w, "stage", c->stage);
    at(&w, "closed", c->closed ? "true" : "false");
    at_i64(&w, "opened", c->opened);
    at_i64(&w, "closed-at", c->closed_at);
    at(&w, "opened-by", c->opened_by);
    if (c->round > 1) { /* 二次处理 */
        at_i64(&w, "round", c->round);
        at_i64(&w, "round-at", c->round_at);
    }
    end(&w);
    start(&w, "stages");
    for (size_t i = 0; i < c->n_stages; i++) {
        const capa_stage_record *r = &c->stages[i];
        if (r->form_version <= 0)
            continue; /* not reached */
        write_stage(&w, r);
    }
    for (size_t i = 0; i < c->n_earlier; i++) /* the records earlier rounds left */
        write_stage(&w, &c->earlier[i]);
    end(&w);
    start(&w, "signatures");
    for (size_t i = 0; i < c->n_signatures; i++) {
        const capa_signature *g = &c->signatures[i];
        start(&w, "signature");
        at_i64(&w, "seq", (int64_t)g->seq);
        at(&w, "stage", g->stage);
        at(&w, "kind", g->kind);
        at(&w, "meaning", g->meaning ? g->meaning : "");
        at(&w, "user", g->user);
        at(&w, "name", g->name ? g->name : "");
        at(&w, "role", g->role ? g->role : "");
        at_i64(&w, "time", g->time);
        at(&w, "data-hash", g->data_hash);
        at(&w, "superseded", g->superseded ? "true" : "false");
        if (g->round > 1)
            at_i64(&w, "round", g->round);
        elem(&w, "reason", g->reason);
        end(&w);
    }
    end(&w);
    start(&w, "attachments");
    for (size_t i = 0; i < c->n_attachments; i++) {
        const capa_attachment *a = &c->attachments[i];
        start(&w, "attachment");
        at_i64(&w, "seq", (int64_t)a->seq);
        at(&w, "name", a->name);
        at(&w, "stage", a->stage);
        at(&w, "mime", a->mime);
        at_i64(&w, "size", (int64_t)a->size);
        at(&w, "sha256", a->sha256);
        at(&w, "user", a->user);
        at(&w, "user-name", a->user_name);
        at_i64(&w, "time", a->time);
        elem(&w, "note", a->note);
        end(&w);
    }
    end(&w);
    start(&w, "events");
    if (x.from)
        for (size_t i = 0; i < x.from->n_events; i++)
            write_event(&w, &x.from->events[i], x.from->prev[i]);
    else
        for (size_t i = 0; i < x.n_events; i++)
            write_event(&w, &x.events[i], x.prev[i]);
    end(&w);
    start(&w, "definitions");
    const capa_arch_def *defs = x.from ? x.from->defs : x.defs;
    size_t n_defs = x.from ? x.from->n_defs : x.n_defs;
    for (size_t i = 0; i < n_defs; i++) {
        start(&w, "definition");
        at(&w, "id", defs[i].id);
        at_i64(&w, "version", defs[i].version);
        if (xmlTextWriterWriteString(w.w, (const xmlChar *)defs[i].xml) < 0)
            w.bad = 1;
        end(&w);
    }
    end(&w);
    if (x.have_import) {
        start(&w, "import");
        at(&w, "org", x.org);
        at_i64(&w, "seq", (int64_t)x.import.ev.seq);
        at(&w, "hash", x.import.ev.hash);
        at_i64(&w, "time", x.import.ev.time);
        at(&w, "actor", x.import.ev.actor);
        end(&w);
    }
    end(&w);
    if (xmlTextWriterEndDocument(w.w) < 0)
        w.bad = 1;
    xmlFreeTextWriter(w.w);
    w.w = NULL;
    if (w.bad) {
        err = capa_error_set(CAPA_ENOMEM, "export %s: the XML writer failed", number);
        goto done;
    }
    size_t n = (size_t)xmlBufferLength(buf);
    if (!(*out = capa__malloc(n + 1))) {
        err = capa_error_set(CAPA_ENOMEM, "export: out of memory");
        goto done;
    }
    memcpy(*out, xmlBufferContent(buf), n);
    (*out)[n] = 0;
    *out_len = n;
done:
    if (w.w)
        xmlFreeTextWriter(w.w);
    if (buf)
        xmlBufferFree(buf);
    exp_clear(&x);
    return err;
}
