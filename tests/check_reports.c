/*
 * check_reports.c - the reports module: CJK text layout and font coverage, the PDF signer
 * (checked by poppler's pdfsig and `openssl cms -verify`, which know nothing of our code),
 * the signing keys, rendered glyphs against a reference image, and whole dossiers of a case
 * walked through all six stages.
 *
 * Tests that need poppler-utils, qpdf or openssl skip themselves (with a message) when the
 * tool is missing; .ci/run installs them.
 */
#include <check.h>
#include <hpdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capa.h"
#include "capa_report.h"
#include "pdfsign.h"
#include "testutil.h"
#include "text.h"

static char *tmp;

static void setup_tmp(void)
{
    tmp = tu_mkdtemp();
    ck_assert_ptr_nonnull(tmp);
}

static void teardown_tmp(void)
{
    tu_rmtree(tmp);
    free(tmp);
    tmp = NULL;
}

static int have(const char *tool)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* Run a shell command and capture its stdout (malloc'd). */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 4096, n = 0;
    char *out = malloc(cap);
    size_t r;
    while ((r = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (n + 1 >= cap)
            out = realloc(out, cap *= 2);
    }
    out[n] = 0;
    pclose(p);
    return out;
}

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* ---- text ---- */

static HPDF_Doc pdf;
static capa_rfont *font;

static void setup_font(void)
{
    setup_tmp();
    pdf = HPDF_New(NULL, NULL);
    HPDF_UseUTFEncodings(pdf);
    HPDF_SetCurrentEncoder(pdf, "UTF-8");
    HPDF_SetCompressionMode(pdf, HPDF_COMP_ALL);
    OK(capa_text__font_load(&font, pdf, capa_report_default_font()));
}

static void teardown_font(void)
{
    capa_text__font_free(font);
    font = NULL;
    HPDF_Free(pdf);
    teardown_tmp();
}

START_TEST(utf8_decoder_rejects_malformed_and_decodes_astral)
{
    uint32_t cp;
    ck_assert_uint_eq(capa_text__utf8_next((const unsigned char *)"\xe4\xb8\xad", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x4E2D);
    ck_assert_uint_eq(capa_text__utf8_next((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F600);
    /* Overlong, truncated and lone continuation bytes give U+FFFD and consume one byte. */
    ck_assert_uint_eq(capa_text__utf8_next((const unsigned char *)"\xc0\xaf", 2, &cp), 1);
    ck_assert_uint_eq(cp, 0xFFFD);
    ck_assert_uint_eq(capa_text__utf8_next((const unsigned char *)"\xe4\xb8", 2, &cp), 1);
    ck_assert_uint_eq(cp, 0xFFFD);
    ck_assert_uint_eq(capa_text__utf8_next((const unsigned char *)"\x80", 1, &cp), 1);
    ck_assert_uint_eq(cp, 0xFFFD);
}
END_TEST

START_TEST(font_covers_gb2312_labels_and_placeholder)
{
    const char *need = "品质异常反馈原因分析纠正预防措施返工返修验证归档审核批准结案第页共"
                       "ABCxyz0123456789，。：；（）□→";
    const unsigned char *p = (const unsigned char *)need;
    size_t len = strlen(need);
    while (len) {
        uint32_t cp;
        size_t n = capa_text__utf8_next(p, len, &cp);
        ck_assert_msg(capa_text__covered(font, cp), "U+%04X not covered", (unsigned)cp);
        p += n, len -= n;
    }
    ck_assert_uint_eq(font->placeholder, 0x25A1);
}
END_TEST

START_TEST(uncovered_and_astral_text_becomes_visible_placeholder)
{
    size_t miss = 0;
    /* U+1F600 is outside the BMP (libharu would drop it silently), U+E000 is private use
     * (no glyph), U+0007 is a control character. */
    char *c = capa_text__clean(font,
                               "A\xf0\x9f\x98\x80"
                               "B\xee\x80\x80"
                               "C\x07"
                               "D中",
                               &miss);
    ck_assert_str_eq(c, "A□B□C□D中");
    ck_assert_uint_eq(miss, 3);
    free(c);
    c = capa_text__clean(font, "tab\there\nnext", &miss);
    ck_assert_str_eq(c, "tab here\nnext");
    ck_assert_uint_eq(miss, 0);
    free(c);
}
END_TEST

static void strip_spaces(char *s)
{
    char *o = s;
    for (; *s; s++)
        if (*s != ' ' && *s != '\n')
            *o++ = *s;
    *o = 0;
}

START_TEST(wrap_keeps_every_line_within_width_and_loses_nothing)
{
    const char *text = "焊点连锡，客户来料检验发现。Solder bridges found at incoming inspection "
                       "of lot L2026-1102; 钢网开口设计偏大 0.05 mm（见附件 WI-SMT-012）。"
                       "Averyveryverylongidentifierwithoutanyspacesthatmustbebrokensomewhere "
                       "末尾。";
    static const float widths[] = {40, 90, 150, 300};
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        capa_lines l = {0};
        char *clean = capa_text__clean(font, text, NULL);
        OK(capa_text__wrap(&l, font, clean, 10.0f, widths[w]));
        ck_assert_uint_gt(l.n, 1);
        size_t total = 0;
        for (size_t i = 0; i < l.n; i++) {
            float lw = capa_text__width(font, l.line[i], 10.0f);
            ck_assert_msg(lw <= widths[w] + 0.01f, "line '%s' is %.1f > %.1f", l.line[i], lw,
                          widths[w]);
            total += strlen(l.line[i]);
            /* Closing punctuation never starts a line. */
            ck_assert_msg(strncmp(l.line[i], "，", 3) != 0 && strncmp(l.line[i], "。", 3) != 0,
                          "line starts with closing punctuation: '%s'", l.line[i]);
        }
        char *joined = calloc(1, total + 1), *orig = strdup(clean);
        for (size_t i = 0; i < l.n; i++)
            strcat(joined, l.line[i]);
        strip_spaces(joined);
        strip_spaces(orig);
        ck_assert_str_eq(joined, orig);
        free(joined);
        free(orig);
        free(clean);
        capa_text__lines_clear(&l);
    }
}
END_TEST

START_TEST(wrap_breaks_latin_at_spaces_and_honours_newlines)
{
    capa_lines l = {0};
    float w = capa_text__width(font, "alpha beta", 10.0f) + 1;
    OK(capa_text__wrap(&l, font, "alpha beta gamma\ndelta", 10.0f, w));
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.line[0], "alpha beta");
    ck_assert_str_eq(l.line[1], "gamma");
    ck_assert_str_eq(l.line[2], "delta");
    capa_text__lines_clear(&l);
}
END_TEST

START_TEST(missing_font_is_an_error_naming_the_file)
{
    capa_rfont *f = NULL;
    HPDF_Doc p = HPDF_New(NULL, NULL);
    ck_assert_int_eq(capa_text__font_load(&f, p, "/nonexistent/zenhei.ttf"), CAPA_ENOTFOUND);
    ck_assert_ptr_null(f);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "/nonexistent/zenhei.ttf"));
    /* Not a font at all. */
    char *bogus = path_in(tmp, "bogus.ttf");
    tu_write_file(bogus, "hello, not a font", 17);
    ck_assert_int_eq(capa_text__font_load(&f, p, bogus), CAPA_EINVALID);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), bogus));
    free(bogus);
    HPDF_Free(p);
}
END_TEST

