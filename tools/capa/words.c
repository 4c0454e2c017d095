/*
 * words.c - words of the CLI's listings that are codes in the engine (words17e): a time
 * limit's kind and an escalation's level, in 中文 as capa-serve's pages word them
 * (tools/serve/pages.c, limit_kind and esc_view), the code itself in English as before.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

void cli_limit_words(const capa_workflow *wf, const char *kind, const char **zh, const char **en)
{
    static const char *const k[][2] = {{"response", "首次响应"},
                                       {"containment", "围堵措施"},
                                       {"plan", "行动计划批准"},
                                       {"closure", "结案"}};
    *en = kind ? kind : "";
    *zh = *en;
    for (size_t i = 0; kind && i < sizeof k / sizeof k[0]; i++) {
        if (strcmp(kind, k[i][0]) == 0) {
            *zh = k[i][1];
            return;
        }
    }
    const capa_stage *st = wf && kind ? capa_workflow_stage(wf, kind) : NULL;
    if (st && st->label_zh && *st->label_zh)
        *zh = st->label_zh;
}

const char *cli_level_zh(char *zh, size_t sz, const char *level)
{
    if (!level)
        level = "";
    if (strcmp(level, "warn") == 0)
        snprintf(zh, sz, "预警");
    else if (strcmp(level, "overdue") == 0)
        snprintf(zh, sz, "逾期告警");
    else if (strncmp(level, "overdue_", 8) == 0)
        snprintf(zh, sz, "逾期 %s 升级", level + 8);
    else
        snprintf(zh, sz, "%s", level);
    return zh;
}
