/*
 * serve.h - what the parts of capa serve share: the server (store, limits, in-memory
 * table of sign-in bindings - never passwords), one request with its response, sessions,
 * and the two front ends (HTML pages, JSON API).
 *
 * capa serve is a tool like the CLI: it parses HTTP, calls core/include/capa.h (and
 * capa_report.h for dossiers) and renders. Every rule - who may edit, sign, reject; what a
 * valid value is; when a case is read-only - is the engine's; a page offers only what the
 * workflow's roles allow, and the engine refuses anything else anyway.
 */
#ifndef CAPA_SERVE_H
#define CAPA_SERVE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"
#include "capa.h"
#include "parse.h"

/** A session's sign-in binding (capa_user_sign_in), kept in process memory only: no
 *  password is ever held. */
typedef struct sv_bound {
    char hash[65]; /* the session's key (SHA-256 of its token) */
    char user[64];
    char binding[CAPA_BINDING_SIZE];
    int64_t touched; /* ms: the last use this process stored (sign-in or touch) */
} sv_bound;

typedef struct sv_server {
    capa_store *s;
    const char *db;
    char keys_dir[4096];
    const char *font; /* NULL = the library's default */
    int64_t idle_ms;  /* inactivity before a session expires */
    size_t max_body;
    int secure_cookie;
    int serial_commit;           /* --group-commit off: one request per transaction */
    int start_lang;              /* start-up errors' capa_lang: --lang, else the locale */
    int page_lang;               /* readers' default SV_LANG_*: --lang when given, else both */
    pthread_mutex_t commit_lock; /* held around capa_submit when serial_commit */
    pthread_mutex_t lock;        /* guards bound */
    sv_bound *bound;
    size_t n_bound, cap_bound;
    int header_ms;     /* deadline for a request's complete header (ms) */
    char *tls_cert, *tls_key; /* PEM text of --tls-cert and --tls-key; NULL = plain HTTP */
    size_t tls_key_len;
    struct http *http; /* http.c's daemon, set by sv_http_start */
} sv_server;

typedef struct sv_session {
    char user[64];
    char hash[65]; /* volatile_sessions key: SHA-256 of the token */
    char csrf[65]; /* the per-session token every form POST carries */
    char binding[CAPA_BINDING_SIZE]; /* proves the sign-in to the engine (capa_request) */
    int64_t last, expires;
} sv_session;

enum { SV_LANG_BOTH = 0, SV_LANG_ZH, SV_LANG_EN };

typedef struct sv_stream sv_stream;

typedef struct sv_req {
    sv_server *srv;
    void *conn; /* the libmicrohttpd connection (http.c only) */
    int job;    /* http.c: 1 while a worker thread runs the handler, 2 once it is done */
    struct sv_req *next_job; /* http.c: the next request queued for a worker thread */
    /* request */
    char *method;
    char *path; /* decoded path, without the query */
    char *raw_query;
    sv_params query;
    int bad_query; /* the query string was malformed */
    sv_buf body;
    int too_big;
    size_t max_body; /* this request's body limit: srv->max_body, or sv_body_limit's */
    const char *cookie, *authorization, *content_type;
    char ip[64];
    int64_t start_us;
    int lang;
    sv_session sess;
    int have_sess;
    /* response */
    int status;
    const char *type;
    sv_buf out;
    const void *static_data; /* embedded file, not copied */
    size_t static_len;
    char *location;
    char *cookies[3];
    char *disposition;
    int cacheable;
    int retry_after; /* seconds, for a Retry-After header (429), 0 = none */
    int has_total;     /* send X-Total-Count: total (a list's matching rows) */
    long long total;
    const char *allow; /* methods of a known path, for the Allow header of a 405; NULL = none */
    char login_csrf[65];
    int close_conn; /* send Connection: close */
    /* a multipart upload (POST /cases/N/attachments, upload.c): streamed through
     * libmicrohttpd's post processor instead of collected in body */
    struct sv_upload *upload;
    size_t upload_max, upload_seen; /* its body limit and the bytes read so far */
    int upload_early;               /* sv_pages_handle called with the header only */
    char upload_why[200];           /* why no upload was started (no boundary, ...) */
    const char *upload_rule;        /* its rule in the catalogue (NULL: out of memory) */
    sv_stream *stream; /* the body made while it is sent (stream.c), instead of out */
} sv_req;