/* ---- rendered glyphs ---- */

static const char *const GLYPH_LINES[] = {
    "品质异常反馈 原因分析 纠正预防措施",
    "返工返修 验证 归档 审核 批准 结案",
    "焊点连锡 钢网开口 馨鳖鼹 ABC xyz 0-9",
};

/* Render GLYPH_LINES with our font and return the grey page as a PGM (pdftoppm). */
static unsigned char *render_glyphs(const char *dir, int *w, int *h)
{
    HPDF_Doc p = HPDF_New(NULL, NULL);
    capa_rfont *f = NULL;
    HPDF_UseUTFEncodings(p);
    HPDF_SetCurrentEncoder(p, "UTF-8");
    OK(capa_text__font_load(&f, p, capa_report_default_font()));
    HPDF_Page page = HPDF_AddPage(p);
    HPDF_Page_SetWidth(page, 300);
    HPDF_Page_SetHeight(page, 90);
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, f->font, 16);
    for (int i = 0; i < 3; i++)
        HPDF_Page_TextOut(page, 8, 66 - 26 * i, GLYPH_LINES[i]);
    HPDF_Page_EndText(page);
    char *pdfp = path_in(dir, "glyphs.pdf");
    ck_assert_int_eq(HPDF_SaveToFile(p, pdfp), HPDF_OK);
    HPDF_Free(p);
    capa_text__font_free(f);
    char *out = run("pdftoppm -r 96 -gray -aa yes -aaVector yes '%s' '%s/g' && "
                    "cat '%s'/g-1.pgm",
                    pdfp, dir, dir);
    free(pdfp);
    ck_assert_msg(strncmp(out, "P5", 2) == 0, "pdftoppm gave no PGM");
    int maxv, off = 0;
    ck_assert_int_eq(sscanf(out, "P5 %d %d %d%n", w, h, &maxv, &off), 3);
    ck_assert_int_eq(maxv, 255);
    unsigned char *px = malloc((size_t)*w * (size_t)*h);
    memcpy(px, out + off + 1, (size_t)*w * (size_t)*h);
    free(out);
    return px;
}

START_TEST(chinese_glyphs_render_like_the_reference)
{
    if (!have("pdftoppm")) {
        fprintf(stderr, "skip: pdftoppm missing\n");
        return;
    }
    int w, h;
    unsigned char *px = render_glyphs(tmp, &w, &h);
    const char *ref_path = CAPA_TEST_DATA "/reports/glyphs.pgm";
    if (getenv("CAPA_UPDATE_REFERENCE")) {
        FILE *f = fopen(ref_path, "wb");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "P5\n%d %d\n255\n", w, h);
        fwrite(px, 1, (size_t)w * (size_t)h, f);
        fclose(f);
    }
    size_t rl;
    char *ref = tu_read_file(ref_path, &rl);
    ck_assert_msg(ref != NULL, "reference %s missing", ref_path);
    int rw, rh, rm, off = 0;
    ck_assert_int_eq(sscanf(ref, "P5 %d %d %d%n", &rw, &rh, &rm, &off), 3);
    ck_assert_int_eq(rw, w);
    ck_assert_int_eq(rh, h);
    const unsigned char *rp = (const unsigned char *)ref + off + 1;
    /* Ink per line box must be there (no empty .notdef boxes or dropped glyphs), and the
     * picture must match the reference: a font that loses strokes (what Micro Hei and
     * Droid Sans Fallback do in libharu 2.3.0) changes far more than 2 % of the ink. */
    double diff = 0, ink = 0;
    for (int i = 0; i < w * h; i++) {
        diff += fabs((double)px[i] - rp[i]);
        ink += 255 - rp[i];
    }
    ck_assert_msg(ink > 0, "reference has no ink");
    ck_assert_msg(diff / ink < 0.02, "render differs from reference by %.1f %% of the ink",
                  100 * diff / ink);
    for (int line = 0; line < 3; line++) {
        double li = 0;
        /* Line boxes from the top: baseline at 66 - 26 * line points from the bottom. */
        int y0 = (int)((8 + 26 * line) * 96 / 72.0), y1 = (int)((28 + 26 * line) * 96 / 72.0);
        for (int y = y0 > 0 ? y0 : 0; y < y1 && y < h; y++)
            for (int x = 0; x < w; x++)
                li += 255 - px[y * w + x];
        ck_assert_msg(li > 255.0 * 400, "line %d has almost no ink (%.0f)", line, li / 255);
    }
    free(ref);
    free(px);
}
END_TEST

