/*
 * admin.c - the administration pages of capa serve (admin role only): the start page, the
 * users (list, add, change a role, disable and enable, unlock, reset a password, set the
 * mobile, e-mail and notice choices), and the routing to the import (import.c) and the
 * other pages (admin_sys.c).
 *
 * Every change goes through the same function of capa.h as the CLI's `capa user ...`, with
 * the acting admin's password typed again on the form - the server keeps no password, and a
 * change to an account is an act as weighty as a signature. The engine decides and audits;
 * a role change, a disable and a password reset change the user's sign-in binding, so that
 * user's sessions end at their next request. Anyone but an admin gets 403 for every page
 * and every form here, and nothing is changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pages.h"
#include "upload_disk.h"

/* Whether the signed-in user is an admin now (read from the store, not the session). */
static int is_admin(sv_req *r)
{
    capa_user *u = NULL;
    int ok = r->have_sess && capa_user_get(&u, r->srv->s, r->sess.user) == CAPA_OK && u->role &&
             strcmp(u->role, "admin") == 0;
    capa_user_free(u);
    return ok;
}

static const char *param(const sv_params *p, const char *name)
{
    const char *v = sv_params_get(p, name);
    return v ? v : "";
}

static void wipe_params(sv_params *p)
{
    for (size_t i = 0; i < p->n; i++)
        explicit_bzero(p->v[i].value, strlen(p->v[i].value));
    sv_params_clear(p);
}

/* ---- the roles a user may have: admin and every role of the store's workflows ---- */

typedef struct roles_ctx {
    sv_view *v;
    xmlNodePtr list;
    char seen[1024]; /* ",id,id," */
} roles_ctx;

static int role_cb(const capa_workflow *wf, void *payload)
{
    roles_ctx *c = payload;
    char item[80];
    for (size_t i = 0; i < wf->n_roles; i++) {
        const capa_role *ro = &wf->roles[i];
        snprintf(item, sizeof item, ",%s,", ro->id);
        if (strstr(c->seen, item) || strlen(c->seen) + strlen(item) >= sizeof c->seen)
            continue;
        strcat(c->seen, item + 1);
        xmlNodePtr n = sv_el(c->v, c->list, "role");
        sv_at(c->v, n, "id", ro->id);
        sv_label(c->v, n, ro->label_zh ? ro->label_zh : ro->id,
                 ro->label_en ? ro->label_en : ro->id);
    }
    return 0;
}

static void roles_view(sv_view *v, xmlNodePtr root, sv_req *r)
{
    roles_ctx c = {v, sv_el(v, root, "roles"), ","};
    capa_store_workflows(r->srv->s, role_cb, &c);
    if (!strstr(c.seen, ",admin,")) {
        xmlNodePtr n = sv_el(v, c.list, "role");
        sv_at(v, n, "id", "admin");
        sv_label(v, n, "系统管理员", "Administrator");
    }
}

/* ---- users ---- */

typedef struct users_ctx {
    sv_view *v;
    sv_req *r;
    xmlNodePtr list;
    capa_plant *plant;
    const char *only; /* one user's id, or NULL for all */
    int found;
} users_ctx;

static void user_view(sv_view *v, xmlNodePtr n, sv_req *r, capa_plant *plant, const capa_user *u)
{
    sv_at(v, n, "id", u->id);
    sv_at(v, n, "name", u->name && *u->name ? u->name : u->id);
    sv_at(v, n, "dept", u->dept);
    sv_page_role(v, n, r, u->role);
    sv_at(v, n, "state", u->disabled ? "disabled" : u->locked ? "locked" : "active");
    sv_atf(v, n, "failed", "%d", u->failed);
    if (strcmp(u->id, r->sess.user) == 0)
        sv_at(v, n, "self", "1");
    sv_page_time(v, sv_el(v, n, "created"), plant, u->created);
}

static int user_cb(const capa_user *u, void *payload)
{
    users_ctx *c = payload;
    if (c->only && strcmp(c->only, u->id) != 0)
        return 0;
    c->found = 1;
    user_view(c->v, sv_el(c->v, c->list, "u"), c->r, c->plant, u);
    return 0;
}

