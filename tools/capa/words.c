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

const char *cli_action_zh(const char *action)
{
    /* capa-serve's words for the case page's audit trail (tools/serve/pages.c, action_label),
     * and the store's own actions */
    static const char *const k[][2] = {{"open", "开立"},
                                       {"set", "修改"},
                                       {"sign", "签核"},
                                       {"reject", "驳回"},
                                       {"attach", "附件"},
                                       {"import", "导入"},
                                       {"escalate", "升级"},
                                       {"waive", "豁免"},
                                       {"owner", "改派负责人"},
                                       {"init", "建库"},
                                       {"upgrade", "升级存储"},
                                       {"user_add", "添加用户"},
                                       {"passwd", "改密码"},
                                       {"unlock", "解锁"},
                                       {"unlock_local", "本机解锁"},
                                       {"login_failed", "登录失败"},
                                       {"lock", "锁定"},
                                       {"login_locked", "锁定中登录"},
                                       {"role", "改角色"},
                                       {"user_disable", "停用用户"},
                                       {"user_enable", "启用用户"},
                                       {"user_set", "联系方式"},
                                       {"form_install", "安装表单"},
                                       {"calendar_install", "安装日历"},
                                       {"config", "配置"},
                                       {"notify_target", "通知对象"},
                                       {"import_archive", "导入归档"},
                                       {"deliver", "送达"},
                                       {"checkpoint", "检查点"}};
    for (size_t i = 0; action && i < sizeof k / sizeof k[0]; i++)
        if (strcmp(action, k[i][0]) == 0)
            return k[i][1];
    return action;
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