/* ---- signing ---- */

/* The last occurrence of `needle` in a binary buffer. */
static char *rfind(char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = len >= n ? len - n + 1 : 0; i-- > 0;)
        if (memcmp(buf + i, needle, n) == 0)
            return buf + i;
    return NULL;
}

/* A two-page PDF made by libharu directly, as the signer gets it. */
static void make_pdf(unsigned char **buf, size_t *len)
{
    HPDF_Doc p = HPDF_New(NULL, NULL);
    capa_rfont *f = NULL;
    HPDF_UseUTFEncodings(p);
    HPDF_SetCurrentEncoder(p, "UTF-8");
    HPDF_SetCompressionMode(p, HPDF_COMP_ALL);
    OK(capa_text__font_load(&f, p, capa_report_default_font()));
    for (int i = 0; i < 2; i++) {
        HPDF_Page page = HPDF_AddPage(p);
        HPDF_Page_BeginText(page);
        HPDF_Page_SetFontAndSize(page, f->font, 14);
        HPDF_Page_TextOut(page, 60, 700, i ? "第二页 page two" : "签名测试 signing test");
        HPDF_Page_EndText(page);
    }
    HPDF_SaveToStream(p);
    HPDF_UINT32 n = HPDF_GetStreamSize(p);
    *buf = malloc(n);
    HPDF_ReadFromStream(p, *buf, &n);
    *len = n;
    HPDF_Free(p);
    capa_text__font_free(f);
}

static char *keys;

static void setup_keys(void)
{
    setup_tmp();
    keys = path_in(tmp, "keys");
    OK(capa_report_keys_create(keys, "示例电子有限公司", 0));
}

static void teardown_keys(void)
{
    free(keys);
    teardown_tmp();
}

static char *sign_to_file(const char *name)
{
    unsigned char *raw, *out;
    size_t rl, ol;
    make_pdf(&raw, &rl);
    capa_pdf_signer *sg = NULL;
    char *k = path_in(keys, "org.key"), *c = path_in(keys, "org.crt");
    OK(capa_pdf__signer_load(&sg, k, c));
    capa_pdf_sigopts o = {.time_ms = 1795000000000LL,
                          .reason = "8D 档案 test",
                          .location = "Plant 1",
                          .rect = {50, 50, 300, 120}};
    OK(capa_pdf__sign(&out, &ol, raw, rl, sg, &o));
    ck_assert_uint_gt(ol, rl);
    ck_assert_int_eq(memcmp(out, raw, rl), 0); /* an incremental update only appends */
    char *path = path_in(tmp, name);
    ck_assert_int_eq(tu_write_file(path, out, ol), 0);
    capa_pdf__signer_free(sg);
    free(raw);
    free(out);
    free(k);
    free(c);
    return path;
}

START_TEST(signed_pdf_verifies_with_pdfsig_and_covers_whole_file)
{
    if (!have("pdfsig") || !have("qpdf")) {
        fprintf(stderr, "skip: pdfsig/qpdf missing\n");
        return;
    }
    char *path = sign_to_file("signed.pdf");
    char *out = run("pdfsig '%s' 2>&1", path);
    ck_assert_msg(strstr(out, "Signature is Valid") != NULL, "pdfsig: %s", out);
    ck_assert_msg(strstr(out, "Total document signed") != NULL, "pdfsig: %s", out);
    ck_assert_msg(strstr(out, "adbe.pkcs7.detached") != NULL, "pdfsig: %s", out);
    ck_assert_msg(strstr(out, "示例电子有限公司") != NULL, "pdfsig: %s", out);
    free(out);
    out = run("qpdf --check '%s' 2>&1; echo rc=$?", path);
    ck_assert_msg(strstr(out, "No syntax or stream encoding errors") && strstr(out, "rc=0"),
                  "qpdf: %s", out);
    free(out);
    /* The widget adds no font: every font stays embedded, and poppler reads it cleanly. */
    out = run("pdffonts '%s' 2>&1", path);
    ck_assert_msg(!strstr(out, "Error") && !strstr(out, "Type 1"), "pdffonts: %s", out);
    free(out);
    free(path);
}
END_TEST

START_TEST(one_flipped_byte_makes_the_signature_invalid)
{
    if (!have("pdfsig")) {
        fprintf(stderr, "skip: pdfsig missing\n");
        return;
    }
    char *path = sign_to_file("tampered.pdf");
    size_t len;
    char *buf = tu_read_file(path, &len);
    /* A byte inside the first signed range, in the page text stream region. */
    buf[len / 3] ^= 0x01;
    tu_write_file(path, buf, len);
    char *out = run("pdfsig '%s' 2>&1", path);
    ck_assert_msg(strstr(out, "Signature is Valid") == NULL, "still valid: %s", out);
    ck_assert_msg(strstr(out, "Signature Validation") != NULL, "no validation line: %s", out);
    free(out);
    free(buf);
    free(path);
}
END_TEST