/* What a change that worked leaves for the next page to say (?done=...). */
static void done_notice(sv_view *v, xmlNodePtr root, sv_req *r)
{
    const char *done = sv_params_get(&r->query, "done");
    static const char *const known[] = {"add",    "role",   "disable", "enable",
                                        "unlock", "passwd", "contact"};
    for (size_t i = 0; done && i < sizeof known / sizeof *known; i++)
        if (strcmp(done, known[i]) == 0)
            sv_at(v, sv_el(v, root, "done"), "what", done);
}

/* GET /admin/users, or /admin/users/ID with id: the users (one user with their forms). A
 * refusal re-renders the page with `msg` and the typed values kept (never a password). */
static void page_users(sv_req *r, const char *id, const char *msg, const sv_params *typed)
{
    sv_view v;
    users_ctx c = {&v, r, NULL, NULL, id, 0};
    xmlNodePtr root = id ? sv_page_begin(&v, r, "admin-user", "用户", "User")
                         : sv_page_begin(&v, r, "admin-users", "用户管理", "Users");
    if (msg)
        sv_el_text(&v, root, "error", msg, 0);
    done_notice(&v, root, r);
    capa_plant_get(&c.plant, r->srv->s);
    c.list = sv_el(&v, root, "users");
    int rc = capa_user_foreach(r->srv->s, user_cb, &c);
    capa_plant_free(c.plant);
    if (rc < 0 || (id && !c.found)) {
        sv_view_free(&v);
        if (rc < 0) {
            char *t = sv_error_text(r, rc);
            sv_page_error(r, sv_status_of(rc), t ? t : capa_error_last());
            free(t);
        } else
            sv_page_refused(r, 404, "request.no_user", "no such user");
        return;
    }
    roles_view(&v, root, r);
    if (id)
        sv_page_contact(&v, root, r, id);
    if (typed) {
        xmlNodePtr t = sv_el(&v, root, "typed");
        static const char *const keep[] = {"id", "name", "dept", "role"};
        for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
            sv_at_exact(&v, t, keep[i], param(typed, keep[i]));
    }
    sv_view_render(&v, r);
}

/* The outcome of a change: on success back to the page with a notice; else the page again
 * with the engine's message and its status. */
static void answer(sv_req *r, int rc, const char *id, const char *what, const sv_params *p)
{
    if (rc == CAPA_OK) {
        sv_buf b = {0};
        sv_buf_puts(&b, "/admin/users");
        if (strcmp(what, "add") != 0) {
            sv_buf_puts(&b, "/");
            sv_url(&b, id);
        }
        sv_buf_puts(&b, "?done=");
        sv_buf_puts(&b, what);
        char *path = sv_buf_take(&b, NULL);
        sv_page_redirect(r, path ? path : "/admin/users");
        free(path);
        return;
    }
    /* The engine's refusal in the reader's language (tools/lang). */
    char *msg = sv_error_text(r, rc);
    sv_buf_free(&r->out);
    page_users(r, strcmp(what, "add") == 0 ? NULL : id, msg ? msg : capa_strerror(rc), p);
    free(msg);
    r->status = sv_status_of(rc);
}

/* POST /admin/users (add) or /admin/users/ID/ACTION: one call of capa.h, as the CLI makes
 * it, with the acting admin's password from the form. */
static void do_user(sv_req *r, const char *id, const char *action)
{
    sv_params p = {0};
    int rc;
    if (sv_page_post(r, &p))
        return;
    capa_actor who = {r->sess.user, param(&p, "password")};
    const char *pw1 = param(&p, "new_password"), *pw2 = param(&p, "new_password2");
    int add = strcmp(action, "add") == 0, passwd = strcmp(action, "passwd") == 0;
    if ((add || passwd) && strcmp(pw1, pw2) != 0) {
        sv_buf_free(&r->out);
        char *t = sv_said(r, "user.password_mismatch", NULL, "the two new passwords differ");
        page_users(r, add ? NULL : id, t ? t : "the two new passwords differ", &p);
        free(t);
        r->status = 400;
        wipe_params(&p);
        return;
    }
    if (sv_throttle_begin(r->sess.user, r->ip, &r->retry_after)) {
        char *t =
            sv_said(r, "request.throttled", NULL, "too many password attempts: wait and try again");
        page_users(r, add ? NULL : id, t ? t : "too many password attempts: wait and try again",
                   &p);
        free(t);
        r->status = 429;
        wipe_params(&p);
        return;
    }
    if (add)
        rc = capa_user_add(r->srv->s, &who, param(&p, "id"), param(&p, "role"), param(&p, "name"),
                           param(&p, "dept"), pw1);
    else if (strcmp(action, "role") == 0)
        rc = capa_user_set_role(r->srv->s, &who, id, param(&p, "role"));
    else if (strcmp(action, "disable") == 0 || strcmp(action, "enable") == 0)
        rc = capa_user_disable(r->srv->s, &who, id, action[0] == 'd');
    else if (strcmp(action, "unlock") == 0)
        rc = capa_user_unlock(r->srv->s, &who, id);
    else if (strcmp(action, "contact") == 0) {
        char kinds[256];
        rc = capa_user_set_contact(r->srv->s, &who, id, sv_params_get(&p, "mobile"),
                                   sv_params_get(&p, "email"),
                                   sv_page_notify_param(kinds, sizeof kinds, &p));
    } else
        rc = capa_user_passwd(r->srv->s, &who, id, pw1);
    sv_throttle_end(r->sess.user, r->ip, sv_throttle_outcome(rc));
    answer(r, rc, add ? param(&p, "id") : id, action, &p);
    wipe_params(&p);
}