/* ---- http.c ---- */
/** Start listening; returns an opaque daemon or NULL (message printed). *port gets the port. */
void *sv_http_start(sv_server *srv, const char *listen, unsigned max_conn, unsigned per_addr,
                    unsigned timeout_s, size_t conn_mem, int *port);
void sv_http_stop(void *daemon);
/** A request header, or NULL. */
const char *sv_req_header(sv_req *r, const char *name);
/** Add a Set-Cookie header value (up to three per response). */
void sv_req_cookie(sv_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- stream.c ---- */
/** The bytes a stream's maker hands over at once: with the piece the client is sent, its
 *  memory whatever the body's length. */
#define SV_STREAM_PIECE (64 * 1024)
/** Answer r with a body that fn(st, arg) makes on a thread of its own while it is sent
 *  (chunked): fn writes into sv_stream_buf(st) and calls sv_stream_flush(st, 0) now and then;
 *  a non-zero return ends the response with an error (the client sees a cut transfer).
 *  arg_free(arg) runs once the stream is done with (also when it cannot start). Set status,
 *  type and headers on r as for any answer. @return 0, or -1 (out of memory, no thread). */
int sv_stream_start(sv_req *r, int (*fn)(sv_stream *st, void *arg), void *arg,
                    void (*arg_free)(void *arg));
/** The maker's buffer: write with sv_buf_puts, sv_csv, ... */
sv_buf *sv_stream_buf(sv_stream *st);
/** Hand what was written over once a piece is full (all: whatever there is), waiting while
 *  the client has not taken the piece before. @return 0, or -1 when the client went away (or
 *  memory ran out): stop making, fn returns non-zero. */
int sv_stream_flush(sv_stream *st, int all);
struct MHD_Response;
/** http.c: the response sending the stream (it owns st from here, NULL on failure). */
struct MHD_Response *sv_stream_response(sv_stream *st);
/** A stream never sent: stop its maker and free it. */
void sv_stream_cancel(sv_stream *st);
/** The server stops: every stream's maker stops at its next hand-over and resumes its
 *  connection, waited for (at most 30 s), so none is left suspended when the daemon stops. */
void sv_stream_quiesce(void);
/** After the daemon stopped: streams of a server started later work again. */
void sv_stream_resume_all(void);

/* ---- tls.c ---- */
/** libmicrohttpd's GnuTLS priorities under --tls-cert: TLS 1.2 and 1.3 only, AEAD ciphers
 *  (AES-GCM, ChaCha20-Poly1305), forward-secret key exchange. */
#define SV_TLS_PRIORITIES                                                                          \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:"            \
    "+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"
/** Read and check the PEM certificate (chain) and its unencrypted private key: parsed, and
 *  the key that of the first certificate. 0 and srv->tls_cert/tls_key set (cookies Secure
 *  from then on), or -1 with a message naming the file and what is wrong printed. */
int sv_tls_load(sv_server *srv, const char *cert_file, const char *key_file);
/** Wipe and free what sv_tls_load kept. */
void sv_tls_free(sv_server *srv);

/* ---- session.c ---- */
/** Check the password (capa_user_sign_in, counted and audited by the engine), then make a
 *  session: token (64 hex) into token[65]. Returns a CAPA code. */
int sv_session_create(sv_server *srv, const char *user, const char *password, char token[65],
                      sv_session *out);
/** The live session of `token`, touched; -1 when there is none, this process did not make
 *  it (a restart: it holds no binding for it), it expired or its binding no longer holds
 *  (password changed or reset, account locked, role changed) - those two are removed. */
int sv_session_load(sv_server *srv, const char *token, sv_session *out);
void sv_session_end(sv_server *srv, const char *hash);
/** Whether loading the session of `token` (NULL: none) may write to the store: a touch is
 *  due, or this process holds no binding for it (it may have expired: then it is removed).
 *  From memory only (no read of the store): a polling thread asks it before serving a request
 *  inline, and hands the request to a worker when it may write. */
int sv_session_may_write(sv_server *srv, const char *token);
/** Set on a polling thread while it serves a request inline: sv_session_load writes nothing
 *  there - a session whose binding no longer holds is refused but left for
 *  sv_session_recheck to remove (within a second), a touch left for the next request. */
extern _Thread_local int sv_session__no_write;
/** Remove expired sessions (database and memory). */
void sv_session_sweep(sv_server *srv);

/* ---- background delivery of notices (background.c) ---- */
/** Deliver what waits every `every` seconds in a thread of its own (0: not at all). */
int sv_deliver_start(sv_server *srv, long every);
/** Stop that thread (waits for a delivery in progress). */
void sv_deliver_stop(void);
/** End every session whose binding no longer holds (the main thread, every second). */
void sv_session_recheck(sv_server *srv);
/** The login form's CSRF token (pre-session): derived from the `capa_pre` cookie, which is
 *  set on this response when the request has none. Into r->login_csrf. */
const char *sv_login_token(sv_req *r);
/** A sign-in POST: 0 when it comes from our own login form (same-site, the pre-session
 *  cookie and the form's token agree); else -1 with the reason in why. */
int sv_login_check(sv_req *r, const char *token, char *why, size_t whysz);
/** Constant-time comparison of two NUL-terminated strings; 1 when equal. */
int sv_secure_eq(const char *a, const char *b);

/* ---- throttle.c ---- */
enum { SV_AUTH_OK, SV_AUTH_WRONG, SV_AUTH_OTHER };
/** The first pause after a wrong password, in ms (1000 unless --auth-pause). */
void sv_throttle_init(int pause_ms);
/** Before a password check for `user` from client address `addr`: 0 to go ahead (then call
 *  sv_throttle_end), -1 when it must wait (answer 429; *retry_after_s seconds). */
int sv_throttle_begin(const char *user, const char *addr, int *retry_after_s);
/** After the check: its outcome, SV_AUTH_* (sv_throttle_outcome of the CAPA code). */
void sv_throttle_end(const char *user, const char *addr, int outcome);
int sv_throttle_outcome(int code);

/* ---- admin.c ---- */
/** The body limit of request r (its header read): SV_ADMIN_UPLOAD_MAX for an upload to the
 *  administration pages by a signed-in admin, else srv->max_body. */
size_t sv_body_limit(sv_req *r);

/* ---- pages.c, api.c ---- */
void sv_pages_handle(sv_req *r);
void sv_api_handle(sv_req *r);
/** capa_submit of one request: group commit, or with --group-commit off one request per
 *  write transaction (for the benchmark's comparison). */
void sv_submit(sv_server *srv, capa_request *q);
/** Answer a CAPA_E* code as the API's JSON error (replacing any body so far). */
void sv_api_error(sv_req *r, int rc, const char *msg);

/* ---- refuse.c: refusals in the reader's language (tools/lang) ---- */
/** The reader's language as a capa_lang (CAPA_LANG_ZH, _EN, _BOTH). */
int sv_lang_of(const sv_req *r);
/** This thread's last error for the reader: the refusal worded in r's language, else the
 *  engine's English message. malloc'd; NULL when out of memory. */
char *sv_error_text(const sv_req *r, int code);
/** A refusal the server finds itself (before the engine sees the request), worded by the
 *  catalogue in r's language like the engine's: rule, field, value and parameters as
 *  core would give them. Fresh string (free); NULL when out of memory. */
char *sv_word(const sv_req *r, const char *rule, const char *field, const char *value,
              const capa_refusal_param *params, size_t n_params);
/** A refusal of a request or upload by the server itself (rule "upload.*", "import.*" of the
 *  catalogue; its value and its parameter "max", each may be NULL), worded in r's language;
 *  `english` when `rule` is NULL (out of memory, an I/O error). Fresh string; NULL when out
 *  of memory. */
char *sv_word_request(const sv_req *r, const char *rule, const char *value, const char *max,
                      const char *english);
/** A refusal of the server's own pages (rule "request.*", "import.*", ... of the catalogue,
 *  its value or NULL) worded in r's language, with the seconds of r->retry_after as its
 *  parameter "seconds" (a 429's); `english` when out of memory. Fresh string (free); NULL
 *  when out of memory. */
char *sv_said(const sv_req *r, const char *rule, const char *value, const char *english);
/** The error page of status `status` with the refusal `rule` worded for r (sv_said). */
void sv_page_refused(sv_req *r, int status, const char *rule, const char *english);
/** A check capa-serve makes itself (wordsb), kept as data until it is worded: the catalogue's
 *  rule, its value and parameters (literals or strings that outlive it; `buf` holds one
 *  built on the spot), and the English sentence an API client that asks for no language
 *  gets, as before the catalogue worded it. */
typedef struct sv_reason {
    const char *rule;
    const char *value;
    capa_refusal_param params[6];
    size_t n_params;
    char english[300];
    char buf[300];
} sv_reason;
/** Set *w to `rule` with `value` (or NULL) and the English sentence of `fmt`; no parameter
 *  yet. @return w. */
sv_reason *sv_reason_set(sv_reason *w, const char *rule, const char *value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Add parameter `name` (its value must outlive *w); one over six is dropped. @return w. */
sv_reason *sv_reason_param(sv_reason *w, const char *name, const char *value);
/** *w worded in `lang` (a capa_lang; -1: its English sentence) for a browser or API client.
 *  Fresh string; NULL when out of memory. */
char *sv_reason_text(const sv_reason *w, int lang);
/** A start-up error on stderr, "capa serve: ", `at` and ": " (when not NULL) and *w in
 *  srv->start_lang as the CLI says it (cli_refuse): 中文 worded by the catalogue (the command
 *  line's hints, no click), English as its sentence of before, both on two lines. */
void sv_start_error(const sv_server *srv, const char *at, const sv_reason *w);
/** sv_start_error of `rule` with `value` (or NULL), the parameter "option" `option` (or
 *  NULL) and the English sentence of `fmt`. */
void sv_start_said(const sv_server *srv, const char *rule, const char *value, const char *option,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** The error page of status `status` with *w worded in r's language. */
void sv_page_reason(sv_req *r, int status, const sv_reason *w);
/** The error page of status `status` with `rule` (its value or NULL, no parameter) worded
 *  in r's language, `english` its English as the API would say it. */
void sv_page_said(sv_req *r, int status, const char *rule, const char *value, const char *english);
/** The 403 page of a form posted without its session's CSRF token, in r's language. */
void sv_page_csrf_refused(sv_req *r);
/** Set r's language from ?lang=, else the capa_lang cookie (pages.c; the routing does it, and
 *  a refusal answered before the routing). */
void sv_req_lang(sv_req *r);
/** The language an API client asked for: ?lang=, Accept-Language, else the capa_lang cookie;
 *  -1: none (the engine's English). */
int sv_api_lang(sv_req *r);
/** Make a submitted request's error (message and refusal) this thread's last again. */
void sv_request_error_restore(const capa_request *q);
/** The last refusal's violations that name a field, worded for r, to show next to them (no
 *  refusal: parsed from the engine's message). @return how many; *out malloc'd. */
size_t sv_refusal_field_errors(sv_field_error **out, const sv_req *r);
/** A refusal as JSON: action, case, stage, violations (rule, field, label, value, params,
 *  message in `lang`). NULL when out of memory. */
json_t *sv_refusal_json(const capa_refusal *ref, int lang);
/** A list's severity filter: `value` (a code or a label of the intake form's severity
 *  choice; NULL or "" = none) as its code in *code. -1 with the reason in *why when it is
 *  not a choice (`value` must outlive *why). */
int sv_severity_filter(sv_server *srv, const char *value, const char **code, sv_reason *why);
/** The list's sort parameter `sort` refused, in *why (`sort` must outlive it). @return why. */
sv_reason *sv_sort_refused(sv_reason *why, const char *sort);
/** A date as a list's filter takes it, for sv_param_refused. */
#define SV_DATE_ZH "日期（年-月-日，如 2026-12-07）"
#define SV_DATE_EN "a date YYYY-MM-DD"
/** A report's period, for sv_param_refused. */
#define SV_PERIOD_ZH "年-月（如 2026-12）或 ISO 周（如 2026-W49）"
/** A list's query parameter `name` (its 中文 name `name_zh`) with `value` refused: it must be
 *  `expected_zh` / `expected_en`; the English sentence of before is `english`. @return w. */
sv_reason *sv_param_refused(sv_reason *w, const char *name, const char *name_zh, const char *value,
                            const char *expected_zh, const char *expected_en, const char *english);
/* ---- list.c ---- */
/** Rows on one page of the HTML case list. */
#define SV_LIST_PAGE 100
typedef enum sv_list_col {
    SV_COL_NUMBER,
    SV_COL_STAGE,
    SV_COL_CUSTOMER,
    SV_COL_PART,
    SV_COL_LOT,
    SV_COL_DEFECT,
    SV_COL_SEVERITY,
    SV_COL_OPENED,
    SV_COL_CLOSED,
    SV_COL_DESCRIPTION
} sv_list_col;
typedef struct sv_list_row {
    capa_case_header h; /* copied: owned by the list */
    int stage_rank, sev_rank;
} sv_list_row;
/** What a list asks for: the cases matching f (and severity, a code, when not NULL), sorted
 *  by col (ties in number order), the `limit` of them (SIZE_MAX: all) from `offset` on; with
 *  `board`, the first `limit` open cases of each of its stages instead (offset unused), and,
 *  when f admits closed cases (closed -1 or 1), the first `limit` closed cases as a last group
 *  after the stages': every case the list has is on the board, the total counts them all. */
typedef struct sv_list_ask {
    const capa_filter *f;
    const char *severity;
    sv_list_col col;
    int desc;
    size_t offset, limit;
    const capa_workflow *board;
} sv_list_ask;
/** One page, or one board column: its rows in order, and how many cases it has in all. */
typedef struct sv_list_group {
    sv_list_row **rows;
    size_t n, count;
    sv_list_row **all; /* owned: rows is a part of it */
    size_t n_all;
} sv_list_group;
/** A list's answer: one group (the page) or a group per board stage (and the closed cases');
 *  total is what matched. */
typedef struct sv_list {
    sv_list_group *groups;
    size_t n_groups, total;
    size_t copied; /* rows copied on the way, kept or later let go (what the tests bound) */
} sv_list;
/** `sort` ("col" or "-col"; NULL or "" = number) as a column and direction; -1 when it names
 *  no column (sv_list_sort_names lists them, for the message). */
int sv_list_sort_parse(sv_list_col *col, int *desc, const char *sort);
const char *sv_list_sort_names(void);
/** Numbers compared as a person reads them: runs of digits by their value (QC-2026-9999 before
 *  QC-2026-10000), the rest byte by byte; equal values ("07", "7") by their bytes. */
int sv_list_number_cmp(const char *a, const char *b);
/** The order of two rows by col (ties in number order), turned round with desc. */
int sv_list_cmp(const sv_list_row *a, const sv_list_row *b, sv_list_col col, int desc);
/** The page `a` asks for, with memory for 2 x (offset + limit) rows at most per part of a
 *  capa_case_scan (a top-k buffer), the number order without sorting where the engine's
 *  order is the numbers'. Free with sv_list_free, also after an error. Returns CAPA_OK or the
 *  engine's code. */
int sv_list_get(sv_list *l, capa_store *s, const sv_list_ask *a);
/** sv_list_get, every pass in the snapshot snap (sv_list_get begins one of its own): the
 *  total and the rows are of one commit. */
int sv_list_get_in(sv_list *l, capa_snapshot *snap, const sv_list_ask *a);
void sv_list_free(sv_list *l);
/** Rows a sorted run of an export holds in memory (sv_list_each), whatever the list's
 *  length; runs beyond the first go to a temporary file. */
#define SV_LIST_PIECE 1000
/** Runs an export merges at once (a read buffer each); more are merged in levels. */
#define SV_LIST_FANIN 64
/** Every row of the list `a` asks for (offset, limit and board unused), in its order, to
 *  `row` (the row borrowed for the call; a non-zero return stops, and is returned), all read
 *  in the snapshot *snap, with memory flat in the number of rows: in number order one walk
 *  where the engine lists in that order, else one walk gathering sorted runs of
 *  SV_LIST_PIECE rows (beyond the first, in an unlinked file under $TMPDIR, else /tmp),
 *  merged SV_LIST_FANIN at a time; that walk over, before any row goes to `row`, the
 *  snapshot is ended and *snap set to NULL (the caller ends it when it is still there). Each
 *  header is read once. Returns CAPA_OK, the engine's code (CAPA_ERROR when the temporary
 *  file fails) or row's value. */
int sv_list_each(capa_snapshot **snap, const sv_list_ask *a,
                 int (*row)(const sv_list_row *r, void *payload), void *payload);
/** Tests: 1 = always the top-k buffer (the number order's own walk not taken). */
extern int sv_list__heap_only;
/** Tests: called between a list's count and its walk for the page (a commit made there must
 *  not show in the one without the other). */
extern void (*sv_list__between)(void);
/** Tests: the rows of an export's run (SV_LIST_PIECE), the runs merged at once
 *  (SV_LIST_FANIN), and the headers the lists and exports have read (added up). */
extern size_t sv_list__piece;
extern size_t sv_list__fanin;
extern atomic_size_t sv_list__headers;

/** HTTP status for a CAPA_E* code. */
int sv_status_of(int code);

/* ---- assets (generated from static/) ---- */
typedef struct sv_asset {
    const char *name;
    const char *data;
    size_t len;
    const char *type;
} sv_asset;
const sv_asset *sv_asset_get(const char *name);

#endif