START_TEST(openssl_cms_verify_agrees_on_the_byte_ranges)
{
    if (!have("openssl")) {
        fprintf(stderr, "skip: openssl missing\n");
        return;
    }
    char *path = sign_to_file("cms.pdf");
    size_t len;
    char *buf = tu_read_file(path, &len);
    char *br = rfind(buf, len, "/ByteRange [");
    ck_assert_ptr_nonnull(br);
    unsigned long a, b, c, d;
    ck_assert_int_eq(sscanf(br, "/ByteRange [%lu %lu %lu %lu", &a, &b, &c, &d), 4);
    ck_assert_uint_eq(a, 0);
    ck_assert_uint_eq(c + d, len);
    /* The data: both ranges; the CMS: the hex between < and >. */
    char *data = malloc(b + d);
    memcpy(data, buf, b);
    memcpy(data + b, buf + c, d);
    char *dp = path_in(tmp, "data.bin"), *sp = path_in(tmp, "sig.der");
    tu_write_file(dp, data, b + d);
    size_t hexlen = c - b - 2;
    unsigned char *der = malloc(hexlen / 2);
    size_t n = 0;
    for (size_t i = 0; i + 1 < hexlen; i += 2) {
        unsigned v;
        sscanf(buf + b + 1 + i, "%2x", &v);
        der[n++] = (unsigned char)v;
    }
    tu_write_file(sp, der, n); /* trailing zero padding is ignored by the DER parser */
    char *crt = path_in(keys, "org.crt");
    char *out = run("openssl cms -verify -binary -inform DER -in '%s' -content '%s' "
                    "-CAfile '%s' -purpose any -out /dev/null 2>&1",
                    sp, dp, crt);
    ck_assert_msg(strstr(out, "Verification successful") != NULL, "openssl: %s", out);
    free(out);
    data[10] ^= 1;
    tu_write_file(dp, data, b + d);
    out = run("openssl cms -verify -binary -inform DER -in '%s' -content '%s' -CAfile '%s' "
              "-purpose any -out /dev/null 2>&1",
              sp, dp, crt);
    ck_assert_msg(strstr(out, "Verification successful") == NULL, "tampered verified: %s", out);
    free(out);
    free(crt);
    free(der);
    free(dp);
    free(sp);
    free(data);
    free(buf);
    free(path);
}
END_TEST

START_TEST(signing_a_signed_pdf_or_garbage_is_refused)
{
    char *path = sign_to_file("twice.pdf");
    size_t len;
    unsigned char *buf = (unsigned char *)tu_read_file(path, &len), *out = NULL;
    size_t ol = 0;
    capa_pdf_signer *sg = NULL;
    char *k = path_in(keys, "org.key"), *c = path_in(keys, "org.crt");
    OK(capa_pdf__signer_load(&sg, k, c));
    capa_pdf_sigopts o = {.time_ms = 1};
    ck_assert_int_eq(capa_pdf__sign(&out, &ol, buf, len, sg, &o), CAPA_EINVALID);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(capa_pdf__sign(&out, &ol, (const unsigned char *)"%PDF-1.3\nnope", 13, sg, &o),
                     CAPA_EINVALID);
    capa_pdf__signer_free(sg);
    free(k);
    free(c);
    free(buf);
    free(path);
}
END_TEST

/* ---- keys ---- */

