/*
 * notify.c - notices at every hand-over (issue 18): who is told, derived from the events.
 *
 * When a case is opened, signed on, sent back or closed, the people who must fill or sign
 * the stage it enters (the users holding its editor and signer roles, as the state stands at
 * that point of the trail) are told, and so is the case's first-contact owner (首问负责人:
 * who logged it, or whom an "owner" event made it) at every hand-over and at closing. apply
 * derives, from each such event, one notice record, an inbox entry per person and one
 * pending delivery per notice target; a "deliver" event removes what a target took. Being
 * derived by apply, all of it is rebuilt and compared by `verify`.
 *
 * Who gets what is data too: "user_set" events carry a user's mobile, e-mail and the kinds
 * of notice they chose; "notify_target" events add and remove WeCom, DingTalk and SMTP
 * targets. A target's URL and secret are not in the trail (it is published and printed):
 * the event carries the URL masked and the SHA-256 of URL and secret, the secret itself
 * lives in volatile_notify_secret and is checked against that digest before each use.
 * Sending is the tools' (core knows no HTTP); the actor of a delivery is the store's owner.
 *
 * Records are short "key=value" lines (values never hold a newline), compared byte for byte.
 */
#include "refusal.h"
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "cases.h"
#include "codec.h"
#include "commit.h"
#include "scan.h"
#include "users.h"

#define SECRET_DB "notify_secret"
#define NAME_MAX_LEN 32

/* ---- small record codec: "key=value\n" ---- */

static void rec_put(capa_buf *b, const char *key, const char *value)
{
    capa_buf_bytes(b, key, strlen(key));
    capa_buf_bytes(b, "=", 1);
    for (const char *p = value ? value : ""; *p; p++)
        capa_buf_bytes(b, *p == '\n' || *p == '\r' ? " " : p, 1);
    capa_buf_bytes(b, "\n", 1);
}

/* A fresh copy of `key`'s value in rec (len bytes), "" when absent; NULL on no memory. */
static char *rec_get(const void *rec, size_t len, const char *key)
{
    const char *p = rec, *end = p + len;
    size_t kl = strlen(key);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        if ((size_t)(nl - p) > kl && memcmp(p, key, kl) == 0 && p[kl] == '=')
            return capa__strndup(p + kl + 1, (size_t)(nl - p - (ptrdiff_t)kl - 1));
        p = nl + 1;
    }
    return capa__strdup("");
}

static int in_list(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (n == wl && n && strncmp(p, word, n) == 0)
            return 1;
        p += n;
    }
    return 0;
}

/* ---- checks of what users type ---- */

static int check_mobile(const char *m)
{
    size_t n = strlen(m), digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i] >= '0' && m[i] <= '9')
            digits++;
        else if (!(i == 0 && m[i] == '+'))
            digits = 100;
    }
    if (n && (digits < 5 || digits > 20))
        return capa__refuse(CAPA_EINVALID, "notify.mobile", "mobile", m,
                            "user set: field `mobile`: value '%.40s': must be 5 to 20 digits, "
                            "optionally after a +",
                            m);
    return CAPA_OK;
}

/* A bare address: it goes into an SMTP envelope and a header, so nothing but the usual
 * characters (no name, no white space, no angle brackets, no second address). */
