/*
 * defs.c - a complete definition set: workflow.xml plus the form of each stage, from a
 * plant's directory or from the copies compiled into the library. Loading them together lets
 * the checks that span files (every stage has its form; limit severities are choices of
 * intake's severity) run in one place, so no caller can end up with a half-consistent set.
 */
#include <dirent.h>
#include <string.h>

#include "alloc.h"
#include "xml.h"

void capa_definitions_free(capa_definitions *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_forms; i++)
        capa_formdef_free(d->forms[i]);
    capa__free(d->forms);
    capa_workflow_free(d->workflow);
    capa__free(d);
}

/* Read one definition file, from dir or the embedded table, into out_xml and out_len. The
 * name for messages is the path (or the bare file name for built-in ones). */
static int read_def(char **out_xml, size_t *out_len, char **out_name, const char *dir,
                    const char *file, capa_diag *diag)
{
    int rc = CAPA_ENOMEM;
    const capa_embedded_file *e;

    *out_xml = NULL;
    *out_name = dir ? capa__sprintf("%s/%s", dir, file) : capa__strdup(file);
    if (!*out_name)
        goto done;
    if (dir) {
        rc = capa__xml_read_file(out_xml, out_len, *out_name, diag);
        goto done;
    }
    e = capa_form_embedded_get(file);
    if (!e) {
        capa_diag_add(diag, "%s: not among the built-in definitions", file);
        rc = CAPA_ENOTFOUND;
        goto done;
    }
    *out_xml = capa__strndup(e->data, e->len);
    *out_len = e->len;
    rc = *out_xml ? CAPA_OK : CAPA_ENOMEM;
done:
    return rc;
}

/* Worst code wins: ENOMEM over ENOTFOUND/ERROR over EINVALID over OK. */
static int worse(int a, int b)
{
    static const int order[] = {CAPA_ENOMEM, CAPA_ERROR, CAPA_ENOTFOUND, CAPA_EINVALID};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (a == order[i] || b == order[i])
            return order[i];
    return a != CAPA_OK ? a : b;
}

int capa_definitions_load(capa_definitions **out, const char *dir, capa_diag *diag)
{
    return capa_definitions_load_file(out, dir, "workflow.xml", diag);
}

int capa_definitions_load_file(capa_definitions **out, const char *dir, const char *wf_file,
                               capa_diag *diag)
{
    int rc, r;
    uint64_t oom_before = capa__oom_count();
    capa_definitions *d = NULL;
    char *xml = NULL, *name = NULL, *file = NULL;
    size_t len = 0;

    *out = NULL;
    rc = CAPA_ENOMEM;
    d = capa__calloc(1, sizeof *d);
    if (!d)
        goto done;
    rc = read_def(&xml, &len, &name, dir, wf_file, diag);
    if (rc == CAPA_OK)
        rc = capa_workflow_parse(&d->workflow, xml, len, name, diag);
    if (rc != CAPA_OK)
        goto done;
    d->forms = capa__calloc(d->workflow->n_stages, sizeof *d->forms);
    if (!d->forms) {
        rc = CAPA_ENOMEM;
        goto done;
    }
    d->n_forms = d->workflow->n_stages;
    /* Keep going after a bad form so one run reports the problems of every file. */
    for (size_t i = 0; i < d->n_forms; i++) {
        const char *form_id = d->workflow->stages[i].form_id;
        capa__free(xml);
        capa__free(name);
        capa__free(file);
        xml = name = NULL;
        file = capa__sprintf("%s.xml", form_id);
        r = file ? read_def(&xml, &len, &name, dir, file, diag) : CAPA_ENOMEM;
        if (r == CAPA_OK)
            r = capa_formdef_parse(&d->forms[i], xml, len, name, diag);
        if (r == CAPA_OK && strcmp(d->forms[i]->id, form_id) != 0) {
            capa_diag_add(diag,
                          "%s: form id `%s` does not match the file name (stage `%s` uses "
                          "form `%s`)",
                          name, d->forms[i]->id, d->workflow->stages[i].id, form_id);
            r = CAPA_EINVALID;
        }
        rc = worse(rc, r);
    }
    if (rc == CAPA_OK)
        rc = capa_workflow_check_forms(d->workflow, (const capa_formdef *const *)d->forms,
                                       d->n_forms, diag);
done:
    if (capa__oom_count() != oom_before)
        rc = CAPA_ENOMEM;
    if (rc == CAPA_OK) {
        *out = d;
        d = NULL;
    }
    capa_definitions_free(d);
    capa__free(xml);
    capa__free(name);
    capa__free(file);
    return rc;
}

int capa_definitions_extra(char ***out, size_t *n, const char *dir)
{
    char **names = NULL;
    size_t k = 0, cap = 0;
    int rc = CAPA_OK;
    DIR *d = NULL;
    *out = NULL;
    *n = 0;
    const capa_embedded_file *ef = dir ? NULL : capa_form_embedded();
    if (dir && !(d = opendir(dir)))
        return CAPA_OK; /* reported by capa_definitions_load, which reads from it first */
    for (;;) {
        const char *name;
        struct dirent *de = NULL;
        if (d) {
            if (!(de = readdir(d)))
                break;
            name = de->d_name;
        } else {
            if (!ef->name)
                break;
            name = (ef++)->name;
        }
        size_t len = strlen(name);
        if (len <= 13 || strncmp(name, "workflow-", 9) != 0 || strcmp(name + len - 4, ".xml") != 0)
            continue;
        if (k == cap) {
            size_t nc = cap ? cap * 2 : 4;
            char **p = capa__realloc(names, nc * sizeof *p);
            if (!p) {
                rc = CAPA_ENOMEM;
                break;
            }
            names = p, cap = nc;
        }
        if (!(names[k] = capa__strdup(name))) {
            rc = CAPA_ENOMEM;
            break;
        }
        k++;
    }
    if (d)
        closedir(d);
    /* Sorted, so every store made from the same files holds the same trail. */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    if (rc != CAPA_OK) {
        for (size_t i = 0; i < k; i++)
            capa__free(names[i]);
        capa__free(names);
        return rc;
    }
    *out = names;
    *n = k;
    return CAPA_OK;
}

const capa_formdef *capa_definitions_form(const capa_definitions *d, const char *stage_id)
{
    int i = d ? capa_workflow_stage_index(d->workflow, stage_id) : -1;
    return i < 0 || (size_t)i >= d->n_forms ? NULL : d->forms[i];
}