START_TEST(demo_key_is_private_and_not_overwritten)
{
    char *k = path_in(keys, "org.key");
    struct stat st;
    ck_assert_int_eq(stat(k, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    size_t l1, l2;
    char *before = tu_read_file(k, &l1);
    ck_assert_int_eq(capa_report_keys_create(keys, "Other", 0), CAPA_EEXISTS);
    char *after = tu_read_file(k, &l2);
    ck_assert_uint_eq(l1, l2);
    ck_assert_int_eq(memcmp(before, after, l1), 0);
    if (have("openssl")) {
        char *c = path_in(keys, "org.crt");
        char *out = run("openssl x509 -in '%s' -noout -subject -nameopt utf8,sep_comma_plus", c);
        ck_assert_msg(strstr(out, "CN=示例电子有限公司") != NULL, "subject: %s", out);
        free(out);
        free(c);
    }
    free(before);
    free(after);
    free(k);
}
END_TEST

START_TEST(install_checks_key_matches_certificate)
{
    /* A second identity; its key with the first one's certificate must be refused. */
    char *other = path_in(tmp, "other");
    OK(capa_report_keys_create(other, "Other Org", 0));
    char *k1 = path_in(keys, "org.key"), *c1 = path_in(keys, "org.crt");
    char *k2 = path_in(other, "org.key"), *c2 = path_in(other, "org.crt");
    char *dest = path_in(tmp, "installed");
    ck_assert_int_eq(capa_report_keys_install(dest, k2, c1, NULL), CAPA_EINVALID);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "does not match"));
    ck_assert_int_eq(capa_report_keys_install(dest, "/nonexistent/key.pem", c1, NULL),
                     CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "/nonexistent/key.pem"));
    /* A matching pair with a chain file: org.crt holds both certificates. */
    OK(capa_report_keys_install(dest, k2, c2, c1));
    char *ic = path_in(dest, "org.crt"), *ik = path_in(dest, "org.key");
    size_t n;
    char *pem = tu_read_file(ic, &n);
    ck_assert_ptr_nonnull(strstr(strstr(pem, "BEGIN CERTIFICATE") + 1, "BEGIN CERTIFICATE"));
    struct stat st;
    ck_assert_int_eq(stat(ik, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    capa_pdf_signer *sg = NULL;
    OK(capa_pdf__signer_load(&sg, ik, ic));
    ck_assert_str_eq(capa_pdf__signer_name(sg), "Other Org");
    capa_pdf__signer_free(sg);
    free(pem);
    free(ic);
    free(ik);
    free(k1);
    free(c1);
    free(k2);
    free(c2);
    free(dest);
    free(other);
}
END_TEST

START_TEST(keys_copy_is_exact_private_and_checked)
{
    char *dest = path_in(tmp, "copied");
    char *k = path_in(keys, "org.key"), *c = path_in(keys, "org.crt");
    char *dk = path_in(dest, "org.key"), *dc = path_in(dest, "org.crt");
    OK(capa_report_keys_copy(dest, keys));
    struct stat st;
    ck_assert_int_eq(stat(dest, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    const char *pairs[][2] = {{k, dk}, {c, dc}};
    for (int i = 0; i < 2; i++) {
        size_t l1, l2;
        char *a = tu_read_file(pairs[i][0], &l1), *b = tu_read_file(pairs[i][1], &l2);
        ck_assert_uint_eq(l1, l2);
        ck_assert_int_eq(memcmp(a, b, l1), 0);
        ck_assert_int_eq(stat(pairs[i][1], &st), 0);
        ck_assert_int_eq(st.st_mode & 0777, 0600);
        free(a);
        free(b);
    }
    OK(capa_report_keys_check(dest));
    /* Copying again replaces the files (no leftover temporary names). */
    OK(capa_report_keys_copy(dest, keys));
    char *t = path_in(dest, ".org.key.tmp");
    ck_assert_int_ne(access(t, F_OK), 0);
    /* Nothing to copy: ENOTFOUND and nothing created. */
    char *none = path_in(tmp, "none"), *none_dst = path_in(tmp, "none-copy");
    ck_assert_int_eq(capa_report_keys_copy(none_dst, none), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), none));
    ck_assert_int_ne(access(none_dst, F_OK), 0);
    /* Half an identity is refused, naming what is missing. */
    ck_assert_int_eq(unlink(dc), 0);
    char *half_dst = path_in(tmp, "half-copy");
    ck_assert_int_eq(capa_report_keys_copy(half_dst, dest), CAPA_EINVALID);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "org.crt"));
    ck_assert_int_eq(capa_report_keys_check(dest), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), dc));
    /* Another organisation's certificate next to our key does not check. */
    char *other = path_in(tmp, "other-id");
    OK(capa_report_keys_create(other, "Other Org", 0));
    char *oc = path_in(other, "org.crt");
    size_t n;
    char *pem = tu_read_file(oc, &n);
    ck_assert_int_eq(tu_write_file(dc, pem, n), 0);
    ck_assert_int_eq(capa_report_keys_check(dest), CAPA_EINVALID);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "does not match"));
    free(pem);
    free(oc);
    free(other);
    free(half_dst);
    free(none);
    free(none_dst);
    free(t);
    free(dest);
    free(k);
    free(c);
    free(dk);
    free(dc);
}
END_TEST

/* ---- dossiers of real cases ---- */

static char *dbdir;
static capa_store *st;

static int set_many(const char *num, const char *user, const capa_kv *kv, size_t n)
{
    capa_actor a = tu_as(user);
    return capa_case_set(st, num, &a, kv, n, NULL);
}

static int sign_as(const char *num, const char *user, const char *meaning)
{
    capa_actor a = tu_as(user);
    return capa_case_sign(st, num, &a, meaning);
}

/* The acceptance walk of issue 3, with the rejection loop, and long texts. */
static char *closed_case(void)
{
    char *num = tu_open_case(st, NULL);
    capa_kv in[] = {{"validity", "valid"}, {"containment", "库存隔离 3 批，全检"}};
    OK(set_many(num, "wang", in, 2));
    OK(sign_as(num, "wang", "reviewed"));
    capa_kv an[] = {{"five_why.1.why", "为何连锡"},
                    {"five_why.1.because", "钢网开口偏大"},
                    {"five_why.2.why", "为何钢网开口偏大"},
                    {"five_why.2.because",
                     "钢网设计沿用旧版规范，未针对 0.4 mm 间距 QFN 器件做开口缩小；设计评审清单"
                     "中也没有开口面积比的检查项，评审时无人发现。The stencil design reused "
                     "an old rule set without aperture reduction for 0.4 mm pitch QFN parts."},
                    {"category_6m", "method"},
                    {"root_cause_occurrence", "钢网开口设计偏大 0.05 mm"},
                    {"root_cause_escape", "AOI 程序未覆盖该位置"}};
    OK(set_many(num, "wang", an, 7));
    OK(sign_as(num, "chen", "reviewed"));
    capa_kv ac[] = {{"corrective_actions.1.action", "钢网开口缩小 10%"},
                    {"corrective_actions.1.owner", "sun"},
                    {"corrective_actions.1.due", "2026-12-05"}};
    OK(set_many(num, "wang", ac, 3));
    capa_actor zhao = tu_as("zhao");
    OK(capa_case_reject(st, num, &zhao, "缺少预防措施"));
    OK(sign_as(num, "chen", "reviewed"));
    capa_kv pa[] = {{"preventive_actions.1.action", "更新钢网设计规范"},
                    {"preventive_actions.1.owner", "wang"},
                    {"preventive_actions.1.due", "2026-12-20"},
                    TU_D7};
    OK(set_many(num, "wang", pa, 8));
    OK(sign_as(num, "zhao", "approved"));
    capa_kv rw[] = {
        {"disposition", "rework"}, {"rework_mode", "in_house"}, {"rework_order", "RW-2026-0088"},
        {"qty_reworked", "120"},   {"qty_scrapped", "0"},       {"qty_received", "120"}};
    OK(set_many(num, "sun", rw, 6));
    OK(sign_as(num, "sun", "done"));
    capa_kv ve[] = {{"method", "复检 + 批量验证"},
                    {"sample_size", "200"},
                    {"result", "pass"},
                    {"evidence", "连续 3 批 0 不良"}};
    OK(set_many(num, "wang", ve, 4));
    OK(sign_as(num, "wang", "verified"));
    capa_kv ar[] = {{"customer_reply", "已回复客户 8D 报告"},
                    {"follow_up_date", "2026-12-28"},
                    {"follow_up_by", "wang"},
                    {"satisfaction", "satisfied"},
                    {"lessons_learned", "钢网设计评审加入开口检查"},
                    {"documents_updated", "WI-SMT-012 rev C"}};
    OK(set_many(num, "wang", ar, 6));
    OK(sign_as(num, "chen", "closed"));
    return num;
}