static int check_email(const char *field, const char *a)
{
    const char *at = strchr(a, '@');
    int ok = at && at > a && strchr(at + 1, '@') == NULL && strchr(at + 1, '.') && at[1] != '.' &&
             a[strlen(a) - 1] != '.' && strlen(a) <= 254;
    for (const char *p = a; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr("@._%+-", *p);
    if (*a && !ok)
        return capa__refuse(CAPA_EINVALID, "notify.email",
                            strstr(field, "--from") ? "from" : "email", a,
                            "%s: value '%.80s': must be a plain address local@domain (letters, "
                            "digits and . _ %% + -)",
                            field, a);
    return CAPA_OK;
}

/* "all", "none" or kinds joined by commas or spaces, into the canonical space-separated
 * list in CAPA_NOTICE_KINDS order. */
static int norm_kinds(char *out, size_t sz, const char *in)
{
    char word[32];
    out[0] = 0;
    if (strcmp(in, "all") == 0) {
        snprintf(out, sz, "%s", CAPA_NOTICE_KINDS);
        return CAPA_OK;
    }
    if (strcmp(in, "none") == 0) {
        snprintf(out, sz, "none");
        return CAPA_OK;
    }
    for (const char *p = in; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (!n)
            break;
        snprintf(word, sizeof word, "%.*s", (int)(n < 31 ? n : 31), p);
        if (n > 31 || !in_list(CAPA_NOTICE_KINDS, word)) {
            int err_ = capa__refuse(CAPA_EINVALID, "notify.kind", "notify", in,
                                    "user set: field `notify`: value '%.60s': '%s' is not a kind "
                                    "of notice (all, none, or of: %s)",
                                    in, word, CAPA_NOTICE_KINDS);
            capa__refusal_param("kind", "%s", word);
            capa__refusal_param("kinds", "%s", CAPA_NOTICE_KINDS);
            return err_;
        }
        p += n;
    }
    size_t o = 0;
    for (const char *k = CAPA_NOTICE_KINDS; *k;) {
        size_t n = strcspn(k, " ");
        snprintf(word, sizeof word, "%.*s", (int)n, k);
        if (in_list(in, word))
            o += (size_t)snprintf(out + o, sz - o, "%s%s", o ? " " : "", word);
        k += n;
        k += strspn(k, " ");
    }
    if (!o) {
        int err_ = capa__refuse(CAPA_EINVALID, "notify.kinds_none", "notify", in,
                                "user set: field `notify`: value '%.60s': name kinds of notice "
                                "(all, none, or of: %s)",
                                in, CAPA_NOTICE_KINDS);
        capa__refusal_param("kinds", "%s", CAPA_NOTICE_KINDS);
        return err_;
    }
    return CAPA_OK;
}

static int require_admin(capa_wtxn *t, const char *what)
{
    int err = capa__require_admin(t, what);
    return err ? err : capa_store__require_init(t->s, t->txn);
}

static int get_rec(capa_wtxn *t, int db, const void *key, size_t klen, MDB_val *v)
{
    return capa_store__get(t->txn, t->s->dbi[db], key, klen, v);
}

/* ---- contacts ---- */

typedef struct set_arg {
    const char *id, *mobile, *email, *notify;
} set_arg;

static int do_user_set(capa_wtxn *t, void *arg)
{
    set_arg *a = arg;
    capa_user_rec u;
    capa_event_rec e;
    MDB_val v;
    int err = capa_store__require_init(t->s, t->txn);
    if (err)
        return err;
    if (strcmp(t->actor->u.role, "admin") != 0 && strcmp(t->actor->u.id, a->id) != 0) {
        int err_ = capa__refuse(CAPA_EDENIED, "notify.contact_role", NULL, NULL,
                                "user set %s: user `%s` has role %s; only admin or the user "
                                "themself may",
                                a->id, t->actor->u.id, t->actor->u.role);
        capa__refusal_param("role", "%s", t->actor->u.role);
        return err_;
    }
    if ((err = capa_user__get(t->s, t->txn, a->id, &u)) == CAPA_ENOTFOUND)
        return capa__refuse(CAPA_ENOTFOUND, "user.not_found", "user", a->id,
                            "user set: user `%.40s`: no such user", a->id);
    if (err)
        return err;
    capa_user_rec_clear(&u);
    err = get_rec(t, DB_CONTACTS, a->id, strlen(a->id), &v);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    const char *fields[] = {"mobile", "email", "notify"};
    const char *vals[] = {a->mobile, a->email, a->notify};
    capa_event__init(&e, t->actor->u.id, "user_set", NULL, NULL, NULL);
    capa_event__fact(&e, "user", a->id);
    for (int i = 0; i < 3; i++) {
        if (!vals[i])
            continue;
        char *old = err ? capa__strdup("") : rec_get(v.mv_data, v.mv_size, fields[i]);
        capa_event__change(&e, fields[i], old && *old ? old : NULL, *vals[i] ? vals[i] : NULL);
        capa_event__fact(&e, fields[i], vals[i]);
        capa__free(old);
    }
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

int capa_user_set_contact(capa_store *s, const capa_actor *who, const char *id, const char *mobile,
                          const char *email, const char *notify)
{
    char kinds[128];
    int err;
    if (!id || !*id)
        return capa__refuse(CAPA_EINVALID, "user.missing", "user", "", "user set: no user given");
    if (!mobile && !email && !notify)
        return capa__refuse(CAPA_EINVALID, "notify.contact_nothing", NULL, NULL,
                            "user set %s: nothing to set (--mobile, --email or --notify)", id);
    /* Checked before the password and the write lock: bad input changes nothing. */
    if ((mobile && (err = check_mobile(mobile))) ||
        (email && (err = check_email("user set: field `email`", email))))
        return err;
    if (notify && (err = norm_kinds(kinds, sizeof kinds, notify)))
        return err;
    set_arg a = {id, mobile, email, notify ? kinds : NULL};
    return capa_store__mutate(s, who, do_user_set, &a);
}

int capa_notify__apply_user_set(capa_wtxn *t, const capa_event_rec *e)
{
    const char *id = capa_event__get(e, "user");
    capa_user_rec u;
    MDB_val v;
    capa_buf b = {0};
    if (!id)
        return capa_apply__corrupt(e, "user_set without a user%s%s", NULL, NULL);
    int err = capa_user__get(t->s, t->txn, id, &u);
    if (err == CAPA_ENOTFOUND)
        return capa_apply__corrupt(e, "contact of unknown user `%s`%s", id, NULL);
    if (err)
        return err;
    capa_user_rec_clear(&u);
    err = get_rec(t, DB_CONTACTS, id, strlen(id), &v);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    const char *fields[] = {"mobile", "email", "notify"};
    for (int i = 0; i < 3; i++) {
        const char *nv = capa_event__get(e, fields[i]);
        char *old = err ? capa__strdup("") : rec_get(v.mv_data, v.mv_size, fields[i]);
        rec_put(&b, fields[i], nv ? nv : old ? old : "");
        capa__free(old);
    }
    err = b.oom ? capa_error_set(CAPA_ENOMEM, "user_set: out of memory")
                : capa_store__put(t->txn, t->s->dbi[DB_CONTACTS], id, strlen(id), b.p, b.len, 0);
    capa_buf_free(&b);
    return err;
}

void capa_contact_free(capa_contact *c)
{
    if (!c)
        return;
    capa__free(c->user);
    capa__free(c->mobile);
    capa__free(c->email);
    capa__free(c->notify);
    capa__free(c);
}

/* The contact of `id` as txn sees it (defaults when none). */
static int contact_read(capa_contact *c, capa_store *s, MDB_txn *txn, const char *id)
{
    MDB_val v = {0, NULL};
    int err = capa_store__has(s, DB_CONTACTS)
                  ? capa_store__get(txn, s->dbi[DB_CONTACTS], id, strlen(id), &v)
                  : CAPA_ENOTFOUND;
    if (err && err != CAPA_ENOTFOUND)
        return err;
    memset(c, 0, sizeof *c);
    c->user = capa__strdup(id);
    c->mobile = rec_get(v.mv_data, v.mv_size, "mobile");
    c->email = rec_get(v.mv_data, v.mv_size, "email");
    c->notify = rec_get(v.mv_data, v.mv_size, "notify");
    if (c->notify && !*c->notify) {
        capa__free(c->notify);
        c->notify = capa__strdup(CAPA_NOTICE_KINDS);
    }
    if (!c->user || !c->mobile || !c->email || !c->notify) {
        capa__free(c->user), capa__free(c->mobile), capa__free(c->email), capa__free(c->notify);
        return capa_error_set(CAPA_ENOMEM, "contact: out of memory");
    }
    return CAPA_OK;
}

int capa_user_contact(capa_contact **out, capa_store *s, const char *id)
{
    MDB_txn *txn = NULL;
    capa_user_rec u;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if ((err = capa_user__get(s, txn, id, &u)) == CAPA_ENOTFOUND)
        err = capa_error_set(CAPA_ENOTFOUND, "user `%.40s`: no such user", id);
    if (!err) {
        capa_user_rec_clear(&u);
        capa_contact *c = capa__calloc(1, sizeof *c);
        if (!c)
            err = capa_error_set(CAPA_ENOMEM, "contact: out of memory");
        else if ((err = contact_read(c, s, txn, id)))
            capa__free(c);
        else
            *out = c;
    }
    capa_store__read_end(s, txn);
    return err;
}

/* ---- targets ---- */

typedef struct target_arg {
    const char *op, *name, *kind, *shown, *digest, *from, *link;
    int signed_;
} target_arg;

static int do_target(capa_wtxn *t, void *arg)
{
    target_arg *a = arg;
    capa_event_rec e;
    MDB_val v;
    int add = strcmp(a->op, "add") == 0;
    int err = require_admin(t, add ? "config notify add" : "config notify remove");
    if (err)
        return err;
    err = get_rec(t, DB_TARGETS, a->name, strlen(a->name), &v);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    if (add && !err)
        return capa__refuse(CAPA_EEXISTS, "notify.target_exists", "name", a->name,
                            "config notify add: target `%s` exists (remove it first)", a->name);
    if (!add && err)
        return capa__refuse(CAPA_ENOTFOUND, "notify.target_unknown", "name", a->name,
                            "config notify remove: no target `%.40s`", a->name);
    capa_event__init(&e, t->actor->u.id, "notify_target", NULL, NULL, NULL);
    capa_event__change(&e, "notify_target", add ? NULL : a->name, add ? a->name : NULL);
    capa_event__fact(&e, "op", a->op);
    capa_event__fact(&e, "name", a->name);
    if (add) {
        capa_event__fact(&e, "kind", a->kind);
        capa_event__fact(&e, "shown", a->shown);
        capa_event__fact(&e, "digest", a->digest);
        capa_event__fact(&e, "from", a->from ? a->from : "");
        capa_event__fact(&e, "link", a->link ? a->link : "");
        capa_event__fact(&e, "signed", a->signed_ ? "1" : "0");
    }
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

/* The URL as it may be shown: scheme and host kept, user info, path and query masked. */
static void mask_url(char *out, size_t sz, const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strchr(host, '@'), *slash = strchr(host, '/');
    if (at && (!slash || at < slash))
        host = at + 1;
    size_t hl = strcspn(host, "/?#");
    snprintf(out, sz, "%.*s%.*s%s", scheme ? (int)(scheme + 3 - url) : 0, url, (int)hl, host,
             host[hl] ? "/…" : "");
}

static int check_http_url(const char *what, const char *url)
{
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strlen(url) > 2048 || strpbrk(url, " \t\r\n") || strlen(url) < 10)
        return capa__refuse(CAPA_EINVALID, "notify.url", "url", NULL,
                            "%s: value '%.40s…': must be an http:// or https:// URL of at most "
                            "2048 characters without white space",
                            what, url);
    return CAPA_OK;
}

int capa_notify_target_add(capa_store *s, const capa_actor *who, const char *name, const char *kind,
                           const char *url, const char *secret, const char *from, const char *link)
{
    char shown[300], digest[65];
    int err;
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-' || name[i] == '_'))
            n = 0;
    if (n == 0 || n > NAME_MAX_LEN) {
        int err_ = capa__refuse(CAPA_EINVALID, "notify.target_name", "name", name ? name : "",
                                "config notify add: name '%.40s': must be 1 to %d of a-z 0-9 - _",
                                name ? name : "", NAME_MAX_LEN);
        capa__refusal_param("max", "%d", NAME_MAX_LEN);
        return err_;
    }
    if (!kind || !url)
        return capa__refuse(CAPA_EINVALID, "notify.target_url_missing", "url", NULL,
                            "config notify add %s: one of --wecom URL, --dingtalk URL or "
                            "--smtp URL is needed",
                            name);
    int robot = strcmp(kind, "wecom") == 0 || strcmp(kind, "dingtalk") == 0;
    if (!robot && strcmp(kind, "smtp") != 0)
        return capa__refuse(CAPA_EINVALID, "notify.target_kind", "kind", kind,
                            "config notify add %s: kind '%.20s': must be wecom, dingtalk or "
                            "smtp",
                            name, kind);
    if (robot && (err = check_http_url(kind, url)))
        return err;
    if (!robot && ((strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0) ||
                   strlen(url) > 2048 || strpbrk(url, " \t\r\n")))
        return capa__refuse(CAPA_EINVALID, "notify.smtp_url", "url", NULL,
                            "config notify add %s: --smtp: value '%.40s': must be an smtp:// or "
                            "smtps:// URL without white space",
                            name, url);
    if (secret && strcmp(kind, "dingtalk") != 0)
        return capa__refuse(CAPA_EINVALID, "notify.secret_kind", "secret", NULL,
                            "config notify add %s: --secret: only a DingTalk robot signs "
                            "(加签)",
                            name);
    if (secret && (!*secret || strlen(secret) > 256 || strpbrk(secret, " \t\r\n")))
        return capa__refuse(CAPA_EINVALID, "notify.secret", "secret", NULL,
                            "config notify add %s: --secret: must be 1 to 256 characters "
                            "without white space",
                            name);
    if (!robot && (!from || !*from))
        return capa__refuse(CAPA_EINVALID, "notify.from_missing", "from", NULL,
                            "config notify add %s: --smtp needs --from ADDRESS", name);
    if (robot && from)
        return capa__refuse(CAPA_EINVALID, "notify.from_robot", "from", from,
                            "config notify add %s: --from is for --smtp only", name);
    if (from && (err = check_email("config notify add: --from", from)))
        return err;
    if (link && *link && (err = check_http_url("config notify add: --link", link)))
        return err;
    mask_url(shown, sizeof shown, url);
    /* What the event attests: the URL and the secret (NUL-separated), hashed. */
    size_t ul = strlen(url), sl = secret ? strlen(secret) : 0;
    char *both = capa__malloc(ul + sl + 2);
    if (!both)
        return capa_error_set(CAPA_ENOMEM, "config notify add: out of memory");
    memcpy(both, url, ul + 1);
    if (secret)
        memcpy(both + ul + 1, secret, sl + 1);
    else
        both[ul + 1] = 0;
    capa_sha256_hex(digest, both, ul + sl + 2);
    target_arg a = {"add", name, kind, shown, digest, from, link, secret != NULL};
    err = capa_store__mutate(s, who, do_target, &a);
    /* The secret after the event, so only an admin's accepted change writes it. */
    if (!err && (err = capa_volatile_put(s, SECRET_DB, name, both, ul + sl + 2)))
        err = capa_error_set(err,
                             "config notify add %s: recorded, but its URL could not be kept (%s): "
                             "remove and add it again",
                             name, capa_error_last());
    capa__free(both);
    return err;
}

int capa_notify_target_remove(capa_store *s, const capa_actor *who, const char *name)
{
    if (!name || !*name)
        return capa__refuse(CAPA_EINVALID, "notify.target_missing", "name", "",
                            "config notify remove: no target given");
    target_arg a = {"remove", name, NULL, NULL, NULL, NULL, NULL, 0};
    int err = capa_store__mutate(s, who, do_target, &a);
    if (!err)
        capa_volatile_del(s, SECRET_DB, name);
    return err;
}

/* Remove every pending delivery of target `name`. */
static int purge_pending(capa_wtxn *t, const char *name)
{
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t nl = strlen(name);
    int rc = mdb_cursor_open(t->txn, t->s->dbi[DB_PENDING], &cur);
    for (rc = rc ? rc : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;) {
        if (k.mv_size == 8 + nl && memcmp((char *)k.mv_data + 8, name, nl) == 0) {
            if ((rc = mdb_cursor_del(cur, 0)))
                break;
            rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
            if (rc == MDB_NOTFOUND || rc == EINVAL)
                rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? capa_store__mdb_err(rc, "notice_outbox") : CAPA_OK;
}

int capa_notify__apply_target(capa_wtxn *t, const capa_event_rec *e)
{
    const char *op = capa_event__get(e, "op"), *name = capa_event__get(e, "name");
    MDB_val v;
    if (!op || !name || !*name)
        return capa_apply__corrupt(e, "notify_target without op or name%s%s", NULL, NULL);
    int err = get_rec(t, DB_TARGETS, name, strlen(name), &v);
    if (err && err != CAPA_ENOTFOUND)
        return err;
    if (strcmp(op, "remove") == 0) {
        if (err)
            return capa_apply__corrupt(e, "target `%s` removed but never added%s", name, NULL);
        if ((err = capa_store__del(t->txn, t->s->dbi[DB_TARGETS], name, strlen(name), NULL, 0)))
            return err;
        return purge_pending(t, name);
    }
    if (strcmp(op, "add") != 0)
        return capa_apply__corrupt(e, "notify_target op `%s`%s", op, NULL);
    if (!err)
        return capa_apply__corrupt(e, "target `%s` added twice%s", name, NULL);
    const char *kind = capa_event__get(e, "kind");
    if (!kind || (strcmp(kind, "wecom") && strcmp(kind, "dingtalk") && strcmp(kind, "smtp")))
        return capa_apply__corrupt(e, "target `%s` of kind `%s`", name, kind ? kind : "");
    capa_buf b = {0};
    char seq[24];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)e->ev.seq);
    rec_put(&b, "kind", kind);
    rec_put(&b, "shown", capa_event__get(e, "shown"));
    rec_put(&b, "digest", capa_event__get(e, "digest"));
    rec_put(&b, "from", capa_event__get(e, "from"));
    rec_put(&b, "link", capa_event__get(e, "link"));
    rec_put(&b, "signed", capa_event__get(e, "signed"));
    rec_put(&b, "seq", seq);
    err = b.oom ? capa_error_set(CAPA_ENOMEM, "notify_target: out of memory")
                : capa_store__put(t->txn, t->s->dbi[DB_TARGETS], name, strlen(name), b.p, b.len, 0);
    capa_buf_free(&b);
    return err;
}

void capa_notify_targets_free(capa_notify_target *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        capa__free(a[i].name), capa__free(a[i].kind), capa__free(a[i].shown);
        capa__free(a[i].from), capa__free(a[i].link), capa__free(a[i].digest);
    }
    capa__free(a);
}

static int target_from(capa_notify_target *x, const MDB_val *k, const MDB_val *v)
{
    char *sig = rec_get(v->mv_data, v->mv_size, "signed");
    char *seq = rec_get(v->mv_data, v->mv_size, "seq");
    memset(x, 0, sizeof *x);
    x->name = capa__strndup(k->mv_data, k->mv_size);
    x->kind = rec_get(v->mv_data, v->mv_size, "kind");
    x->shown = rec_get(v->mv_data, v->mv_size, "shown");
    x->from = rec_get(v->mv_data, v->mv_size, "from");
    x->link = rec_get(v->mv_data, v->mv_size, "link");
    x->digest = rec_get(v->mv_data, v->mv_size, "digest");
    x->signed_ = sig && strcmp(sig, "1") == 0;
    x->seq = seq ? strtoull(seq, NULL, 10) : 0;
    int ok = sig && seq && x->name && x->kind && x->shown && x->from && x->link && x->digest;
    capa__free(sig);
    capa__free(seq);
    return ok ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "targets: out of memory");
}

