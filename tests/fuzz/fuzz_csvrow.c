/*
 * fuzz_csvrow.c - libFuzzer harness for the CSV row -> fields path: the first byte chooses
 * the encoding (bit 0: GB18030) and delimiter (bits 1-2: , ; tab); the rest is the file.
 * Every row is read by libcsv (+ iconv) and converted through the shipped `register`
 * mapping, bound to its own headers, with the built-in forms and UTC (capa_sheet__convert):
 * value maps, date formats, each cell against its field's rules. Whatever the input: no
 * crash, no leak, and a row without problems has values that are valid UTF-8.
 */
#include "capa_sheets.h"
#include "rows.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static capa_mapping *map;
static capa_workflow *wf;
static capa_formdef *forms[64];
static capa_tz *tz;
static capa_map_binding bind;

static void setup(void)
{
    capa_diag d = {0};
    capa_form_init();
    if (capa_mapping_load(&map, "register", &d) || capa_tz_load(&tz, "UTC"))
        abort();
    const capa_embedded_file *w = capa_form_embedded_get("workflow.xml");
    if (!w || capa_workflow_parse(&wf, w->data, w->len, "workflow.xml", &d))
        abort();
    for (size_t i = 0; i < wf->n_stages && i < 64; i++) {
        char name[80];
        snprintf(name, sizeof name, "%s.xml", wf->stages[i].form_id);
        const capa_embedded_file *f = capa_form_embedded_get(name);
        if (!f || capa_formdef_parse(&forms[i], f->data, f->len, name, &d))
            abort();
    }
    const char *headers[64];
    for (size_t i = 0; i < map->n_columns && i < 64; i++)
        headers[i] = map->columns[i].header;
    if (capa_mapping_bind(&bind, map, headers, map->n_columns, &d, NULL))
        abort();
    capa_diag_clear(&d);
}

static int on_row(const char *const *cells, size_t n, uint64_t row, void *payload)
{
    const capa_rowmap *m = payload;
    capa_sheet_row r;
    char reason[600];
    int nbad = 0;
    int err = capa_sheet__convert(m, cells, n, row, &r, 1, &nbad, reason, sizeof reason);
    if (!err && !nbad)
        for (size_t i = 0; i < r.n; i++)
            if (capa_text_check(r.kv[i].value, 1, NULL, 0) != CAPA_OK)
                abort();
    if (!err && !m->check_cells && !nbad)
        (void)capa_sheet__explain(m, &r, reason, sizeof reason);
    capa_sheet__row_clear(&r);
    return err == CAPA_ENOMEM ? err : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1)
        return 0;
    capa_sheet_info info = {0};
    snprintf(info.encoding, sizeof info.encoding, "%s", data[0] & 1 ? "gb18030" : "utf-8");
    info.delim = "\x2c;\t,"[(data[0] >> 1) & 3];
    capa_rowmap m = {0};
    m.map = map;
    m.b = &bind;
    m.wf = wf;
    for (size_t i = 0; i < wf->n_stages && i < 64; i++)
        m.forms[i] = forms[i];
    m.tz = tz;
    m.check_cells = data[0] & 8;
    m.source = "fuzz.csv";
    m.sha256 = "0000000000000000000000000000000000000000000000000000000000000000";
    (void)capa_csv_read_mem((const char *)data + 1, size - 1, &info, on_row, &m);
    return 0;
}