static void setup_store(void)
{
    setup_keys();
    st = tu_store(&dbdir, 1);
}

static void teardown_store(void)
{
    capa_store_close(st);
    tu_rmtree(dbdir);
    free(dbdir);
    teardown_keys();
}

static capa_dossier_opts signed_opts(void)
{
    static char k[4096], c[4096];
    snprintf(k, sizeof k, "%s/org.key", keys);
    snprintf(c, sizeof c, "%s/org.crt", keys);
    capa_dossier_opts o = {0};
    o.key_path = k;
    o.cert_path = c;
    o.now_ms = 1795425302000LL; /* 2026-11-22T09:55:02Z */
    o.fixed_utc_offset = 1;
    o.utc_offset_min = 480;
    return o;
}

/* Does `hay` contain the needles in this order? Returns the first missing one, or NULL. */
static const char *in_order(const char *hay, const char *const *needles, size_t n)
{
    const char *p = hay;
    for (size_t i = 0; i < n; i++) {
        const char *q = strstr(p, needles[i]);
        if (!q)
            return needles[i];
        p = q + strlen(needles[i]);
    }
    return NULL;
}

START_TEST(dossier_of_closed_case_is_complete_signed_and_readable)
{
    if (!have("pdftotext") || !have("pdfsig") || !have("pdffonts") || !have("qpdf")) {
        fprintf(stderr, "skip: poppler-utils/qpdf missing\n");
        return;
    }
    char *num = closed_case();
    char *out = path_in(tmp, "dossier.pdf");
    capa_dossier_opts o = signed_opts();
    OK(capa_report_dossier(st, num, out, &o));

    char *t = run("pdfsig '%s' 2>&1", out);
    ck_assert_msg(strstr(t, "Signature is Valid") && strstr(t, "Total document signed"),
                  "pdfsig: %s", t);
    free(t);
    t = run("qpdf --check '%s' 2>&1; echo rc=$?", out);
    ck_assert_msg(strstr(t, "rc=0"), "qpdf: %s", t);
    free(t);
    t = run("pdffonts '%s' | tail -n +3", out);
    ck_assert_msg(strstr(t, "CID TrueType") && strstr(t, " yes yes "), "pdffonts: %s", t);
    free(t);
    /* poppler reads every object without a warning (libharu's own ToUnicode CMap made it
     * warn on each use; text.c replaces it). */
    t = run("pdftotext '%s' /dev/null 2>&1; pdffonts '%s' 2>&1 >/dev/null", out, out);
    ck_assert_msg(!strstr(t, "Warning") && !strstr(t, "Error"), "poppler: %s", t);
    free(t);
    t = run("pdfinfo '%s'", out);
    ck_assert_msg(strstr(t, "Pages:") && strstr(t, num), "pdfinfo: %s", t);
    free(t);

    t = run("pdftotext -layout '%s' -", out);
    static const char *const order[] = {
        "8D 纠正预防措施档案", "示例电子有限公司", "华东汽车", "PCB-7731 / L2026-1102", "重要 / ",
        "已结案", "审计链锚点",
        /* stages in workflow order, with bilingual labels and values */
        "品质异常反馈", "焊点连锡，客户来料检验发现", "王工 (wang)", "审核", "原因分析", "为何连锡",
        "钢网开口偏大", "陈主管 (chen)", "纠正预防措施", "钢网开口缩小", "更新钢网设计规范",
        "赵经理 (zhao)", "驳回", "缺少预防措施", "赵经理 (zhao)", "批准", "返工", "RW-2026-0088",
        "孙班长 (sun)", "验证", "连续 3 批 0 不良", "验证", "归档", "钢网设计评审加入开口检查",
        "结案", "审计追踪", "reject", "缺少预防措施"};
    const char *miss = in_order(t, order, sizeof order / sizeof *order);
    if (miss)
        fprintf(stderr, "%s\n", t); /* Check's messages are too short for a whole dossier */
    ck_assert_msg(miss == NULL, "'%s' missing or out of order (text above)", miss);
    ck_assert_ptr_nonnull(strstr(t, "已被取代")); /* the superseded review of analysis */
    /* The rejection sent the case back over analysis: two passes, time summed. */
    ck_assert_ptr_nonnull(strstr(t, "2 次 passes"));
    ck_assert_ptr_nonnull(strstr(t, "第 1 页 / 共"));
    ck_assert_ptr_nonnull(strstr(t, "(UTC+08:00)"));
    ck_assert_ptr_null(strstr(t, "□")); /* every character of this case is in the font */
    free(t);
    free(out);
    free(num);
}
END_TEST