int capa_notify_targets(capa_notify_target **out, size_t *n, capa_store *s)
{
    MDB_txn *txn = NULL;
    capa_scan sc = {0};
    *out = NULL;
    *n = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!capa_store__has(s, DB_TARGETS))
        goto done;
    for (int on = capa_scan__first(&sc, txn, s->dbi[DB_TARGETS]); on && !err;
         on = capa_scan__next(&sc)) {
        capa_notify_target *p = capa__realloc(*out, (*n + 1) * sizeof *p);
        if (!p) {
            err = capa_error_set(CAPA_ENOMEM, "targets: out of memory");
            break;
        }
        *out = p;
        err = target_from(&p[(*n)++], &sc.k, &sc.v);
    }
done:
    err = capa_scan__end(&sc, err, "notify_targets");
    capa_store__read_end(s, txn);
    if (err) {
        capa_notify_targets_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
}

int capa_notify_target_secret(char **url, char **secret, capa_store *s, const char *name)
{
    capa_notify_target *all = NULL;
    size_t n = 0, len = 0;
    void *val = NULL;
    char digest[65];
    *url = *secret = NULL;
    int err = capa_notify_targets(&all, &n, s);
    const capa_notify_target *x = NULL;
    for (size_t i = 0; !err && i < n; i++)
        if (strcmp(all[i].name, name) == 0)
            x = &all[i];
    if (!err && !x)
        err = capa__refuse(CAPA_ENOTFOUND, "notify.target_unknown", "name", name,
                           "notify target `%.40s`: no such target", name);
    if (!err && (err = capa_volatile_get(&val, &len, s, SECRET_DB, name)) == CAPA_ENOTFOUND)
        err = capa_error_set(CAPA_ENOTFOUND,
                             "notify target `%s`: its URL is not in this store (a copy made "
                             "without it?): remove and add it again",
                             name);
    if (!err) {
        capa_sha256_hex(digest, val, len);
        const char *sec = memchr(val, 0, len);
        if (strcmp(digest, x->digest) != 0 || !sec || (size_t)(sec - (char *)val) + 2 > len)
            err = capa_error_set(CAPA_ECORRUPT,
                                 "notify target `%s`: the URL and secret kept are not those its "
                                 "event %llu attests (SHA-256 differs): not used",
                                 name, (unsigned long long)x->seq);
        else if (!(*url = capa__strdup(val)) || !(*secret = capa__strdup(sec + 1)))
            err = capa_error_set(CAPA_ENOMEM, "notify target: out of memory");
    }
    if (err) {
        capa__free(*url), capa__free(*secret);
        *url = *secret = NULL;
    }
    capa__free(val);
    capa_notify_targets_free(all, n);
    return err;
}

