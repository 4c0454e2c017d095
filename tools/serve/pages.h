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
