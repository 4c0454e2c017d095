/*
 * words.c - words of the CLI's listings that are codes in the engine (words17e): a time
 * limit's kind, an escalation's level and an audit action in 中文 from the tables capa-serve's
 * pages word them with (tools/lang), the code itself in English as before.
 */
#include "cli.h"
#include "lang.h"

#include <stdio.h>
#include <string.h>

void cli_limit_words(const capa_workflow *wf, const char *kind, const char **zh, const char **en)
{
    const char *en_label;
    *en = kind ? kind : "";
    *zh = *en;
    if (capa_lang_limit_kind(kind, zh, &en_label))
        return;
    const capa_stage *st = wf && kind ? capa_workflow_stage(wf, kind) : NULL;
    if (st && st->label_zh && *st->label_zh)
        *zh = st->label_zh;
}

const char *cli_level_zh(char *zh, size_t sz, const char *level)
{
    capa_lang_level(level, zh, sz, NULL, 0);
    return zh;
}

const char *cli_action_zh(const char *action)
{
    const char *zh = action, *en;
    capa_lang_action(action, &zh, &en);
    return zh;
}

const char *cli_notice_kind_zh(const char *kind)
{
    /* as capa-serve's notices page (tools/serve/templates/notices.xsl, notice-what) */
    if (kind && strcmp(kind, "returned") == 0)
        return "被退回";
    if (kind && strcmp(kind, "closed") == 0)
        return "已结案";
    if (kind && strcmp(kind, "owner") == 0)
        return "负责人变更";
    return "进入";
}

const char *cli_day_zh(int weekday, int kind)
{
    static const char *const wd[] = {"", "周一", "周二", "周三", "周四", "周五", "周六", "周日"};
    static const char *const kinds[] = {"工作日", "周末", "节假日", "调休上班"};
    if (kind < 0)
        return weekday >= 1 && weekday <= 7 ? wd[weekday] : "";
    return kind <= 3 ? kinds[kind] : "";
}

const char *cli_state_zh(const char *state)
{
    /* as capa-serve's badges (tools/serve/templates/layout.xsl, "state") */
    static const char *const k[][2] = {{"on_time", "进行中"},
                                       {"due_soon", "即将到期"},
                                       {"overdue", "已逾期"},
                                       {"met", "按时完成"},
                                       {"met_late", "逾期完成"}};
    for (size_t i = 0; state && i < sizeof k / sizeof k[0]; i++)
        if (strcmp(state, k[i][0]) == 0)
            return k[i][1];
    return state ? state : "";
}