/* ---- owners ---- */

/* The owner of case `id` in txn: the reassigned one, else who opened it. */
static int owner_of(char **out, capa_store *s, MDB_txn *txn, uint64_t id)
{
    unsigned char k[8];
    MDB_val v;
    *out = NULL;
    capa_be64(k, id);
    int err = capa_store__has(s, DB_OWNERS) ? capa_store__get(txn, s->dbi[DB_OWNERS], k, 8, &v)
                                            : CAPA_ENOTFOUND;
    if (!err) {
        *out = capa__strndup(v.mv_data, v.mv_size);
        return *out ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "owner: out of memory");
    }
    if (err != CAPA_ENOTFOUND)
        return err;
    /* Who logged it: the header's opened_by (set by the open or import event). */
    capa_hdr h;
    if ((err = capa_hdr__get(s, txn, id, &h)))
        return err;
    *out = capa__strdup(h.opened_by ? h.opened_by : "");
    capa_hdr_clear(&h);
    return *out ? CAPA_OK : capa_error_set(CAPA_ENOMEM, "owner: out of memory");
}

int capa_case_owner(char **out, capa_store *s, const char *number)
{
    MDB_txn *txn = NULL;
    uint64_t id = 0;
    *out = NULL;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!(err = capa__case_id(s, txn, number, &id)))
        err = owner_of(out, s, txn, id);
    capa_store__read_end(s, txn);
    return err;
}

