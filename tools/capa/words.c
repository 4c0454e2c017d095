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

/* The 中文 of `code` in a table of {code, 中文} pairs; NULL when the table has no such code. */
static const char *pair_zh(const char *const (*k)[2], size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++)
        if (strcmp(code, k[i][0]) == 0)
            return k[i][1];
    return NULL;
}

const char *cli_state_zh(const char *state)
{
    /* as capa-serve's badges (tools/serve/templates/layout.xsl, "state") */
    static const char *const k[][2] = {{"on_time", "进行中"},
                                       {"due_soon", "即将到期"},
                                       {"overdue", "已逾期"},
                                       {"met", "按时完成"},
                                       {"met_late", "逾期完成"}};
    const char *zh = pair_zh(k, sizeof k / sizeof k[0], state);
    return zh ? zh : state ? state : "";
}

const char *cli_event_field_zh(const char *name)
{
    static const char *const k[][2] = {{"stage", "阶段"},
                                       {"signature", "签名"},
                                       {"data_hash", "数据哈希"},
                                       {"attachment", "附件"},
                                       {"owner", "负责人"},
                                       {"role", "角色"},
                                       {"name", "姓名"},
                                       {"dept", "部门"},
                                       {"password", "密码"},
                                       {"locked", "锁定"},
                                       {"disabled", "停用"},
                                       {"failed_logins", "登录失败次数"},
                                       {"org", "组织"},
                                       {"timezone", "时区"},
                                       {"number_pattern", "编号规则"},
                                       {"recurrence_days", "重复发生判定天数"},
                                       {"checkpoint", "检查点"},
                                       {"import", "导入"},
                                       {"format", "存储格式"},
                                       {"notify_target", "通知对象"},
                                       {"id", "编号"}};
    return pair_zh(k, sizeof k / sizeof k[0], name);
}
