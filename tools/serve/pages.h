/*
 * pages.h - what the page files besides pages.c (admin.c) take from it: one layout, one
 * error page, one CSRF-checked form reader, so every page behaves alike.
 */
#ifndef CAPA_SERVE_PAGES_H
#define CAPA_SERVE_PAGES_H

#include "view.h"

/** Start a page's view: who is signed in, the organisation, what the menu offers. */
xmlNodePtr sv_page_begin(sv_view *v, sv_req *r, const char *kind, const char *zh, const char *en);
/** The error page with `status`. */
void sv_page_error(sv_req *r, int status, const char *msg);
/** A form POST's parameters with the session's CSRF token checked: 0, or -1 with the error
 *  page written (400, 403, 415). */
int sv_page_post(sv_req *r, sv_params *p);
/** 303 to a fixed path. */
void sv_page_redirect(sv_req *r, const char *path);
/** A role on n: attributes role and role-l (its label in the reader's language). */
void sv_page_role(sv_view *v, xmlNodePtr n, sv_req *r, const char *role);
/** A plant time on n: attributes text (readable) and iso. */
void sv_page_time(sv_view *v, xmlNodePtr n, const capa_plant *p, int64_t ms);

/** A user's contact and notice choices on parent as <contact mobile= email=> with a <kind
 *  id= l= on=> per kind of notice (CAPA_NOTICE_KINDS), for the forms that change them. */
void sv_page_contact(sv_view *v, xmlNodePtr parent, sv_req *r, const char *user);
/** The notice choices of a contact form (a `notify` checkbox per kind, NULL when the form
 *  had none) into buf as capa_user_set_contact takes them: the kinds, or "none". */
const char *sv_page_notify_param(char *buf, size_t sz, const sv_params *p);

/* ---- import.c ---- */
/** /admin/import and below (the caller checked the admin role): 1 when the path was one of
 *  them (answered), 0 when not. */
int sv_import_handle(sv_req *r);

/* ---- admin_sys.c ---- */
/** /admin/forms, /admin/settings, /admin/verify (the caller checked the admin role): 1 when
 *  the path was one of them (answered), 0 when not. */
int sv_admin_sys_handle(sv_req *r);

/* ---- admin.c ---- */
/** /admin and below: the administration pages (admin role only; 403 for anyone else). */
void sv_admin_handle(sv_req *r);

#endif