typedef struct owner_arg {
    const char *number, *user, *reason;
} owner_arg;

static int may_reassign(const char *role, const char *actor, const char *owner)
{
    return strcmp(role, "admin") == 0 || strcmp(role, "qe_lead") == 0 ||
           (owner && strcmp(actor, owner) == 0);
}

static int do_owner(capa_wtxn *t, void *arg)
{
    owner_arg *a = arg;
    capa_hdr h;
    capa_user_rec u;
    capa_event_rec e;
    char *old = NULL;
    const capa_workflow *wf = NULL;
    int err = capa_case__load(&h, t->s, t->txn, a->number, 0, "owner");
    if (err)
        return err;
    if (h.closed) {
        err = capa__refuse(CAPA_ESTATE, "owner.closed", NULL, NULL,
                           "case %s: closed; its owner stays", h.number);
        capa__refusal_where("owner", h.number, NULL);
        goto done;
    }
    if ((err = owner_of(&old, t->s, t->txn, h.id)))
        goto done;
    if (!may_reassign(t->actor->u.role, t->actor->u.id, old)) {
        err = capa__refuse(CAPA_EDENIED, "owner.role", NULL, NULL,
                           "case %s: owner: user `%s` has role %s; only admin, qe_lead or the "
                           "owner (%s) may reassign it",
                           h.number, t->actor->u.id, t->actor->u.role, old);
        capa__refusal_param("role", "%s", t->actor->u.role);
        capa__refusal_param("owner", "%s", old);
        capa__refusal_where("owner", h.number, NULL);
        goto done;
    }
    if ((err = capa_user__get(t->s, t->txn, a->user, &u)) == CAPA_ENOTFOUND) {
        err = capa__refuse(CAPA_EINVALID, "user.not_found", "owner", a->user,
                           "case %s: owner: value '%.40s': no such user", h.number, a->user);
        capa__refusal_where("owner", h.number, NULL);
        goto done;
    }
    if (err)
        goto done;
    int locked = u.u.locked, disabled = u.u.disabled;
    capa_user_rec_clear(&u);
    if (locked || disabled || strcmp(old, a->user) == 0) {
        err = capa__refuse(CAPA_EINVALID, "owner.user", "owner", a->user,
                           "case %s: owner: value '%s': %s", h.number, a->user,
                           locked     ? "the account is locked"
                           : disabled ? "the account is disabled"
                                      : "already the owner");
        capa__refusal_param("why", "%s", locked ? "locked" : disabled ? "disabled" : "owner");
        capa__refusal_where("owner", h.number, NULL);
        goto done;
    }
    if ((err = capa_store__workflow_of(&wf, t->s, t->txn, h.workflow)))
        goto done;
    capa_event__init(&e, t->actor->u.id, "owner", h.number, h.stage, a->reason);
    capa_event__change(&e, "owner", old, a->user);
    capa_event__factf(&e, "case_id", "%llu", (unsigned long long)h.id);
    capa_event__factf(&e, "from", "%d", capa_workflow_stage_index(wf, h.stage));
    capa_event__fact(&e, "user", a->user);
    capa_event__fact(&e, "auth", "1");
    err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
done:
    capa__free(old);
    capa_hdr_clear(&h);
    return err;
}

int capa_case_owner_set(capa_store *s, const capa_actor *who, const char *number, const char *user,
                        const char *reason)
{
    if (!number || !user || !*user)
        return capa__refuse(CAPA_EINVALID, "owner.missing", NULL, NULL,
                            "owner: a case and a user are needed");
    int err = capa_case__check_reason("owner", number, reason, 1);
    if (err)
        return err;
    owner_arg a = {number, user, reason};
    return capa_store__mutate(s, who, do_owner, &a);
}

int capa_notify__apply_owner(capa_wtxn *t, const capa_event_rec *e, uint64_t id, const char *role)
{
    const char *user = capa_event__get(e, "user");
    char *old = NULL;
    capa_user_rec u;
    capa_hdr h;
    unsigned char k[8];
    if (!user || !*user)
        return capa_apply__corrupt(e, "owner event without a user%s%s", NULL, NULL);
    int err = capa_hdr__get(t->s, t->txn, id, &h);
    if (err)
        return err;
    int closed = h.closed;
    capa_hdr_clear(&h);
    if (closed)
        return capa_apply__corrupt(e, "owner of a closed case reassigned%s%s", NULL, NULL);
    /* A replay without accounts (one case's archive) takes the owner as its store checked. */
    if (role && (err = capa_user__get(t->s, t->txn, user, &u)) == CAPA_ENOTFOUND)
        return capa_apply__corrupt(e, "owner `%s` is no user%s", user, NULL);
    if (err)
        return err;
    if (role)
        capa_user_rec_clear(&u);
    if ((err = owner_of(&old, t->s, t->txn, id)))
        return err;
    if (role && !may_reassign(role, e->ev.actor, old))
        err = capa_apply__corrupt(e, "user `%s` may not reassign the owner of this case%s",
                                  e->ev.actor, NULL);
    capa__free(old);
    if (err)
        return err;
    capa_be64(k, id);
    return capa_store__put(t->txn, t->s->dbi[DB_OWNERS], k, 8, user, strlen(user), 0);
}

/* ---- deriving a notice ---- */

typedef struct person {
    char id[64];
    char name[128];
    char why[32];
} person;

typedef struct people {
    person *p;
    size_t n;
} people;