/* ---- the administration start page ---- */

static void page_admin(sv_req *r)
{
    sv_view v;
    xmlNodePtr root = sv_page_begin(&v, r, "admin", "系统管理", "Administration");
    (void)root;
    sv_view_render(&v, r);
}

/* ---- routing ---- */

size_t sv_body_limit(sv_req *r)
{
    char tok[80];
    sv_session sess;
    size_t limit = r->srv->max_body;
    /* Only a signed-in admin's upload may be larger: nobody else can make the server hold
     * more than --max-body of a request. */
    if (strcmp(r->method, "POST") != 0 || strcmp(r->path, "/admin/import") != 0)
        return limit;
    if (sv_cookie_get(tok, sizeof tok, r->cookie, "capa_session") == 0 &&
        sv_session_load(r->srv, tok, &sess) == 0) {
        capa_user *u = NULL;
        if (capa_user_get(&u, r->srv->s, sess.user) == CAPA_OK && strcmp(u->role, "admin") == 0 &&
            SV_ADMIN_UPLOAD_MAX > limit)
            limit = SV_ADMIN_UPLOAD_MAX;
        capa_user_free(u);
        explicit_bzero(&sess, sizeof sess);
    }
    explicit_bzero(tok, sizeof tok);
    return limit;
}

void sv_admin_handle(sv_req *r)
{
    const char *path = r->path, *m = r->method;
    int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
    if (!is_admin(r)) {
        sv_page_refused(r, 403, "request.admin_only", "administration is for the admin role only");
        return;
    }
    if (sv_import_handle(r) || sv_admin_sys_handle(r))
        return;
    if (strcmp(path, "/admin") == 0) {
        if (get)
            page_admin(r);
        else {
            r->allow = "GET, HEAD";
            sv_page_refused(r, 405, "request.method", "method not allowed");
        }
    } else if (strcmp(path, "/admin/users") == 0) {
        if (get)
            page_users(r, NULL, NULL, NULL);
        else if (post)
            do_user(r, NULL, "add");
        else {
            r->allow = "GET, HEAD, POST";
            sv_page_refused(r, 405, "request.method", "method not allowed");
        }
    } else if (strncmp(path, "/admin/users/", 13) == 0) {
        char id[64];
        const char *rest = path + 13, *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        const char *sub = slash ? slash + 1 : NULL;
        static const char *const acts[] = {"role",   "disable", "enable",
                                           "unlock", "passwd",  "contact"};
        int act = -1;
        for (size_t i = 0; sub && i < sizeof acts / sizeof *acts; i++)
            if (strcmp(sub, acts[i]) == 0)
                act = (int)i;
        if (n == 0 || n >= sizeof id || (sub && act < 0)) {
            sv_page_refused(r, 404, "request.not_found", "not found");
            return;
        }
        memcpy(id, rest, n);
        id[n] = '\0';
        if (!sub && get)
            page_users(r, id, NULL, NULL);
        else if (sub && post)
            do_user(r, id, acts[act]);
        else {
            r->allow = sub ? "POST" : "GET, HEAD";
            sv_page_refused(r, 405, "request.method", "method not allowed");
        }
    } else {
        sv_page_refused(r, 404, "request.not_found", "not found");
    }
}