/* Repeat `unit` until about `chars` characters. */
static char *repeat(const char *unit, size_t chars)
{
    size_t ul = strlen(unit), n = 0;
    char *out = malloc(chars * 3 + ul + 1);
    out[0] = 0;
    while (n < chars) {
        strcat(out, unit);
        n += strlen(unit) / 2; /* roughly: half the bytes of mixed text are characters */
    }
    return out;
}

/* Cut to at most n bytes on a character boundary. */
static void cut_utf8(char *s, size_t n)
{
    if (strlen(s) <= n)
        return;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    s[n] = 0;
}

START_TEST(long_texts_and_many_events_stay_inside_the_pages)
{
    if (!have("pdftotext")) {
        fprintf(stderr, "skip: pdftotext missing\n");
        return;
    }
    char *num = tu_open_case(st, NULL);
    char *longtxt = repeat("围堵：库存隔离三批并全检，在途批次拦截；Containment: quarantine three "
                           "lots, 100% inspection, intercept the lot in transit. ",
                           1500);
    char *because = repeat("钢网开口偏大导致焊膏量过多AverylongwordwithoutanyspacesX ", 180);
    cut_utf8(longtxt, 3900);
    cut_utf8(because, 480);
    /* Tens of audit events: the containment text is revised again and again. */
    for (int i = 0; i < 30; i++) {
        char v[64];
        snprintf(v, sizeof v, "第 %d 版围堵措施 revision %d", i + 1, i + 1);
        capa_kv kv[] = {{"containment", v}};
        OK(set_many(num, "wang", kv, 1));
    }
    capa_kv in[] = {{"validity", "valid"}, {"containment", longtxt}};
    OK(set_many(num, "wang", in, 2));
    OK(sign_as(num, "wang", "reviewed"));
    capa_kv an[] = {{"five_why.1.why", because},
                    {"five_why.1.because", because},
                    {"five_why.2.why", "为何"},
                    {"five_why.2.because", because}};
    OK(set_many(num, "wang", an, 4));

    char *out = path_in(tmp, "long.pdf");
    capa_dossier_opts o = signed_opts();
    OK(capa_report_dossier(st, num, out, &o));
    /* Every word's box lies inside the page margins (A4: 595 x 842 points). */
    char *t = run("pdftotext -bbox '%s' - 2>/dev/null", out);
    size_t words = 0, pages = 0;
    for (const char *p = t; (p = strstr(p, "<")) != NULL; p++) {
        double x0, y0, x1, y1;
        if (strncmp(p, "<page ", 6) == 0)
            pages++;
        if (sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0, &y0, &x1,
                   &y1) == 4) {
            words++;
            ck_assert_msg(x0 >= 40 && x1 <= 555 && y0 >= 20 && y1 <= 822,
                          "word at (%.0f,%.0f)-(%.0f,%.0f) runs off the page", x0, y0, x1, y1);
        }
    }
    ck_assert_uint_gt(words, 1000);
    ck_assert_uint_ge(pages, 5);
    free(t);
    /* Nothing is lost: the end of the long texts and the last revision are there. */
    t = run("pdftotext '%s' - 2>/dev/null | tr -d ' \\n'", out);
    ck_assert_ptr_nonnull(strstr(t, "第30版围堵措施revision30"));
    ck_assert_ptr_nonnull(strstr(t, "intercepttheloti"));
    free(t);
    free(out);
    free(longtxt);
    free(because);
    free(num);
}
END_TEST

START_TEST(every_failed_allocation_is_reported_and_leaves_no_file)
{
    char *num = closed_case();
    char *out = path_in(tmp, "oom.pdf");
    capa_dossier_opts o = signed_opts();
    capa_alloc_fail_at(0);
    OK(capa_report_dossier(st, num, out, &o));
    uint64_t total = capa_alloc_fail_at(0);
    ck_assert_uint_gt(total, 10);
    uint64_t step = total > 400 ? total / 400 : 1;
    for (uint64_t n = 1; n <= total; n += step) {
        unlink(out);
        capa_alloc_fail_at(n);
        int rc = capa_report_dossier(st, num, out, &o);
        capa_alloc_fail_at(0);
        if (rc == CAPA_OK) {
            ck_assert_int_eq(access(out, F_OK), 0);
            continue;
        }
        ck_assert_msg(rc == CAPA_ENOMEM, "allocation %llu: rc %d (%s)", (unsigned long long)n, rc,
                      capa_error_last());
        ck_assert_msg(access(out, F_OK) != 0, "allocation %llu: file left", (unsigned long long)n);
    }
    char *ls = run("ls -A '%s'", tmp);
    ck_assert_str_eq(ls, "keys\n");
    free(ls);
    free(out);
    free(num);
}
END_TEST