static int add_person(people *ps, const char *id, const char *name, const char *why)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].id, id) == 0) {
            if (!in_list(ps->p[i].why, why)) {
                size_t l = strlen(ps->p[i].why);
                snprintf(ps->p[i].why + l, sizeof ps->p[i].why - l, ",%s", why);
            }
            return CAPA_OK;
        }
    person *np = capa__realloc(ps->p, (ps->n + 1) * sizeof *np);
    if (!np)
        return capa_error_set(CAPA_ENOMEM, "notice: out of memory");
    ps->p = np;
    snprintf(np[ps->n].id, sizeof np->id, "%s", id);
    snprintf(np[ps->n].name, sizeof np->name, "%s", name ? name : "");
    snprintf(np[ps->n].why, sizeof np->why, "%s", why);
    ps->n++;
    return CAPA_OK;
}

/* Whether `id` chose to get notices of `kind`. */
static int wants(capa_wtxn *t, const char *id, const char *kind, int *out)
{
    capa_contact c;
    int err = contact_read(&c, t->s, t->txn, id);
    if (err)
        return err;
    *out = in_list(c.notify, kind);
    capa__free(c.user), capa__free(c.mobile), capa__free(c.email), capa__free(c.notify);
    return CAPA_OK;
}

static int store_empty(capa_wtxn *t, int db)
{
    MDB_stat st;
    return mdb_stat(t->txn, t->s->dbi[db], &st) != 0 || st.ms_entries == 0;
}

/* Whether stored field `name` is what tell path `field` ("f", or "group.f" for every row:
 * "group.N.f") names. */
static int tell_matches(const char *field, const char *name)
{
    const char *dot = strchr(field, '.');
    if (!dot)
        return strcmp(field, name) == 0;
    size_t g = (size_t)(dot - field);
    if (strncmp(name, field, g) != 0 || name[g] != '.')
        return 0;
    const char *p = name + g + 1;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == '.' && strcmp(p + 1, dot + 1) == 0;
}

/* Add the users named by the user fields of `st`'s tell list (why "named"): each an account
 * not locked nor disabled, never the actor. */
static int add_named(capa_wtxn *t, people *ps, const capa_stage *st, uint64_t id,
                     const capa_workflow *wf, const char *actor)
{
    int err = CAPA_OK;
    for (size_t k = 0; k < st->n_tell && !err; k++) {
        const char *path = st->tell[k], *dot = strchr(path, '.');
        char sid[65];
        capa_stage_record rec = {0};
        snprintf(sid, sizeof sid, "%.*s", dot ? (int)(dot - path) : 0, path);
        int idx = dot ? capa_workflow_stage_index(wf, sid) : -1;
        if (idx < 0)
            continue;
        if ((err = capa_stage__get(t->s, t->txn, id, idx, &rec)) == CAPA_ENOTFOUND) {
            err = CAPA_OK; /* not reached: nobody named there yet */
            continue;
        }
        for (size_t i = 0; i < rec.n_values && !err; i++) {
            const char *who = rec.values[i].value;
            capa_user_rec u;
            if (!who || !*who || !tell_matches(dot + 1, rec.values[i].name) ||
                strcmp(who, actor) == 0)
                continue;
            if ((err = capa_user__get(t->s, t->txn, who, &u)) == CAPA_ENOTFOUND) {
                err = CAPA_OK; /* a name kept from before its account went */
                continue;
            }
            if (!err) {
                if (!u.u.locked && !u.u.disabled)
                    err = add_person(ps, u.u.id, u.u.name, "named");
                capa_user_rec_clear(&u);
            }
        }
        capa_stage_record_clear(&rec);
    }
    return err;
}

int capa_notify__derive(capa_wtxn *t, const capa_event_rec *e, const capa_workflow *wf, uint64_t id,
                        int from, int to)
{
    const char *a = e->ev.action;
    people ps = {NULL, 0};
    char *owner = NULL;
    const char *kind;
    int err = CAPA_OK;
    /* A trail from before notices (no target, no contact) derives none. */
    if (store_empty(t, DB_TARGETS) && store_empty(t, DB_CONTACTS))
        return CAPA_OK;
    int open = strcmp(a, "open") == 0, reject = strcmp(a, "reject") == 0;
    int reassign = strcmp(a, "owner") == 0;
    kind = reassign ? "owner" : reject ? "returned" : to < 0 ? "closed" : "stage";
    if ((err = owner_of(&owner, t->s, t->txn, id)))
        return err;
    /* The people who fill or sign the stage entered: its editors' and signers' roles. */
    if (!reassign && to >= 0) {
        const capa_stage *st = &wf->stages[to];
        capa_scan sc;
        for (int on = capa_scan__first(&sc, t->txn, t->s->dbi[DB_USERS]); on && !err;
             on = capa_scan__next(&sc)) {
            capa_user_rec u;
            if ((err = capa_user__decode(&u, sc.v.mv_data, sc.v.mv_size)))
                break;
            int sign = capa_role_in(st->signers, st->n_signers, u.u.role);
            int fill = capa_role_in(st->editors, st->n_editors, u.u.role);
            if ((sign || fill) && !u.u.locked && !u.u.disabled && strcmp(u.u.id, e->ev.actor) != 0)
                err = add_person(&ps, u.u.id, u.u.name, sign ? "sign" : "fill");
            capa_user_rec_clear(&u);
        }
        err = capa_scan__end(&sc, err, "users");
    }
    /* The people the case names for the stage entered (its <stage tell>, e.g. the owners of
     * the approved actions when the plan reaches rework), from the data as it stands now. */
    if (!err && !reassign && to >= 0)
        err = add_named(t, &ps, &wf->stages[to], id, wf, e->ev.actor);
    /* The owner: at every hand-over and at closing; the new owner of a reassignment. */
    const char *owner_id = reassign ? capa_event__get(e, "user") : owner;
    if (!err && !open && owner_id && strcmp(owner_id, e->ev.actor) != 0) {
        capa_user_rec u;
        if (!(err = capa_user__get(t->s, t->txn, owner_id, &u))) {
            if (!u.u.locked && !u.u.disabled)
                err = add_person(&ps, u.u.id, u.u.name, "owner");
            capa_user_rec_clear(&u);
        } else if (err == CAPA_ENOTFOUND) {
            err = CAPA_OK; /* an imported case's importer with no account */
        }
    }
    /* Each person's choice: the owner's part of a hand-over is "handover" to them. */
    capa_buf b = {0};
    size_t kept = 0;
    char seqk[8];
    capa_be64((unsigned char *)seqk, e->ev.seq);
    rec_put(&b, "kind", kind);
    rec_put(&b, "number", e->ev.case_number);
    rec_put(&b, "stage", to >= 0 ? wf->stages[to].id : "closed");
    rec_put(&b, "from", from >= 0 && !open ? wf->stages[from].id : "");
    rec_put(&b, "actor", e->ev.actor);
    char tm[24];
    snprintf(tm, sizeof tm, "%lld", (long long)e->ev.time);
    rec_put(&b, "time", tm);
    rec_put(&b, "reason", reject || reassign ? e->ev.reason : "");
    for (size_t i = 0; i < ps.n && !err; i++) {
        int w = 0;
        const char *k = strcmp(ps.p[i].why, "owner") == 0 && !reassign && to >= 0 && !reject
                            ? "handover"
                            : kind;
        if ((err = wants(t, ps.p[i].id, k, &w)) || !w)
            continue;
        char line[300];
        snprintf(line, sizeof line, "%s:%s", ps.p[i].id, ps.p[i].why);
        rec_put(&b, "to", line);
        size_t il = strlen(ps.p[i].id);
        char ik[80];
        memcpy(ik, ps.p[i].id, il + 1);
        memcpy(ik + il + 1, seqk, 8);
        err = capa_store__put(t->txn, t->s->dbi[DB_INBOX], ik, il + 9, ps.p[i].why,
                              strlen(ps.p[i].why), 0);
        kept++;
    }
    if (!err && kept && b.oom)
        err = capa_error_set(CAPA_ENOMEM, "notice: out of memory");
    if (!err && kept)
        err = capa_store__put(t->txn, t->s->dbi[DB_NOTICES], seqk, 8, b.p, b.len, 0);
    /* One delivery per target. */
    if (!err && kept) {
        capa_scan sc;
        for (int on = capa_scan__first(&sc, t->txn, t->s->dbi[DB_TARGETS]); on && !err;
             on = capa_scan__next(&sc)) {
            char pk[8 + NAME_MAX_LEN + 1];
            if (sc.k.mv_size > NAME_MAX_LEN) {
                err = capa_error_set(CAPA_ECORRUPT, "notify_targets: malformed name");
                break;
            }
            memcpy(pk, seqk, 8);
            memcpy(pk + 8, sc.k.mv_data, sc.k.mv_size);
            err = capa_store__put(t->txn, t->s->dbi[DB_PENDING], pk, 8 + sc.k.mv_size, "", 0, 0);
        }
        err = capa_scan__end(&sc, err, "notify_targets");
    }
    capa_buf_free(&b);
    capa__free(ps.p);
    capa__free(owner);
    return err;
}

int capa_notify__apply_sent(capa_wtxn *t, const capa_event_rec *e, int *n)
{
    *n = 0;
    for (size_t i = 0; i < e->n_facts; i++) {
        const char *k = e->facts[i].name;
        if (strncmp(k, "sent:", 5) != 0)
            continue;
        char *end;
        unsigned long long seq = strtoull(k + 5, &end, 10);
        char pk[8 + NAME_MAX_LEN + 1];
        size_t nl = *end == ':' ? strlen(end + 1) : 0;
        MDB_val v;
        if (!seq || !nl || nl > NAME_MAX_LEN)
            return capa_apply__corrupt(e, "bad delivery fact '%s'%s", k, NULL);
        capa_be64((unsigned char *)pk, seq);
        memcpy(pk + 8, end + 1, nl);
        int err = capa_store__get(t->txn, t->s->dbi[DB_PENDING], pk, 8 + nl, &v);
        if (err == CAPA_ENOTFOUND)
            return capa_apply__corrupt(e, "notice %s delivered but not pending%s", k + 5, NULL);
        if (err || (err = capa_store__del(t->txn, t->s->dbi[DB_PENDING], pk, 8 + nl, NULL, 0)))
            return err;
        (*n)++;
    }
    return CAPA_OK;
}

/* ---- reading notices ---- */

void capa_notices_free(capa_notice *a, size_t n)
{
    for (size_t i = 0; a && i < n; i++) {
        capa__free(a[i].kind), capa__free(a[i].number), capa__free(a[i].stage);
        capa__free(a[i].from), capa__free(a[i].actor), capa__free(a[i].reason);
        capa__free(a[i].target);
        for (size_t j = 0; j < a[i].n_to; j++) {
            capa_notice_to *x = &a[i].to[j];
            capa__free(x->user), capa__free(x->name), capa__free(x->why);
            capa__free(x->mobile), capa__free(x->email);
        }
        capa__free(a[i].to);
    }
    capa__free(a);
}

/* Notice `seq` into x (its people with their current names and contacts). */
static int notice_load(capa_notice *x, capa_store *s, MDB_txn *txn, uint64_t seq)
{
    unsigned char k[8];
    MDB_val v;
    memset(x, 0, sizeof *x);
    x->seq = seq;
    capa_be64(k, seq);
    int err = capa_store__get(txn, s->dbi[DB_NOTICES], k, 8, &v);
    if (err == CAPA_ENOTFOUND)
        return capa_error_set(CAPA_ECORRUPT, "notice of event %llu: missing",
                              (unsigned long long)seq);
    if (err)
        return err;
    char *tm = rec_get(v.mv_data, v.mv_size, "time");
    x->time = tm ? strtoll(tm, NULL, 10) : 0;
    capa__free(tm);
    x->kind = rec_get(v.mv_data, v.mv_size, "kind");
    x->number = rec_get(v.mv_data, v.mv_size, "number");
    x->stage = rec_get(v.mv_data, v.mv_size, "stage");
    x->from = rec_get(v.mv_data, v.mv_size, "from");
    x->actor = rec_get(v.mv_data, v.mv_size, "actor");
    x->reason = rec_get(v.mv_data, v.mv_size, "reason");
    if (!x->kind || !x->number || !x->stage || !x->from || !x->actor || !x->reason)
        return capa_error_set(CAPA_ENOMEM, "notice: out of memory");
    /* The "to=" lines, in order. */
    const char *p = v.mv_data, *end = p + v.mv_size;
    while (p < end && !err) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            nl = end;
        if (nl - p > 3 && memcmp(p, "to=", 3) == 0) {
            const char *colon = memchr(p + 3, ':', (size_t)(nl - p - 3));
            capa_notice_to *np = capa__realloc(x->to, (x->n_to + 1) * sizeof *np);
            if (!np || !colon)
                return np ? capa_error_set(CAPA_ECORRUPT, "notice %llu: malformed",
                                           (unsigned long long)seq)
                          : capa_error_set(CAPA_ENOMEM, "notice: out of memory");
            x->to = np;
            capa_notice_to *to = &np[x->n_to++];
            memset(to, 0, sizeof *to);
            to->user = capa__strndup(p + 3, (size_t)(colon - p - 3));
            to->why = capa__strndup(colon + 1, (size_t)(nl - colon - 1));
            capa_user_rec u;
            capa_contact c = {0};
            if (!to->user || !to->why)
                return capa_error_set(CAPA_ENOMEM, "notice: out of memory");
            int ue = capa_user__get(s, txn, to->user, &u);
            to->name = capa__strdup(ue == CAPA_OK && u.u.name ? u.u.name : "");
            if (ue == CAPA_OK)
                capa_user_rec_clear(&u);
            if ((err = contact_read(&c, s, txn, to->user)))
                return err;
            to->mobile = c.mobile;
            to->email = c.email;
            capa__free(c.user);
            capa__free(c.notify);
            if (!to->name)
                return capa_error_set(CAPA_ENOMEM, "notice: out of memory");
        }
        p = nl + 1;
    }
    return err;
}