START_TEST(dossier_is_deterministic_apart_from_the_signature)
{
    char *num = closed_case();
    char *a = path_in(tmp, "a.pdf"), *b = path_in(tmp, "b.pdf");
    capa_dossier_opts o = signed_opts();
    OK(capa_report_dossier(st, num, a, &o));
    OK(capa_report_dossier(st, num, b, &o));
    size_t la, lb;
    char *pa = tu_read_file(a, &la), *pb = tu_read_file(b, &lb);
    ck_assert_uint_eq(la, lb);
    /* Outside /Contents <...> the files are identical. */
    char *br = rfind(pa, la, "/ByteRange [");
    ck_assert_ptr_nonnull(br);
    unsigned long x, y, z, w;
    ck_assert_int_eq(sscanf(br, "/ByteRange [%lu %lu %lu %lu", &x, &y, &z, &w), 4);
    ck_assert_int_eq(memcmp(pa, pb, y), 0);
    ck_assert_int_eq(memcmp(pa + z, pb + z, w), 0);
    free(pa);
    free(pb);
    free(a);
    free(b);
    free(num);
}
END_TEST

START_TEST(dossier_bad_input_leaves_no_file)
{
    char *out = path_in(tmp, "none.pdf");
    capa_dossier_opts o = signed_opts();
    ck_assert_int_eq(capa_report_dossier(st, "QC-2099-9999", out, &o), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "QC-2099-9999"));
    ck_assert_int_ne(access(out, F_OK), 0);

    char *num = tu_open_case(st, NULL);
    capa_dossier_opts bad = o;
    bad.font_path = "/nonexistent/font.ttf";
    ck_assert_int_eq(capa_report_dossier(st, num, out, &bad), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "/nonexistent/font.ttf"));
    ck_assert_int_ne(access(out, F_OK), 0);
    bad = o;
    bad.key_path = "/nonexistent/org.key";
    ck_assert_int_eq(capa_report_dossier(st, num, out, &bad), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "/nonexistent/org.key"));
    ck_assert_int_ne(access(out, F_OK), 0);

    ck_assert_int_eq(capa_report_dossier(st, num, "/nonexistent-dir/x.pdf", &o), CAPA_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(capa_error_last(), "/nonexistent-dir/x.pdf"));
    if (geteuid() != 0) {
        char *ro = path_in(tmp, "ro");
        mkdir(ro, 0500);
        char *p = path_in(ro, "x.pdf");
        ck_assert_int_eq(capa_report_dossier(st, num, p, &o), CAPA_ERROR);
        free(p);
        free(ro);
    }
    /* The scratch directory holds nothing but the keys: no temporary file left behind. */
    char *ls = run("ls -A '%s'", tmp);
    ck_assert_str_eq(ls, "keys\n");
    free(ls);
    free(num);
    free(out);
}
END_TEST

START_TEST(open_case_dossier_shows_current_stage_and_omits_empty_fields)
{
    if (!have("pdftotext")) {
        fprintf(stderr, "skip: pdftotext missing\n");
        return;
    }
    char *num = tu_open_case(st, NULL);
    char *out = path_in(tmp, "open.pdf");
    capa_dossier_opts o = {0};
    o.now_ms = 1795425302000LL;
    OK(capa_report_dossier(st, num, out, &o));
    char *t = run("pdftotext -layout '%s' -", out);
    ck_assert_ptr_nonnull(strstr(t, "进行中"));
    ck_assert_ptr_nonnull(strstr(t, "未签名"));
    ck_assert_ptr_nonnull(strstr(t, "尚未进行"));
    /* subject_person was given empty: no label for it. */
    ck_assert_ptr_null(strstr(t, "被投诉人"));
    free(t);
    free(out);
    free(num);
}
END_TEST

Suite *capa_reports_suite(void)
{
    Suite *s = suite_create("reports");
    TCase *tc = tcase_create("text");
    tcase_add_checked_fixture(tc, setup_font, teardown_font);
    tcase_add_test(tc, utf8_decoder_rejects_malformed_and_decodes_astral);
    tcase_add_test(tc, font_covers_gb2312_labels_and_placeholder);
    tcase_add_test(tc, uncovered_and_astral_text_becomes_visible_placeholder);
    tcase_add_test(tc, wrap_keeps_every_line_within_width_and_loses_nothing);
    tcase_add_test(tc, wrap_breaks_latin_at_spaces_and_honours_newlines);
    tcase_add_test(tc, missing_font_is_an_error_naming_the_file);
    tcase_add_test(tc, chinese_glyphs_render_like_the_reference);
    suite_add_tcase(s, tc);

    tc = tcase_create("sign");
    tcase_add_checked_fixture(tc, setup_keys, teardown_keys);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, signed_pdf_verifies_with_pdfsig_and_covers_whole_file);
    tcase_add_test(tc, one_flipped_byte_makes_the_signature_invalid);
    tcase_add_test(tc, openssl_cms_verify_agrees_on_the_byte_ranges);
    tcase_add_test(tc, signing_a_signed_pdf_or_garbage_is_refused);
    tcase_add_test(tc, demo_key_is_private_and_not_overwritten);
    tcase_add_test(tc, install_checks_key_matches_certificate);
    tcase_add_test(tc, keys_copy_is_exact_private_and_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("dossier");
    tcase_add_checked_fixture(tc, setup_store, teardown_store);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dossier_of_closed_case_is_complete_signed_and_readable);
    tcase_add_test(tc, dossier_is_deterministic_apart_from_the_signature);
    tcase_add_test(tc, long_texts_and_many_events_stay_inside_the_pages);
    tcase_add_test(tc, every_failed_allocation_is_reported_and_leaves_no_file);
    tcase_add_test(tc, dossier_bad_input_leaves_no_file);
    tcase_add_test(tc, open_case_dossier_shows_current_stage_and_omits_empty_fields);
    suite_add_tcase(s, tc);
    return s;
}