static int push_notice(capa_notice **arr, size_t *n, capa_store *s, MDB_txn *txn, uint64_t seq,
                       const char *target, size_t tlen)
{
    capa_notice *p = capa__realloc(*arr, (*n + 1) * sizeof *p);
    if (!p)
        return capa_error_set(CAPA_ENOMEM, "notices: out of memory");
    *arr = p;
    int err = notice_load(&p[*n], s, txn, seq);
    (*n)++;
    if (!err && target && !(p[*n - 1].target = capa__strndup(target, tlen)))
        err = capa_error_set(CAPA_ENOMEM, "notices: out of memory");
    p[*n - 1].pending = target != NULL;
    return err;
}

int capa_notices_pending(capa_notice **out, size_t *n, capa_store *s)
{
    MDB_txn *txn = NULL;
    capa_scan sc = {0};
    *out = NULL;
    *n = 0;
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!capa_store__has(s, DB_PENDING))
        goto done;
    for (int on = capa_scan__first(&sc, txn, s->dbi[DB_PENDING]); on && !err;
         on = capa_scan__next(&sc)) {
        if (sc.k.mv_size <= 8) {
            err = capa_error_set(CAPA_ECORRUPT, "notice_outbox: malformed entry");
            break;
        }
        err = push_notice(out, n, s, txn, capa_get_be64(sc.k.mv_data), (char *)sc.k.mv_data + 8,
                          sc.k.mv_size - 8);
    }
done:
    err = capa_scan__end(&sc, err, "notice_outbox");
    capa_store__read_end(s, txn);
    if (err) {
        capa_notices_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
}

int capa_notices_for(capa_notice **out, size_t *n, capa_store *s, const char *user, size_t limit)
{
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL, *pc = NULL;
    MDB_val k, v;
    char key[80];
    size_t ul = user ? strlen(user) : 0;
    *out = NULL;
    *n = 0;
    if (!ul || ul > 64)
        return capa_error_set(CAPA_EINVALID, "notices: bad user id");
    int err = capa_store__read_begin(s, &txn);
    if (err)
        return err;
    if (!capa_store__has(s, DB_INBOX))
        goto done;
    /* Newest first: from the end of this user's range backwards. */
    memcpy(key, user, ul);
    key[ul] = 0;
    memset(key + ul + 1, 0xff, 8);
    k.mv_data = key;
    k.mv_size = ul + 9;
    int rc = mdb_cursor_open(txn, s->dbi[DB_INBOX], &cur);
    if (!rc)
        rc = mdb_cursor_open(txn, s->dbi[DB_PENDING], &pc);
    if (!rc) {
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        rc = rc == MDB_NOTFOUND ? mdb_cursor_get(cur, &k, &v, MDB_LAST)
             : rc               ? rc
                                : mdb_cursor_get(cur, &k, &v, MDB_PREV);
    }
    for (; rc == MDB_SUCCESS && !err && (!limit || *n < limit);
         rc = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
        if (k.mv_size != ul + 9 || memcmp(k.mv_data, key, ul + 1) != 0)
            break;
        uint64_t seq = capa_get_be64((unsigned char *)k.mv_data + ul + 1);
        if ((err = push_notice(out, n, s, txn, seq, NULL, 0)))
            break;
        /* Pending while any target still holds a delivery of it. */
        unsigned char sk[8];
        MDB_val pk = {8, sk}, pv;
        capa_be64(sk, seq);
        int prc = mdb_cursor_get(pc, &pk, &pv, MDB_SET_RANGE);
        (*out)[*n - 1].pending =
            prc == MDB_SUCCESS && pk.mv_size > 8 && capa_get_be64(pk.mv_data) == seq;
    }
    if (!err && rc && rc != MDB_NOTFOUND)
        err = capa_store__mdb_err(rc, "notice_inbox");
done:
    if (pc)
        mdb_cursor_close(pc);
    if (cur)
        mdb_cursor_close(cur);
    capa_store__read_end(s, txn);
    if (err) {
        capa_notices_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return err;
}

typedef struct sent_arg {
    const char *actor;
    const capa_notice_ref *refs;
    size_t n;
} sent_arg;

static int do_sent(capa_wtxn *t, void *arg)
{
    sent_arg *a = arg;
    capa_event_rec e;
    size_t any = 0;
    int err = capa_store__require_init(t->s, t->txn);
    if (err)
        return err;
    capa_event__init(&e, a->actor, "deliver", NULL, NULL, "notices delivered");
    for (size_t i = 0; i < a->n; i++) {
        char pk[8 + NAME_MAX_LEN + 1], key[80];
        size_t nl = strlen(a->refs[i].target);
        MDB_val v;
        if (nl > NAME_MAX_LEN)
            continue;
        capa_be64((unsigned char *)pk, a->refs[i].seq);
        memcpy(pk + 8, a->refs[i].target, nl);
        /* Taken meanwhile by another run, or its target removed: nothing to record. */
        if ((err = capa_store__get(t->txn, t->s->dbi[DB_PENDING], pk, 8 + nl, &v)) ==
            CAPA_ENOTFOUND) {
            err = CAPA_OK;
            continue;
        }
        if (err)
            break;
        snprintf(key, sizeof key, "sent:%llu:%s", (unsigned long long)a->refs[i].seq,
                 a->refs[i].target);
        if (!capa_event__get(&e, key)) {
            capa_event__fact(&e, key, "delivered");
            any++;
        }
    }
    if (!err && any)
        err = capa_event__commit(t, &e, NULL);
    capa_event__clear(&e);
    return err;
}

int capa_notices_delivered(capa_store *s, const capa_notice_ref *refs, size_t n)
{
    char actor[80];
    if (n == 0)
        return CAPA_OK;
    int err = capa_store__os_actor(s, actor, sizeof actor, "deliver");
    if (err)
        return err;
    sent_arg a = {actor, refs, n};
    return capa_store__write(s, NULL, do_sent, &a);
}
