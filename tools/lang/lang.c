/*
 * lang.c - the wording catalogue of refusals (see lang.h).
 *
 * One table: per rule id (and optionally a condition on a parameter) the sentence in 中文
 * and in English. Placeholders in braces:
 *   {field}   the field's label in the language (the form's; else the catalogue's own name
 *             for a non-form field such as the reason; else the id)
 *   {value}   the refused value          {case}  the case number
 *   {stage}   the stage's label          {NAME}  parameter NAME of the rule
 *   {NAME@}   parameter NAME_zh or NAME_en in the language, else NAME
 * A condition "NAME" picks the line when the parameter is present, "NAME=V" when it equals V;
 * the first line of a rule whose condition holds is used, so put the conditional ones first.
 * [[...]] is for the browser only (what to click); the CLI drops it. <<...>> is for the CLI
 * only (the command that helps); a browser page never shows it.
 */
#include "lang.h"

#include "capa_form.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct wording {
    const char *rule;
    const char *cond; /* NULL: always */
    const char *zh;
    const char *en;
} wording;

static const wording catalogue[] = {
    /* ---- field validation (forms/validate.c) ---- */
    {"field.required", "when=create", "「{field}」为必填项，请填写",
     "{field} is required: please fill it in"},
    {"field.required", "rows", "签核前「{field}」至少需要填写一行[[：请点击“填写本阶段”补填]]",
     "{field} needs at least one row before sign-off[[: click Fill in this stage to add it]]"},
    {"field.required", NULL, "签核前必须填写「{field}」[[：请点击“填写本阶段”补填]]",
     "{field} must be filled in before sign-off[[: click Fill in this stage to add it]]"},
    {"field.min_rows", NULL, "「{field}」至少需要 {min} 行（现有 {rows} 行）",
     "{field} needs at least {min} rows (has {rows})"},
    {"field.max_bytes", NULL, "「{field}」的内容过长（{length} 字节，上限 {max} 字节）",
     "{field} is too long ({length} bytes; at most {max})"},
    {"field.utf8", NULL, "「{field}」的内容不是有效的文本（UTF-8）",
     "{field} is not valid text (UTF-8)"},
    {"field.text", NULL, "「{field}」含有不允许的控制字符或隐藏字符，请删除后再保存",
     "{field} contains a character that is not allowed ({why}); remove it and save again"},
    {"field.max_length", NULL, "「{field}」最多 {max} 个字符（现为 {length} 个）",
     "{field} may have at most {max} characters (has {length})"},
    {"field.integer", NULL, "「{field}」须为整数（现为“{value}”）",
     "{field}: '{value}' is not an integer (a whole number)"},
    {"field.decimal", NULL, "「{field}」须为数字（现为“{value}”）",
     "{field}: '{value}' is not a decimal number"},
    {"field.min", NULL, "「{field}」不得小于 {min}（现为“{value}”）",
     "{field} must be at least {min} (not '{value}')"},
    {"field.max", NULL, "「{field}」不得大于 {max}（现为“{value}”）",
     "{field} must be at most {max} (not '{value}')"},
    {"field.date", NULL, "「{field}」须为日期，格式为 年-月-日，例如 2026-12-07（现为“{value}”）",
     "{field} must be a date as year-month-day, e.g. 2026-12-07 (not '{value}')"},
    {"field.datetime", NULL,
     "「{field}」须为日期和时间，例如 2026-12-07T08:30+08:00（现为“{value}”）",
     "{field} must be a date and time, e.g. 2026-12-07T08:30+08:00 (not '{value}')"},
    {"field.choice", NULL, "「{field}」须为以下之一：{choices@}（现为“{value}”）",
     "{field} must be one of: {choices@} (not '{value}')"},
    {"field.boolean", NULL, "「{field}」须为“是”或“否”", "{field} must be yes or no"},
    {"field.user", NULL, "「{field}」须为一位用户的账号（现为“{value}”）",
     "{field} must be a user's account (not '{value}')"},
    {"field.user_unknown", NULL, "「{field}」：没有账号为“{value}”的用户",
     "{field}: there is no user with the account '{value}'"},
    {"field.pattern", NULL, "「{field}」的格式不符合要求（“{value}”不符合 {pattern}）",
     "{field} does not have the required format ('{value}' does not match {pattern})"},
    {"field.repeated", NULL, "「{field}」提交了两次", "{field} was given twice"},
    {"field.name", NULL, "字段名“{field}”格式不正确", "the field name '{field}' is malformed"},
    {"field.unknown", NULL, "“{field}”不是本表单的字段", "'{field}' is not a field of this form"},
    {"field.group", NULL, "「{field}」是可重复的表格，请逐行填写",
     "{field} is a table: fill it in row by row"},
    {"field.row", NULL, "「{field}」的行号超出范围（最多 {max} 行）",
     "{field}: the row is out of range (at most {max} rows)"},
    /* ---- the workflow's sign-off conditions ---- */
    {"signoff.equals", "reject_to",
     "签核“{meaning@}”要求「{field}」为“{equals@}”（现为“{value}”）：请在重新确认后修改该项，"
     "或[[点击“驳回”]]退回“{reject_to@}”阶段",
     "'{meaning@}' requires {field} to be '{equals@}' (it is '{value}'): change it after a new "
     "check, or [[click Reject to ]]send the case back to {reject_to@}"},
    {"signoff.equals", NULL, "签核“{meaning@}”要求「{field}」为“{equals@}”（现为“{value}”）",
     "'{meaning@}' requires {field} to be '{equals@}' (it is '{value}')"},
    {"signoff.filled", NULL, "签核“{meaning@}”要求先填写「{field}」[[：请点击“填写本阶段”补填]]",
     "'{meaning@}' requires {field} to be filled in[[: click Fill in this stage]]"},
    /* ---- the workflow's rules over rows, alternatives and waivers (IATF 16949 10.2.4) ---- */
    {"signoff.rule", "waiver_by",
     "签核“{meaning@}”要求填写「{flabel@}」{any@}{cond@}，或由{waiver_by@}签署“{waiver@}”；"
     "目前两者皆无[[：请点击“填写本阶段”补填，或请{waiver_by@}签署]]",
     "'{meaning@}' requires {flabel@}{any@} to be filled in{cond@}, or a '{waiver@}' signed by "
     "{waiver_by@}; there is neither[[: click Fill in this stage, or ask {waiver_by@} to sign "
     "it]]"},
    {"signoff.rule", NULL,
     "签核“{meaning@}”要求填写「{flabel@}」{any@}{cond@}[[：请点击“填写本阶段”补填]]",
     "'{meaning@}' requires {flabel@}{any@} to be filled in{cond@}[[: click Fill in this stage]]"},
    {"signoff.rule_in", NULL, "签核“{meaning@}”要求「{flabel@}」（“{value}”）{in@}{cond@}",
     "'{meaning@}' requires {flabel@} ('{value}'){in@}{cond@}"},
    {"signoff.rule_equals", "waiver_by",
     "签核“{meaning@}”要求「{flabel@}」为“{equals@}”（现为“{value}”）{cond@}，或由{waiver_by@}"
     "签署“{waiver@}”",
     "'{meaning@}' requires {flabel@} to be '{equals@}' (it is '{value}'){cond@}, or a "
     "'{waiver@}' signed by {waiver_by@}"},
    {"signoff.rule_equals", NULL,
     "签核“{meaning@}”要求「{flabel@}」为“{equals@}”（现为“{value}”）{cond@}",
     "'{meaning@}' requires {flabel@} to be '{equals@}' (it is '{value}'){cond@}"},
    /* ---- who may act ---- */
    {"open.role", "who", "您的角色（{role@}）不能新建案件；请联系可以新建的人：{who}",
     "your role ({role@}) may not open a case; please ask someone who can: {who}"},
    {"open.role", NULL, "您的角色（{role@}）不能新建案件；新建需要以下角色：{roles@}",
     "your role ({role@}) may not open a case; that needs the role {roles@}"},
    {"set.role", "who", "您的角色（{role@}）不能填写“{stage}”阶段；请联系可以填写的人：{who}",
     "your role ({role@}) may not fill in the stage {stage}; please ask someone who can: {who}"},
    {"set.role", NULL, "您的角色（{role@}）不能填写“{stage}”阶段；需要以下角色：{roles@}",
     "your role ({role@}) may not fill in the stage {stage}; that needs the role {roles@}"},
    {"sign.role", "who",
     "您的角色（{role@}）不能在“{stage}”阶段签核“{meaning@}”；请联系可以签核的人：{who}",
     "your role ({role@}) may not sign '{meaning@}' on the stage {stage}; please ask someone "
     "who can: {who}"},
    {"sign.role", NULL,
     "您的角色（{role@}）不能在“{stage}”阶段签核“{meaning@}”；需要以下角色：{roles@}，目前没有"
     "可签核的用户，请联系系统管理员添加",
     "your role ({role@}) may not sign '{meaning@}' on the stage {stage}; that needs the role "
     "{roles@}, and nobody can now: please ask the administrator to add someone"},
    {"reject.role", "who", "您的角色（{role@}）不能驳回“{stage}”阶段；请联系可以驳回的人：{who}",
     "your role ({role@}) may not reject the stage {stage}; please ask someone who can: {who}"},
    {"reject.role", NULL, "您的角色（{role@}）不能驳回“{stage}”阶段；需要以下角色：{roles@}",
     "your role ({role@}) may not reject the stage {stage}; that needs the role {roles@}"},
    {"case.recused", NULL, "您是本案的被投诉人，须回避：不能填写、签核或驳回本案",
     "you are the person this complaint is about and are recused: you may not fill in, sign or "
     "reject this case"},
    {"sign.independent", NULL,
     "您修改过“{stage}”阶段的内容，不能由您本人签核“{meaning@}”（不得自审自批）；请联系：{who}",
     "you changed fields of the stage {stage}, so '{meaning@}' must come from someone else (no "
     "self-approval); please ask: {who}"},
    {"sign.independent_nobody", NULL,
     "您修改过“{stage}”阶段的内容，不能由您本人签核“{meaning@}”（不得自审自批），而目前没有其他"
     "具有角色 {roles@} 的用户可以签核：请联系系统管理员添加一位",
     "you changed fields of the stage {stage}, so '{meaning@}' must come from someone else (no "
     "self-approval), and no other user with the role {roles@} can sign it: please ask the "
     "administrator to add one"},
    {"admin.role", NULL, "只有系统管理员可以执行此操作", "only an administrator may do this"},
    /* ---- the state of the case ---- */
    {"sign.meaning", NULL,
     "本案已不在您打开时的阶段：现处于“{stage}”阶段（待“{meaning@}"
     "”）。请重新打开案件页核对后再操作",
     "the case is no longer at the stage you opened: it is now at {stage} (awaiting "
     "'{meaning@}'); open the case page again and check it"},
    {"case.changed", NULL, "您查看之后，此阶段的内容已被他人修改：请重新打开案件页核对后再提交",
     "the data of this stage changed since it was shown to you: someone else changed it; open "
     "the case page again, check it and submit again"},
    {"case.closed", NULL, "本案已于 {closed_at} 结案，归档后只读",
     "this case was closed on {closed_at}; an archived case is read-only"},
    {"case.imported", NULL, "这是从 {origin} 导入的归档副本，在此只读",
     "this is an archived copy imported from {origin}; it is read-only here"},
    {"case.not_found", NULL, "没有编号为 {case} 的案件", "there is no case {case}"},
    {"reject.none", NULL, "“{stage}”阶段没有驳回步骤，只能签核“{meaning@}”",
     "the stage {stage} cannot be rejected; it can only be signed off as '{meaning@}'"},
    {"reason.required", NULL, "驳回必须填写理由", "a rejection must give a reason"},
    {"reason.max_bytes", NULL, "理由过长（{length} 字节，上限 {max} 字节）",
     "the reason is too long ({length} bytes; at most {max})"},
    /* ---- signing in ---- */
    {"auth.password", NULL, "密码不正确", "that is the wrong password"},
    {"auth.locked_now", NULL,
     "密码不正确；连续 {max_failed} 次错误，账户已被锁定：请联系系统管理员解锁",
     "wrong password; after {max_failed} wrong passwords the account is now locked: please ask "
     "the administrator to unlock it"},
    {"auth.locked", NULL, "账户已被锁定：请联系系统管理员解锁",
     "the account is locked: please ask the administrator to unlock it"},
    {"auth.disabled", NULL, "账户已停用：请联系系统管理员启用",
     "the account is disabled: please ask the administrator to enable it"},
    {"auth.user_missing", NULL, "请填写账号", "please give your account"},
    {"auth.password_missing", NULL, "请填写密码", "please give your password"},
    /* ---- user administration (core/users.c) ---- */
    {"user.id", NULL,
     "账号“{value}”不符合要求：须以小写字母开头，由小写字母、数字和 . _ - 组成，最多 32 个字符",
     "the account '{value}' is not allowed: it must start with a lower-case letter and have at "
     "most 32 lower-case letters, digits and . _ -"},
    {"user.name_length", NULL, "姓名须为 1 到 {max} 字节", "the name must have 1 to {max} bytes"},
    {"user.role_unknown", NULL, "没有角色“{value}”；可选的角色：{roles@}",
     "there is no role '{value}'; the roles are: {roles@}"},
    {"user.role_missing", NULL, "请选择新的角色", "please choose the new role"},
    {"user.role_same", NULL, "用户 {user} 的角色已是“{role@}”",
     "{user} has the role '{role@}' already"}, 
    {"user.password_length", NULL, "密码须为 {min} 到 {max} 字节（现为 {length} 字节）",
     "a password must have {min} to {max} bytes (this one has {length})"},
    {"user.exists", NULL, "账号“{value}”已存在：请换一个账号",
     "the account '{value}' exists already: "
     "choose another"},
    {"user.not_found", NULL, "没有账号为“{value}”的用户",
     "there is no user with the account '{value}'"},
    {"user.missing", NULL, "请指明是哪一位用户", "please say which user"},
    {"user.self_role", NULL, "系统管理员不能修改自己的角色：请由另一位系统管理员修改",
     "an administrator cannot change their own role: another administrator must do it"},
    {"user.self_disable", NULL, "系统管理员不能停用或启用自己的账户：请由另一位系统管理员操作",
     "an administrator cannot disable or enable their own account: another administrator must "
     "do it"},
    {"user.already_disabled", NULL, "用户“{value}”已是停用状态",
     "the user '{value}' is disabled already"},
    {"user.already_enabled", NULL, "用户“{value}”已是启用状态",
     "the user '{value}' is enabled already"},
    /* ---- contacts, notice targets and case owners (core/notify.c) ---- */
    {"notify.mobile", NULL, "手机号“{value}”不正确：须为 5 到 20 位数字，可以 + 开头",
     "the mobile number '{value}' is not right: 5 to 20 digits, optionally after a +"},
    {"notify.email", NULL,
     "邮箱地址“{value}”不正确：须为 名称@域名 的形式（字母、数字及 . _ % + -）",
     "the e-mail address '{value}' is not right: it must be a plain address name@domain "
     "(letters, digits and . _ % + -)"},
    {"notify.kind", NULL, "“{kind}”不是通知的类别；可选：全部、不通知，或以下几种：{kinds}",
     "'{kind}' is not a kind of notice; choose all, none, or of: {kinds}"},
    {"notify.kinds_none", NULL, "请选择要接收的通知类别：全部、不通知，或以下几种：{kinds}",
     "please choose the kinds of notice: all, none, or of: {kinds}"},
    {"notify.contact_role", NULL, "只有系统管理员或用户本人可以修改联系方式",
     "only an administrator or the user themself may change the contact details"},
    {"notify.contact_nothing", NULL, "没有要修改的内容：请填写手机号、邮箱或通知类别",
     "nothing to change: give a mobile number, an e-mail address or the kinds of notice"},
    {"notify.target_exists", NULL, "通知渠道“{value}”已存在：请先删除它，或换一个名称",
     "the notice target '{value}' exists already: remove it first, or choose another name"},
    {"notify.target_unknown", NULL, "没有名为“{value}”的通知渠道",
     "there is no notice target "
     "'{value}'"},
    {"notify.target_missing", NULL, "请指明要删除的通知渠道", "please say which notice target"},
    {"notify.target_name", NULL,
     "通知渠道的名称“{value}”不正确：须为 1 到 {max} 个小写字母、数字、- 或 _",
     "the notice target's name '{value}' is not right: 1 to {max} of a-z 0-9 - _"},
    {"notify.target_url_missing", NULL, "请填写企业微信、钉钉机器人或邮件服务器的地址",
     "please give the address of a WeCom or DingTalk robot, or of a mail server"},
    {"notify.target_kind", NULL, "“{value}”不是通知渠道的类别：须为企业微信、钉钉或邮件",
     "'{value}' is no kind of notice target: it must be WeCom, DingTalk or e-mail"},
    {"notify.url", NULL,
     "地址不正确：须为 http:// 或 https:// 开头、不含空白、最多 2048 个字符的网址",
     "the address is not right: an http:// or https:// URL of at most 2048 characters without "
     "white space"},
    {"notify.smtp_url", NULL, "邮件服务器地址不正确：须为 smtp:// 或 smtps:// 开头、不含空白",
     "the mail server's address is not right: an smtp:// or smtps:// URL without white space"},
    {"notify.secret_kind", NULL, "只有钉钉机器人使用加签密钥",
     "only a DingTalk robot signs with a secret"},
    {"notify.secret", NULL, "加签密钥须为 1 到 256 个字符，不含空白",
     "the secret must have 1 to 256 characters without white space"},
    {"notify.from_missing", NULL, "邮件渠道需要填写发件人地址",
     "an e-mail target needs a sender address"},
    {"notify.from_robot", NULL, "发件人地址只用于邮件渠道",
     "a sender address is for an e-mail target only"},
    {"owner.closed", NULL, "本案已结案，负责人不再变更", "the case is closed; its owner stays"},
    {"owner.role", NULL, "只有系统管理员、质量主管或本案负责人（{owner}）可以转交本案",
     "only an administrator, the QE lead or the case's owner ({owner}) may hand it over"},
    {"owner.user", "why=locked", "用户“{value}”的账户已被锁定，不能成为负责人",
     "the account of '{value}' is locked: they cannot become the owner"},
    {"owner.user", "why=disabled", "用户“{value}”的账户已停用，不能成为负责人",
     "the account of '{value}' is disabled: they cannot become the owner"},
    {"owner.user", NULL, "“{value}”已是本案负责人", "'{value}' is the owner already"},
    {"owner.missing", NULL, "请指明案件和新的负责人", "please give the case and the new owner"},
    /* ---- attachments (core/attach.c) ---- */
    {"attach.empty", NULL, "文件“{value}”是空的（0 字节）",
     "the file '{value}' is empty (0 bytes)"},
    {"attach.too_big", NULL,
     "文件“{value}”过大（{length} 字节），附件上限为 {max} 字节[[：请联系系统管理员调整上限]]"
     "<<（系统管理员可用 capa config attach-limit 调整）>>",
     "the file '{value}' is too large ({length} bytes); the limit is {limit}[[: ask the "
     "administrator to raise it]]"},
    {"attach.limit_range", NULL, "附件上限须为 1 字节到 {max}",
     "the attachment limit must be 1 byte "
     "to {max}"},
    {"attach.stage_unknown", NULL, "“{value}”不是本案流程中的阶段",
     "'{value}' is not a stage of the "
     "case's workflow"},
    {"attach.stage_not_reached", NULL, "本案尚未到达“{stage@}”阶段，不能向该阶段添加附件",
     "the case has not reached the stage {stage@}: no attachment can go there yet"},
    {"attach.role", NULL,
     "您的角色（{role@}）不能向“{stage@}”阶段添加附件：附件由填写或签核该阶段的人添加",
     "your role ({role@}) may not attach files to the stage {stage@}: attachments come from "
     "those who fill it in or sign it"},
    {"attach.case_missing", NULL, "请指明案件", "please give the case"},
    {"attach.no_file", NULL, "请选择要上传的文件", "please choose a file to upload"},
    {"attach.name", NULL, "文件名“{value}”不正确：须为 1 到 {max} 字节，不含目录",
     "the file name '{value}' is not right: 1 to {max} bytes, without a directory"},
    {"attach.sha256", NULL, "“{value}”不是附件的编号（SHA-256：64 位小写十六进制）",
     "'{value}' is no attachment's id (a SHA-256: 64 lower-case hex digits)"},
    {"attach.not_found", NULL, "本案没有这个附件", "the case has no such attachment"},
    {"attach.not_here", NULL,
     "这个附件的内容不在本库中：从 {origin} 导入的归档副本只带有附件的哈希",
     "this attachment's content is not in this store: a copy imported from {origin} carries its "
     "hash only"},
    {"attach.missing", NULL, "附件的内容在库中缺失：请联系系统管理员校验数据",
     "the attachment's content is missing from the store: please ask the administrator to "
     "verify the store"},
    {"attach.changed", NULL, "附件的内容已被改动（哈希不符），不予提供：请联系系统管理员校验数据",
     "the attachment's content was changed (its hash differs) and is not given out: please ask "
     "the administrator to verify the store"},
    /* ---- configuration, time zone, calendar (core/config.c, core/tz.c) ---- */
    {"config.recurrence_days", NULL, "再发判定的天数须为 {min} 到 {max} 的整数（现为 {value}）",
     "the recurrence window must be a whole number of days from {min} to {max} (not {value})"},
    {"zone.name", NULL, "“{value}”不是时区名称（应类似 Asia/Shanghai）",
     "'{value}' is not a time zone name (like Asia/Shanghai)"},
    {"zone.unknown", NULL, "未知的时区“{value}”（本机的时区数据库中没有）",
     "the time zone '{value}' is unknown (not in this machine's time zone database)"},
    {"calendar.invalid", "items", "工作日历“{value}”不符合格式要求",
     "the work calendar '{value}' is not valid"},
    {"calendar.invalid", NULL, "工作日历“{value}”不符合格式要求：{detail}",
     "the work calendar '{value}' is not valid: {detail}"},
    /* ---- the store (core/store.c): space, damage, access ---- */
    {"store.map_full", NULL,
     "数据库已达到容量上限，本次操作未保存：请联系系统管理员扩大容量或释放空间",
     "the database reached its size limit and nothing was saved: please ask the administrator "
     "to raise the limit or free space"},
    {"store.disk_full", NULL, "磁盘空间已满，本次操作未保存：请联系系统管理员释放磁盘空间",
     "the disk is full and nothing was saved: please ask the administrator to free space"},
    {"store.damaged", NULL,
     "数据库文件已损坏，操作未完成：请联系系统管理员从备份恢复<<（{detail}）>>",
     "the database file is damaged and nothing was done: please ask the administrator to "
     "restore it from a backup<< ({detail})>>"},
    {"store.access", NULL, "没有读写数据库文件的权限：请联系系统管理员",
     "no permission to read or write the database file: please ask the administrator"},
    {"store.io", NULL, "读写数据库时出错，操作未完成：请联系系统管理员<<（{detail}）>>",
     "reading or writing the database failed and nothing was done: please ask the "
     "administrator<< ({detail})>>"},
    {"store.scratch", NULL,
     "校验用的临时存储空间不足（{dir}）<<：请释放该处空间，或将环境变量 TMPDIR 设为有空间的目录>>"
     "[[：请联系系统管理员]]",
     "the scratch space for the replay ran out ({dir})<<: free space there, or set TMPDIR to a "
     "directory with room>>[[: please ask the administrator]]"},
    /* ---- a new store, form and workflow definitions (core/init.c) ---- */
    {"init.exists", NULL, "这个数据库已经建立过了", "this store was set up already"},
    {"init.org", NULL, "组织名称须为 1 到 {max} 字节",
     "the organisation's name must have 1 to {max} "
     "bytes"},
    {"form.invalid", "items", "定义文件不符合格式要求（{count} 处）",
     "the definition is not valid ({count} problems)"},
    {"form.invalid", NULL, "定义文件不符合格式要求（{count} 处）：{detail}",
     "the definition is not valid ({count} problems): {detail}"},
    {"form.no_document", NULL, "请选择要安装的定义文件", "please choose the definition file"},
    {"form.stage_form_missing", NULL, "阶段“{stage}”使用的表单“{value}”尚未安装：请先安装该表单",
     "the stage {stage} uses the form '{value}', which is not installed: install that form "
     "first"},
    {"form.workflow_unknown", NULL, "本库没有流程“{value}”：流程随建库一同建立，不能另行安装",
     "this store has no workflow '{value}': a store's workflows come with its setup"},
    {"form.stages_kept", NULL,
     "流程“{value}”的新版本须按原顺序保留现有的全部阶段（已有案件依赖它们），只能在其后增加阶段",
     "a new version of the workflow '{value}' must keep the current stages, in order (existing "
     "cases depend on them); it may add stages after them"},
    {"form.unused", NULL, "表单“{value}”没有被任何流程的阶段使用",
     "the form '{value}' is used by no "
     "stage of any workflow"},
    /* ---- legacy sheets (sheets/): CSV and xlsx through a mapping ---- */
    {"import.encoding", NULL, "不支持编码“{value}”：可选 UTF-8 或 GB18030（GBK 按 GB18030 读取）",
     "the encoding '{value}' is not supported: choose UTF-8 or GB18030 (GBK is read as "
     "GB18030)"},
    {"import.open", NULL, "无法打开文件“{value}”",
     "the file '{value}' cannot be opened<< "
     "({detail})>>"},
    {"import.not_xlsx", NULL, "文件“{value}”不是 Excel 工作簿（xlsx）",
     "the file '{value}' is not an "
     "Excel workbook (xlsx)"},
    {"import.sheet", NULL, "工作簿中没有名为“{value}”的工作表（现有：{sheets}）",
     "the workbook has no sheet named '{value}' (it has: {sheets})"},
    {"import.empty", NULL, "文件是空的：没有表头行", "the file is empty: it has no header row"},
    {"import.header", NULL, "表头与导入方案不符：{detail}",
     "the header row does not fit the "
     "mapping: {detail}"},
    {"import.mapping", NULL, "导入方案“{value}”与本库的表单不符：{detail}",
     "the mapping '{value}' does not fit this store's forms: {detail}"},
    {"import.bad_rows", NULL,
     "{rows} 行中有 {bad} 行有误，未导入任何内容：请改正这些行后重新导入"
     "<<，或用 --skip-invalid 文件 把有误的行另存，只导入无误的行>>",
     "{bad} of {rows} rows are wrong and nothing was imported: correct them and import again"
     "<<, or set them aside with --skip-invalid FILE and import the good ones>>"},
    {"import.resume_none", NULL,
     "这个文件还没有开始过导入，无法续导：新文件或改动过的文件请直接导入",
     "no import of this file was begun here, so there is nothing to finish: import a new or "
     "changed file as it is"},
    {"import.done_before", NULL,
     "这个文件已经导入过（由它生成了 {cases} "
     "个案件）：同一文件只导入一次，补充或改正的行请放在新文件中",
     "this file was imported before ({cases} cases came from it): a file is imported once; put "
     "added or corrected rows in a new file"},
    {"import.partial", NULL,
     "这个文件曾导入到一半（已生成 {cases} 个案件，完成到第 {through} 行，共 {last} "
     "行）：请用同一文件续导"
     "<<（capa import --resume）>>",
     "this file was imported in part ({cases} cases, rows up to {through} of {last} done): "
     "finish it with the same file<< (capa import --resume)>>"},
    {"import.file_changed", NULL, "读取期间文件被改动，未导入任何内容：请在文件不再变动时重新导入",
     "the file changed while it was read and nothing was imported: import it again once it "
     "stays unchanged"},
    {"import.rejects_same", NULL, "存放有误行的文件不能是正在导入的文件本身",
     "the file for the wrong rows cannot be the file being imported"},
    {"import.rejects_write", NULL, "无法写入存放有误行的文件“{value}”",
     "the file for the wrong rows, '{value}', cannot be written"},
    {"import.stopped", NULL,
     "第 {row} 行写入失败，导入在此停止；之前的行已导入（{imported} 个案件，{first} 至 {last}）："
     "排除原因后请用同一文件续导<<（capa import --resume）>>",
     "row {row} could not be written and the import stopped there; the rows before it were "
     "imported ({imported} cases, {first} to {last}): when the cause is fixed, finish it with "
     "the same file<< (capa import --resume)>>"},
    /* ---- reading a legacy sheet (sheets/csv.c, sheets/xlsx.c): the file itself ---- */
    {"import.xlsx_part", "detail=doctype",
     "Excel 工作簿“{value}”的部件“{part}”含有文档类型声明（DOCTYPE），出于安全不予读取",
     "the Excel workbook '{value}': its part {part} has a DOCTYPE, which is not allowed"},
    {"import.xlsx_part", "detail=too_big",
     "Excel 工作簿“{value}”的部件“{part}”解压后超过上限，不予读取：请另存为新工作簿后重试",
     "the Excel workbook '{value}': its part {part} inflates beyond the limit: save it as a "
     "new workbook and try again"},
    {"import.xlsx_part", NULL,
     "Excel 工作簿“{value}”的部件“{part}”已损坏，无法读取：请在 Excel 中另存为新工作簿后重试",
     "the Excel workbook '{value}': its part {part} is damaged and cannot be read: save it as "
     "a new workbook in Excel and try again"},
    {"import.xlsx_sheet_part", NULL,
     "Excel 工作簿“{value}”列出了工作表“{sheet}”，但其内容缺失：请在 Excel 中另存后重试",
     "the Excel workbook '{value}' lists the sheet '{sheet}' but its content is missing: save "
     "it again in Excel and try again"},
    {"import.xlsx_cell", "detail=order", "Excel 工作簿“{value}”：行号 {row} 的次序有误",
     "the Excel workbook '{value}': row number {row} is out of order"},
    {"import.xlsx_cell", "detail=ref", "Excel 工作簿“{value}”第 {row} 行：单元格位置有误",
     "the Excel workbook '{value}', row {row}: a cell reference is malformed"},
    {"import.xlsx_cell", "detail=shared",
     "Excel 工作簿“{value}”第 {row} 行：单元格引用的共享文本“{index}”不存在",
     "the Excel workbook '{value}', row {row}: the shared string '{index}' does not exist"},
    {"import.xlsx_cell", NULL, "Excel 工作簿“{value}”第 {row} 行：有一个单元格超过 1 MiB",
     "the Excel workbook '{value}', row {row}: a cell longer than 1 MiB"},
    {"import.columns", NULL, "第 {row} 行超过 {max} 列：请删除多余的列",
     "row {row} has more than {max} columns: remove the extra ones"},
    {"import.strings", "index", "Excel 工作簿“{value}”的第 {index} 条共享文本超过 1 MiB",
     "the Excel workbook '{value}': shared string {index} is longer than 1 MiB"},
    {"import.strings", NULL, "Excel 工作簿“{value}”的共享文本超过上限（{max} 条）",
     "the Excel workbook '{value}' has more than {max} shared strings"},
    {"import.csv_quote", "detail=open",
     "第 {row} 行：有一个单元格超过 1 MiB（可能有引号没有闭合）：请检查该行的引号",
     "row {row}: a cell longer than 1 MiB (is a quote left open?): check the quotes of that "
     "row"},
    {"import.csv_quote", "detail=end",
     "第 {row} 行：带引号的单元格直到文件末尾都没有闭合：请检查该行的引号",
     "row {row}: a quoted cell is not closed before the end of the file: check the quotes of "
     "that row"},
    {"import.csv_quote", NULL,
     "第 {row} 行：引号用法有误（未加引号的单元格中有引号，或闭合引号后还有文字）："
     "请给整个单元格加上引号，并把其中的引号写成两个",
     "row {row}: a quote inside an unquoted cell, or text after a closing quote: quote the "
     "whole cell and double its quotes"},
    {"import.csv_encoding", "detail=end", "第 {row} 行：文件在一个 GB18030 字符的中间结束",
     "row {row}: the file ends inside a GB18030 character"},
    {"import.csv_encoding", NULL,
     "第 {row} 行：第 {offset} 字节（{byte}）不是 GB18030 文本"
     "<<：如果文件是 UTF-8 编码，请加上 --encoding utf-8>>[[：如果文件是 UTF-8 编码，请选择 "
     "UTF-8]]",
     "row {row}: byte {offset} ({byte}) is not GB18030 text<<; give --encoding utf-8 if the "
     "file is UTF-8>>[[; choose UTF-8 if the file is UTF-8]]"},
    /* ---- the CLI's usage errors (tools/capa), before the engine: {option} is an option's
     * literal name, kept as typed ---- */
    {"cli.unknown_option", NULL, "没有选项“{value}”", "unknown option '{value}'"},
    {"cli.unexpected", NULL, "多余的参数“{value}”：本命令不接受它", "unexpected argument '{value}'"},
    {"cli.no_value", NULL, "选项 {value} 不带值", "option '{value}' takes no value"},
    {"cli.needs_value", NULL, "选项 {value} 需要一个值", "option '{value}' needs a value"},
    {"cli.choice", NULL, "选项 {option} 须为以下之一：{choices}（现为“{value}”）",
     "{option} must be one of {choices}, not '{value}'"},
    {"cli.actor", NULL, "请用 {option} 给出操作人的账号（随后会要求输入其密码）",
     "{option} USER is required (who acts; asked for their password)"},
    {"cli.encoding_xlsx", NULL, "只有 CSV 文件需要 {option}：Excel 工作簿（xlsx）不需要指定编码",
     "{option} is for CSV files (xlsx is always Unicode)"},
    /* ---- the server's refusals of an upload (tools/serve) ---- */
    {"upload.too_big", NULL, "请求内容超过 {max} 字节，未处理",
     "request body over {max} bytes"},
    {"upload.not_multipart", NULL, "需要通过上传表单提交文件：请在页面上选择文件后再提交",
     "expected a file upload (multipart/form-data): choose the file on the page and send it "
     "again"},
    {"upload.malformed", NULL, "上传的内容不完整或格式有误：请重新上传",
     "the upload is not a well-formed multipart/form-data body: send it again"},
    {"upload.parts", NULL, "上传表单的部分超过 {max} 个", "more than {max} form parts"},
    {"upload.files", NULL, "一次最多上传 {max} 个文件", "more than {max} files in one upload"},
    {"upload.field", NULL, "表单项“{value}”超过 {max} 字节",
     "the form field '{value}' is longer than {max} bytes"},
    {"request.csrf", NULL, "页面已过期（安全令牌不符）：请刷新页面后重试",
     "missing or wrong CSRF token: reload the page and try again"},
    {"upload.store", NULL, "无法保存上传的文件：请稍后重试，或联系系统管理员",
     "cannot store the upload: try again later, or ask the administrator"},
    {"import.mapping_file", NULL, "导入方案文件无法读取，或超过 {max}",
     "mapping_file: cannot be read, or over {max}"},
    {"import.busy", NULL, "正在进行的导入任务过多：请稍后再试",
     "the server is busy with other imports: try again later"},
    {"import.no_file", NULL, "请选择要导入的文件（文件不能是空的）",
     "no file chosen, or the file is empty: choose the log to import"},
    {"import.file_type", NULL, "文件“{value}”不能导入：只能导入 .csv 或 .xlsx 文件",
     "the file '{value}' cannot be imported: a log is a .csv or .xlsx file"},
    {"import.map_unknown", NULL, "没有名为“{value}”的内置导入方案：请从列表中选择",
     "'{value}' is not a shipped mapping: choose one from the list"},
    /* ---- a legacy sheet's cells (sheets/rows.c): {field} is the column's header ---- */
    {"sheet.beyond_header", NULL, "表头最后一列之后还有内容",
     "a value beyond the last column of "
     "the header"},
    {"sheet.date", NULL, "“{value}”不是导入方案所规定格式的日期",
     "'{value}' is not a date in a "
     "format of the mapping"},
    {"sheet.status", NULL, "“{value}”不是导入方案中的处理状态（可选：{known}）",
     "'{value}' is not a status of the mapping ({known})"},
    {"sheet.opened_missing", NULL, "「{field}」为空：必须有投诉（开案）日期",
     "{field} is empty: the date the case was opened is required"},
    {"sheet.closed_missing", NULL, "已结案的案件须有结案日期",
     "a closed case needs the date it was "
     "closed"},
    {"sheet.closed_open", NULL, "有结案日期，但处理状态（{status}）表明案件未结案",
     "a closing date, but the status ({status}) says the case is open"},
    {"sheet.number_twice", NULL, "案号“{value}”在文件中出现了两次（第一次在第 {first} 行）",
     "the case number '{value}' is given twice (first in row {first})"},
    /* ---- case archives from another store (core/import_xml.c) ---- */
    {"archive.invalid", "items", "案件归档文件“{value}”无效",
     "the case archive '{value}' is not valid"},
    {"archive.invalid", NULL, "案件归档文件“{value}”无效：{detail}",
     "the case archive '{value}' is "
     "not valid: {detail}"},
    {"archive.mismatch", NULL, "案件归档文件“{value}”与其中的审计事件不符，未导入：{detail}",
     "the case archive '{value}' does not match its own audit events and was not imported: "
     "{detail}"},
    {"archive.no_events", NULL, "案件归档“{value}”中没有审计事件",
     "the case archive '{value}' has no "
     "audit events"},
    {"archive.imported_before", NULL, "这个案件已经导入过（来自 {origin}），编号为 {number}",
     "this case was imported before (from {origin}) as {number}"},
    {"auth.session", NULL, "您的登录已失效（账户、密码或角色已变更）：请重新登录",
     "your sign-in has ended (the account, its password or role changed): please sign in "
     "again"},
    /* ---- words17: what was still English (issue 17) ---- */
    /* The CLI's usage errors of each command (cli_usage_rule, tools/capa): {option} and
     * {other} are options' literal names (with their placeholder, as in the usage line),
     * {value} what was typed; the English is the sentence the commands said before. */
    {"cli.case_one", NULL, "请给出一个案件编号（只能一个）", "give exactly one case number"},
    {"cli.case_at_most_one", NULL, "最多只能给出一个案件编号", "give at most one case number"},
    {"cli.case_and_file", NULL, "请给出案件编号和一个文件", "give a case number and one file"},
    {"cli.case_and_sha", NULL, "请给出案件编号和附件的编号（SHA-256）",
     "give a case number and the attachment's SHA-256"},
    {"cli.case_and_values", NULL, "请给出案件编号和至少一项“字段=值”",
     "give the case number and at least one FIELD=VALUE"},
    {"cli.case_and_owner", NULL, "请给出案件编号和新的负责人",
     "give a case, and the new owner to reassign it"},
    {"cli.intake_values", NULL, "请以“字段=值”的形式给出反馈阶段的各项内容",
     "give the intake fields as FIELD=VALUE"},
    {"cli.user_one", NULL, "请给出一个用户账号（只能一个）", "give exactly one user id"},
    {"cli.user_at_most_one", NULL, "最多只能给出一个用户账号", "give at most one user id"},
    {"cli.file_one", NULL, "请给出一个文件（只能一个）", "give exactly one FILE"},
    {"cli.file_some", NULL, "请至少给出一个文件", "give at least one FILE"},
    {"cli.dir_one", NULL, "请给出一个目标目录（只能一个）", "give exactly one target DIR"},
    {"cli.backup_one", NULL, "请给出一个备份目录（只能一个），新数据库的位置用 {option} 指定",
     "give exactly one BACKUP directory (and the new database as {option})"},
    {"cli.form_one", NULL, "请给出一个表单编号（只能一个）", "give exactly one form id"},
    {"cli.month_at_most_one", NULL, "最多只能给出一个月份（年-月）",
     "give at most one month YYYY-MM"},
    {"cli.no_args", NULL, "本命令不接受参数", "takes no arguments"},
    {"cli.assignment", NULL, "参数“{value}”不是“字段=值”的形式",
     "argument '{value}' is not name=value"},
    {"cli.required", "hint=org", "请用 {option} 给出组织的名称",
     "{option} is required (the organisation's name)"},
    {"cli.required", "hint=reason", "请用 {option} 说明退回的理由",
     "{option} is required (why the stage is sent back)"},
    {"cli.required", "hint=owner", "改派负责人须用 {option} 说明理由",
     "{option} is required to reassign the owner"},
    {"cli.required", "hint=meaning", "请用 {option} 给出签核的含义（{choices@}之一）",
     "{option} is required ({choices@})"},
    {"cli.required", "hint=env", "请用 {option} 给出集团数据库的连接串（或设置环境变量 {env}）",
     "{option} is required (or ${env})"},
    {"cli.required", "hint=group", "请用 {option} 给出集团数据库的连接串",
     "{option}: the group database's connection string"},
    {"cli.required", "hint=week", "请用 {option} 给出 ISO 周（例如 2026-W49）",
     "{option} is required (an ISO week, e.g. 2026-W49)"},
    {"cli.required", "hint=stdout", "请用 {option} 给出输出文件（- 表示标准输出）",
     "{option} is required (- for stdout)"},
    {"cli.required", "hint=all", "请用 {option} 给出输出文件（与 {other} 一起时给出目录）",
     "{option} (or -o DIR/ with {other}) is required"},
    {"cli.required", "hint=json", "请用 {option} 给出报告文件（或使用 {other}）",
     "{option} (or {other}) is required"},
    {"cli.required", NULL, "请给出 {option}（必填）", "{option} is required"},
    {"cli.together", "hint=dates", "{option} 与 {other} 须同时给出（年-月-日，含首尾两天）",
     "{option} and {other} go together (YYYY-MM-DD, both days included)"},
    {"cli.together", NULL, "{option} 与 {other} 须同时给出", "{option} and {other} go together"},
    {"cli.exclusive", NULL, "{option} 与 {other} 不能同时使用",
     "{option} and {other} exclude each other"},
    {"cli.needs", NULL, "{option} 须与 {other@} 一起使用", "{option} needs {other@}"},
    {"cli.goes_with", NULL, "{option} 只能与 {other} 一起使用", "{option} goes with {other}"},
    {"cli.takes_no", NULL, "{option} 不能与 {other} 同用（以操作系统用户的身份操作）",
     "{option} takes no {other} (it acts as the operating-system user)"},
    {"cli.no_case_with", NULL, "使用 {option} 时不能再给出案件编号", "{option} takes no CASE"},
    {"cli.sheet_xlsx", NULL, "只有 Excel 工作簿（xlsx）需要 {option}",
     "{option} is for xlsx workbooks"},
    {"cli.help_workflow", NULL, "{option} 只用于 {command}：已有案件的字段取决于它所属的流程",
     "{option} is for `{command}`: a case's fields follow its workflow"},
    {"cli.date", NULL, "{option} 须为日期，格式为 年-月-日（现为“{value}”）",
     "{option} '{value}' is not a date YYYY-MM-DD"},
    {"cli.month", NULL, "月份须为 年-月，月为 01 到 12（现为“{value}”）",
     "month '{value}': not a month YYYY-MM (01 to 12)"},
    {"cli.range", "unit=days", "{option} 须为 {min} 到 {max} 的整数天数（现为“{value}”）",
     "{option} '{value}': must be a whole number of days from {min} to {max}"},
    {"cli.range", "unit=seconds", "{option} 须为 {min} 到 {max} 秒（现为“{value}”）",
     "{option} '{value}': seconds from {min} to {max}"},
    {"cli.range", "unit=ms", "{option} 须为 {min} 到 {max} 毫秒（现为“{value}”）",
     "{option} '{value}': must be milliseconds from {min} to {max}"},
    {"cli.range", "unit=rows", "{option} 须为每次提交 {min} 到 {max} 行（现为“{value}”）",
     "{option} '{value}': rows per commit, {min} to {max}"},
    {"cli.range", "unit=events", "{option} 须为 {min} 到 {max} 个事件（现为“{value}”）",
     "{option} '{value}': must be a number of events from {min} to {max}"},
    {"cli.range", NULL, "{option} 须为 {min} 到 {max} 的整数（现为“{value}”）",
     "{option} '{value}': a number from {min} to {max}"},
    {"cli.positive", NULL, "{option} 须为正整数（现为“{value}”）",
     "{option} '{value}' is not a positive number"},
    {"cli.bytes", NULL, "{option} 须为字节数，或带 K、M、G 的数字（现为“{value}”）",
     "{option} '{value}': give bytes, or a number with K, M or G"},
    {"cli.url", NULL, "{option} 须为 http:// 或 https:// 开头的网址（现为“{value}”）",
     "{option} '{value}': must be an http:// or https:// URL"},
    {"cli.url_long", NULL, "{option} 的网址最多 2048 个字符，且不能含空白",
     "{option}: a URL of at most 2048 characters without white space"},
    {"cli.anchor_bad", NULL, "{option} 须为“序号:哈希”（十六进制）的形式（现为“{value}”）",
     "{option} '{value}': not an anchor SEQ:HEX"},
    {"cli.anchor", NULL, "{option} 需要一个“序号:哈希”（十六进制）形式的值",
     "{option} needs SEQ:HEX"},
    {"cli.check", NULL, "{option}：“{value}”不是一项检查<<（可用 capa validate --list 查看）>>",
     "{option} '{value}' is not a check<< (capa validate --list)>>"},
    {"cli.plant", NULL, "{option} 需要给出工厂编号或组织名称",
     "{option} needs a plant id or organisation name"},
    {"cli.stdout", NULL, "输出到标准输出（{option}）只能是 {formats} 格式",
     "{option}: only {formats} go to stdout"},
    {"cli.xlsx_stdout", NULL, "{format} 格式须写入文件（{option}），不能输出到标准输出",
     "{format} needs a file ({option}), not stdout"},
    {"cli.due_combine", NULL, "{option} 与 {other} 列出未结的时限，不能与 {others} 同用",
     "{option} and {other} list open limits: they do not combine with {others}"},
    {"cli.due_export", NULL, "{option} 与 {other} 不能导出（{format}）：请改用 {json}",
     "{option} and {other} do not export ({format}): use {json}"},
    {"cli.one_window", NULL,
     "只能给一个时间范围：{month} 配 {monthly}，{week} 配 {weekly}，{range} 单独使用",
     "one window: {month} with {monthly}, {week} with {weekly}, {range} alone"},
    {"cli.sheet_source", NULL, "请用 {csv} 或 {xlsx} 给出表格（二者取一），或用 {xml} 给出案件归档",
     "give the sheet as {csv} or {xlsx} (one of them), or a case archive as {xml}"},
    {"cli.map", NULL, "请用 {option} 给出导入方案：方案文件，或内置方案的名称（如“{shipped}”）",
     "give {option}: a mapping file, or the name of a shipped one ({shipped})"},
    {"cli.notices_who", NULL,
     "请给出 {option}（查看已送达某人的通知）或 {other}（查看待发送的通知）",
     "give {option} (what reached them) or {other} (what waits)"},
    {"cli.contact", NULL, "请给出 {mobile}、{email} 和/或 {notify}",
     "give {mobile}, {email} and/or {notify}"},
    {"cli.notify_kind", NULL, "{command}：请给出 {wecom}、{dingtalk} 或 {smtp} 中的一个",
     "{command}: give one of {wecom}, {dingtalk} or {smtp}"},
    {"cli.no_store", NULL,
     "这里没有 {prog} 数据库<<（可用 capa init 新建，或用 {option} 或环境变量 {env} "
     "指向已有的数据库）>>",
     "no {prog} database here<< (create one with `capa init`, or point {option} / {env} at one)>>"},
    {"cli.no_tty", NULL, "没有可以输入密码的终端：请改用 {option}",
     "no terminal to ask the password on; use {option}"},
    {"cli.no_password", NULL, "没有输入密码", "no password entered"},
    {"cli.passwords_differ", NULL, "两次输入的新密码不一致（账号“{value}”），未作任何修改",
     "the two passwords for {value} differ; nothing changed"},
    {"cli.syntax", NULL, "命令的写法不对，应为：{syntax}", "expected: {syntax}"},
    /* ---- wordsc: the CLI's own errors (cli_error_rule, tools/capa), issue 17 ---- */
    /* A file or a resource a command could not use. {detail} is the system's own text
     * (strerror, in English), kept after the sentence as a technical detail; the path is the
     * line's context ("capa: PATH: ..."). The English is what the commands said before. */
    {"cli.oom", NULL, "内存不足，操作未完成", "out of memory"},
    {"cli.io_read", NULL, "无法读取这个文件；技术细节（英文原文）：{detail}", "{detail}"},
    {"cli.io_write", NULL, "无法写入，没有写出任何内容；技术细节（英文原文）：{detail}",
     "cannot write: {detail}"},
    {"cli.io_create", NULL, "无法创建；技术细节（英文原文）：{detail}", "cannot create: {detail}"},
    {"cli.is_dir", NULL, "这是一个目录，不是文件", "is a directory"},
    {"cli.too_large", "size", "文件有 {size} 字节，超过上限 {max} 字节",
     "{size} bytes; at most {max}"},
    {"cli.too_large", NULL, "文件超过上限 {max} 字节", "larger than {max} bytes"},
    {"cli.attach_too_big", NULL,
     "文件“{file}”有 {size} 字节，超过附件上限 {max} 字节（{mib} MiB）<<（可用 capa config "
     "attach-limit 调整）>>",
     "file '{file}': {size} bytes; the attachment limit is {max} bytes ({mib} MiB<<; capa "
     "config attach-limit>>)"},
    {"cli.lock", NULL, "无法使用锁文件；技术细节（英文原文）：{detail}", "{detail}"},
    {"cli.exec", NULL, "无法启动程序 {program}；技术细节（英文原文）：{detail}",
     "cannot run {program}: {detail}"},
    {"cli.stdin_password", NULL, "标准输入（{option}）中没有下一行密码：缺少“{for}”",
     "{option}: no line on stdin for: {for}"},
    {"cli.not_initialised", NULL, "“{path}”还不是数据库<<（可用 capa init 新建）>>",
     "{path}: not initialised<< (run capa init)>>"},
    {"cli.help_store", "of=workflows",
     "这里没有 {prog} 数据库：流程取自数据库<<（可用 capa init 新建）>>",
     "no {prog} database here: the workflows are those of a database<< (create one with `capa "
     "init`)>>"},
    {"cli.help_store", NULL,
     "这里没有 {prog} 数据库：案件各阶段的栏位取自数据库<<（可用 capa init "
     "新建）>>",
     "no {prog} database here: the fields of a case's stage come from it<< (create one with "
     "`capa init`)>>"},
    {"cli.no_forms", NULL, "没有可以显示的表单", "no forms to show"},
    {"cli.sheet_rows", NULL, "案件超过 {max} 件：一张工作表最多只能容纳这么多行",
     "more than {max} cases: the most rows a sheet holds"},
    {"cli.sheet_row", NULL, "无法写入第 {row} 行", "cannot write row {row}"},
    {"cli.validate_inside", NULL, "“{path}”位于数据库目录“{db}”之内：检验不会向那里写入",
     "{path} is inside the database directory {db}: validate does not write there"},
    {"cli.validate_scratch", NULL,
     "临时目录（{tmpdir}）会落在数据库目录“{db}”之内：检验从不触碰工厂的数据",
     "the scratch directory ({tmpdir}) would be inside the database directory {db}: validate "
     "never touches the plant's data"},
    {"cli.more", NULL, "……另有 {count} 处", "... and {count} more"},
    {"cli.mismatches", "count=1", "共 1 处不符：数据库与其审计记录不一致",
     "1 mismatch: the database does not match its audit trail"},
    {"cli.mismatches", NULL, "共 {count} 处不符：数据库与其审计记录不一致",
     "{count} mismatches: the database does not match its audit trail"},
    {"cli.case_unverified", "kind=dossier",
     "未生成案卷：本案与其审计记录不符；技术细节（英文原文）：{detail}",
     "dossier refused: the case does not verify against the audit trail: {detail}"},
    {"cli.case_unverified", NULL, "未导出：本案与其审计记录不符；技术细节（英文原文）：{detail}",
     "export refused: the case does not verify against the audit trail: {detail}"},
    /* capa publish and capa report monthly --group (the group's PostgreSQL database):
     * {step} and {detail} are technical (what was being done, PostgreSQL's own message) */
    {"cli.pg_connect", NULL, "无法连接集团数据库；技术细节（英文原文）：{detail}",
     "PostgreSQL: cannot connect: {detail}"},
    {"cli.pg", "step", "集团数据库出错，操作未完成；技术细节（英文原文）：{step}：{detail}",
     "PostgreSQL: {step}: {detail}"},
    {"cli.pg", NULL, "集团数据库出错；技术细节（英文原文）：{detail}", "PostgreSQL: {detail}"},
    {"cli.publish_changed", NULL,
     "第 {event} 号事件已不是检验时的那一个（发布期间数据库有变动），本批未发送",
     "event {event} is not the one verify saw (the store changed under this publish); nothing "
     "sent in this batch"},
    {"cli.publish_short", NULL, "数据库的事件止于第 {last} 号，不到第 {event} 号",
     "the store's events end at {last}, before {event}"},
    {"cli.publish_moved", NULL,
     "工厂 {plant}：发布期间已发布的进度变为第 {event} "
     "号事件（是否有另一个发布在进行？），本批未发送",
     "plant {plant}: the published head moved to event {event} while publishing (another "
     "publish of this plant?); nothing sent in this batch"},
    {"cli.publish_rewritten", NULL,
     "工厂 {plant}：第 {event} 号事件与已发布的不同：本数据库的记录链不再延续已发布到第 {head} "
     "号的内容（历史被改写，或从较旧的备份恢复），未发送任何内容",
     "plant {plant}: event {event} differs from the one published: this store's chain no longer "
     "extends what was published up to event {head} (a rewritten history, or restored from an "
     "older backup); nothing sent"},
    {"cli.publish_behind", NULL,
     "工厂 {plant}：数据库止于第 {last} 号事件，但已发布到第 {head} 号（是否从较旧的备份恢复？）；"
     "缺少第 {event} 号事件，未发送任何内容",
     "plant {plant}: the store ends at event {last} but events up to {head} were published "
     "(restored from an older backup?); event {event} is missing; nothing sent"},
    {"cli.publish_unverified", "count=1",
     "数据库与其审计记录不符（1 处），未发送任何内容<<：请运行 capa verify>>",
     "the store does not verify (1 mismatch): nothing sent<<; run `capa verify`>>"},
    {"cli.publish_unverified", NULL,
     "数据库与其审计记录不符（{count} 处），未发送任何内容<<：请运行 capa verify>>",
     "the store does not verify ({count} mismatches): nothing sent<<; run `capa verify`>>"},
    {"cli.group_plant", "option", "{option}：“{plant}”既不是工厂，也不是组织",
     "{option} '{plant}': no such plant or organisation"},
    {"cli.group_plant", NULL, "工厂 {plant} 不在集团数据库中",
     "plant {plant}: not in the group database"},
    {"cli.group_none", "option",
     "集团数据库中没有这样的工厂<<（{option} 可以是工厂编号或组织名称）>>",
     "no such plant in the group database<< ({option} takes a plant id or an organisation name)>>"},
    {"cli.group_none", NULL, "集团数据库中没有工厂", "no such plant in the group database"},
    {"cli.month_future", NULL, "{option} 的月份“{value}”在 {org}（{tz}）尚未开始",
     "{option} '{value}': has not begun in {org} ({tz})"},
    /* notes, warnings and progress on stderr (cli_note_rule) */
    {"cli.notice_failed", NULL,
     "第 {event} 号事件的通知（“{number}” “{limit}” “{level}”）未送达，留在发件箱中待下次发送；"
     "技术细节（英文原文）：{detail}",
     "notice of event {event} ({number} {limit} {level}) not delivered: {detail}; it stays in "
     "the outbox for the next run"},
    {"cli.notices_sent", NULL, "已送达 {sent} 条通知，发件箱中还有 {waiting} 条",
     "{sent} notice(s) delivered, {waiting} in the outbox"},
    {"cli.notices_waiting", NULL,
     "发件箱中有 {count} 条通知等待发送<<（加上 {option} 运行即可发出）>>",
     "{count} notice(s) wait in the outbox<< (run with {option} to post them)>>"},
    {"cli.verify_skipped", NULL, "已跳过“{name}”（易变数据：不含审核所依据的内容）",
     "skipped {name} (volatile: holds nothing an auditor relies on)"},
    {"cli.verify_own_cert", "count=1",
     "1 个检查点是用数据库自带的证书“{cert}”核对的，而能写入数据库的人也能替换这份证书：审核员应"
     "以 {option} 给出保存在数据库之外的副本",
     "1 checkpoint checked against the store's own certificate {cert}, which whoever can write "
     "the store can replace: an auditor gives {option}, a copy kept outside the store"},
    {"cli.verify_own_cert", NULL,
     "{count} 个检查点是用数据库自带的证书“{cert}”核对的，而能写入数据库的人也能替换这份证书："
     "审核员应以 {option} 给出保存在数据库之外的副本",
     "{count} checkpoints checked against the store's own certificate {cert}, which whoever can "
     "write the store can replace: an auditor gives {option}, a copy kept outside the store"},
    {"cli.verify_no_cert", NULL,
     "没有证书：“{cert}”不存在，也没有给出 {option}，因此无法核对任何检查点",
     "no certificate: {cert} is missing and no {option} was given, so no checkpoint could be "
     "checked"},
    {"cli.upgrade_backup", NULL, "已把格式 {format} 的数据库备份到“{path}”",
     "backup of the format-{format} store in {path}"},
    {"cli.validate_no_store", NULL, "无法建立临时数据库；技术细节（英文原文）：{detail}",
     "the scratch store could not be made: {detail}"},
    {"cli.validate_failed", NULL, "{count} 项检查未通过", "{count} check(s) failed"},
    {"cli.show_unverified", NULL,
     "警告：本案与其审计记录不符，以下是数据库中存储的内容，而非审计记录所载<<（请运行 capa "
     "verify）>>；技术细节（英文原文）：{detail}",
     "WARNING: {detail}; what follows is what is stored, not what the audit trail says<<; run "
     "`capa verify`>>"},
    {"cli.show_unchecked", NULL, "警告：未能与审计记录核对；技术细节（英文原文）：{detail}",
     "WARNING: not checked against the audit trail: {detail}"},
    {"cli.no_key", "of=backup",
     "注意：备份中没有签名密钥（“{path}”）<<；恢复后的数据库要生成案卷，须先运行 capa cert create "
     "或 capa cert install>>",
     "note: the backup has no signing key ({path})<<; dossiers need 'capa cert create' or 'capa "
     "cert install'>>"},
    {"cli.no_key", NULL,
     "注意：“{path}”没有签名密钥<<；恢复后的副本要生成案卷，须先运行 capa cert create 或 capa "
     "cert install>>",
     "note: {path} has no signing key<<; dossiers of a restored copy need 'capa cert create' or "
     "'capa cert install'>>"},
    {"cli.backup_no_key", NULL, "“{path}”中只有数据库，没有签名密钥",
     "{path} holds the database but not the signing key"},
    {"cli.dossier_proof", "own",
     "案件“{number}”已由第 {seq} 号检查点的案件证明核实（签名已用数据库自带的证书“{cert}”核对）",
     "{number} proven by the case proof of checkpoint {seq} (signature checked against the "
     "store's own certificate {cert})"},
    {"cli.dossier_proof", NULL,
     "案件“{number}”已由第 {seq} 号检查点的案件证明核实（签名已用证书“{cert}”核对）",
     "{number} proven by the case proof of checkpoint {seq} (signature checked against the "
     "certificate {cert})"},
    {"cli.dossier_replayed", NULL, "案件“{number}”：已重放整个数据库；技术细节（英文原文）：{detail}",
     "{number}: the whole store replayed: {detail}"},
    {"cli.no_identity", NULL,
     "没有签名身份<<：请用 capa cert create（或 capa cert install）建立，或加上 {option}>>",
     "no signing identity<<: make one with 'capa cert create' (or 'capa cert install'), or pass "
     "{option}>>"},
    {"cli.written", "count=1", "已把 1 个案件写入“{path}”", "1 case written to {path}"},
    {"cli.written", NULL, "已把 {count} 个案件写入“{path}”", "{count} cases written to {path}"},
    {"cli.calendar_none", NULL, "没有涵盖 {year} 年的日历：只按周末计算",
     "no calendar covers {year}; weekends only"},
    {"cli.import_more", NULL, "问题更多，只显示前 {count} 项",
     "more problems; the first {count} are shown"},
    {"cli.import_ignored", NULL, "“{what}”不在导入方案中，已忽略",
     "{what} is not in the mapping; ignored"},
    {"cli.bytes_written", NULL, "已把 {size} 字节写入“{path}”", "{size} bytes written to {path}"},
    {"cli.recurrence", NULL, "案件“{number}”是“{of}”的再发：零件号与缺陷代码相同，相隔不到 {days} 天",
     "{number} is a recurrence (再发) of {of}: same part number and defect code within {days} "
     "days"},
    /* capa restore (tools/capa/cmd_restore.c) */
    {"cli.restore_target", "how=full",
     "目标目录“{path}”不是空的（其中有“{entry}”）：只能恢复到新的或空的目录",
     "target {path}: not empty (holds `{entry}`); restore only into a new or empty directory"},
    {"cli.restore_target", "how=appeared", "目标目录“{path}”在恢复期间出现了“{entry}”，未作恢复",
     "target {path}: `{entry}` appeared during the restore"},
    {"cli.restore_target", "how=create", "无法创建目标目录“{path}”；技术细节（英文原文）：{detail}",
     "target {path}: cannot create: {detail}"},
    {"cli.restore_target", "how=copy",
     "“{path}”中的副本无法打开，未作恢复；技术细节（英文原文）：{detail}",
     "the copy in {path}: {detail}"},
    {"cli.restore_target", "how=sync",
     "副本已放入目标目录“{path}”，但未能写入磁盘；技术细节（英文原文）：{detail}",
     "target {path}: the copy is in place but could not be synced: {detail}"},
    {"cli.restore_target", NULL, "目标目录“{path}”无法使用；技术细节（英文原文）：{detail}",
     "target {path}: {detail}"},
    {"cli.restore_move", NULL, "无法把副本移入“{path}”，未作恢复；技术细节（英文原文）：{detail}",
     "cannot move the copy into {path}: {detail}"},
    {"cli.restore_verify", "of=copy",
     "“{path}”中的副本与其审计记录不符，未作恢复；技术细节（英文原文）：{detail}",
     "the copy in {path} does not verify: {detail}; nothing restored"},
    {"cli.restore_verify", NULL,
     "备份“{path}”与其审计记录不符，未作恢复；技术细节（英文原文）：{detail}",
     "backup {path} does not verify: {detail}; nothing restored"},
    {"cli.restore_head", NULL, "“{path}”中的副本止于 {head}，备份却止于 {backup}，未作恢复",
     "the copy in {path} ends at {head}, the backup at {backup}; nothing restored"},
    {"cli.backup_bad", "how=absent", "备份“{path}”：没有这个目录",
     "backup {path}: no such directory"},
    {"cli.backup_bad", "how=empty", "备份“{path}”是空目录，不是 {prog} 数据库的备份",
     "backup {path}: empty, not a {prog} backup"},
    {"cli.backup_bad", "how=keys",
     "备份“{path}”中的签名密钥无法使用，未作恢复；技术细节（英文原文）：{detail}",
     "backup {path}: {detail}; nothing restored"},
    {"cli.backup_bad", NULL, "备份“{path}”无法打开；技术细节（英文原文）：{detail}",
     "backup {path}: {detail}"},
    /* capa-serve's answers before a request reaches a page (tools/serve/http.c, pages.c,
     * api.c): no session yet, so in the language of ?lang=, Accept-Language or the capa_lang
     * cookie, else both */
    {"request.content_length", "why=twice", "请求的内容长度声明了不止一次，请求未处理，连接已关闭",
     "Content-Length given more than once: the request was not processed"},
    {"request.content_length", "why=te", "请求同时声明了内容长度和分块传输，请求未处理，连接已关闭",
     "Content-Length with Transfer-Encoding: the request was not processed"},
    {"request.content_length", NULL, "请求声明的内容长度不是数字，请求未处理，连接已关闭",
     "Content-Length is not a number: the request was not processed"},
    {"request.query", NULL, "网址中的查询参数格式有误，请求未处理：请从页面上的链接重新打开",
     "malformed query string: the request was not processed; open the page again from its "
     "link"},
    {"request.oom", NULL, "服务器内存不足，请求未处理：请稍后再试",
     "out of memory: the request was not processed; try again later"},
    /* the legacy import page (tools/serve/import.c) */
    {"request.throttled", NULL, "密码尝试次数过多：请等待 {seconds} 秒后再试",
     "too many password attempts: wait {seconds} s and try again"},
    {"import.no_random", NULL, "服务器无法生成导入任务的编号（系统随机数不可用）：请联系系统管理员",
     "no random bytes for the job's id: please ask the administrator"},
    {"import.oom", NULL, "服务器内存不足，导入未开始：请稍后再试",
     "out of memory: the import was not started; try again later"},
    {"import.no_job", NULL,
     "没有这个导入任务：任务在开始一小时后结束，或服务器已重启（请重新上传文件：中断的导入会从停止"
     "处"
     "继续）",
     "no such import: it ended an hour after it began, or the server restarted (upload the "
     "file again: an import cut off continues where it stopped)"},
    {"import.all_done", NULL, "此文件的每一行都已导入过，没有要导入的内容",
     "nothing to import: every row of this file was imported before"},
    {"import.not_now", NULL, "此导入当前不能开始：它正在运行，或尚未检查完",
     "this import cannot be started now: it is running, or its check has not finished"},
    {"import.not_started", NULL, "导入无法开始：请稍后再试，或联系系统管理员",
     "the import could not be started: try again later, or ask the administrator"},
    {"form.not_installed", NULL, "定义文件不符合格式要求，未安装：问题如下",
     "the definition is not valid: nothing installed"},
    {"request.admin_only", NULL, "系统管理页面仅供系统管理员使用",
     "administration is for the admin role only"},
    {"request.method", NULL, "不支持这种请求方式", "method not allowed"},
    {"request.not_found", NULL, "没有这个页面", "not found"},
    {"request.no_user", NULL, "没有这位用户", "there is no such user"},
    {"user.password_mismatch", NULL, "两次输入的新密码不一致：请重新输入",
     "the two new passwords differ: type them again"},
    /* an XML document's problems (forms/xml.c: libxml2's errors by their code), each after
     * the refusal of the definition, calendar or archive they belong to */
    {"xml.root", NULL,
     "“{file}”第 {line} 行：根元素“{element}”不是这类文件应有的元素（名称或命名空间不对）",
     "{file}, line {line}: the root element '{element}' is not the one this kind of file has "
     "(its name or namespace is wrong)"},
    {"xml.unexpected", "expected",
     "“{file}”第 {line} 行：元素“{element}”不应出现在这里；这里应为：“{expected}”",
     "{file}, line {line}: the element '{element}' is not expected here; expected: {expected}"},
    {"xml.unexpected", NULL, "“{file}”第 {line} 行：元素“{element}”不应出现在这里",
     "{file}, line {line}: the element '{element}' is not expected here"},
    {"xml.missing_child", NULL, "“{file}”第 {line} 行：元素“{element}”缺少子元素：“{expected}”",
     "{file}, line {line}: the element '{element}' lacks a child: {expected}"},
    {"xml.attr_unknown", NULL, "“{file}”第 {line} 行：元素“{element}”不能有属性“{attribute}”",
     "{file}, line {line}: the element '{element}' may not have the attribute '{attribute}'"},
    {"xml.attr_missing", NULL, "“{file}”第 {line} 行：元素“{element}”缺少必需的属性“{attribute}”",
     "{file}, line {line}: the element '{element}' lacks the required attribute '{attribute}'"},
    {"xml.text", NULL, "“{file}”第 {line} 行：元素“{element}”中不能直接写文字，只能包含子元素",
     "{file}, line {line}: the element '{element}' may hold elements only, not text"},
    {"xml.value", "kind=choice",
     "“{file}”第 {line} 行：元素“{element}”的值“{value}”不是可选的值；可选：“{expected}”",
     "{file}, line {line}: '{value}' is not a choice of the element '{element}'; the choices: "
     "{expected}"},
    {"xml.value", "kind=pattern", "“{file}”第 {line} 行：元素“{element}”的值“{value}”格式不对",
     "{file}, line {line}: the value '{value}' of the element '{element}' does not have the "
     "required format"},
    {"xml.value", "kind=length", "“{file}”第 {line} 行：元素“{element}”的值“{value}”长度不对",
     "{file}, line {line}: the value '{value}' of the element '{element}' is too long or too "
     "short"},
    {"xml.value", "kind=range", "“{file}”第 {line} 行：元素“{element}”的值“{value}”超出允许的范围",
     "{file}, line {line}: the value '{value}' of the element '{element}' is out of range"},
    {"xml.value", NULL,
     "“{file}”第 {line} 行：元素“{element}”的值“{value}”类型不对（例如应为数字、日期或是/否）",
     "{file}, line {line}: the value '{value}' of the element '{element}' is not of its type (a "
     "number, a date, yes or no)"},
    {"xml.attr_value", "kind=choice",
     "“{file}”第 {line} 行：元素“{element}”的属性“{attribute}”的值“{value}”不是可选的值；可选："
     "“{expected}”",
     "{file}, line {line}: '{value}' is not a choice of the attribute '{attribute}' of "
     "'{element}'; the choices: {expected}"},
    {"xml.attr_value", "kind=pattern",
     "“{file}”第 {line} 行：元素“{element}”的属性“{attribute}”的值“{value}”格式不对",
     "{file}, line {line}: the value '{value}' of the attribute '{attribute}' of '{element}' "
     "does not have the required format"},
    {"xml.attr_value", "kind=length",
     "“{file}”第 {line} 行：元素“{element}”的属性“{attribute}”的值“{value}”长度不对",
     "{file}, line {line}: the value '{value}' of the attribute '{attribute}' of '{element}' is "
     "too long or too short"},
    {"xml.attr_value", "kind=range",
     "“{file}”第 {line} 行：元素“{element}”的属性“{attribute}”的值“{value}”超出允许的范围",
     "{file}, line {line}: the value '{value}' of the attribute '{attribute}' of '{element}' is "
     "out of range"},
    {"xml.attr_value", NULL,
     "“{file}”第 {line} 行：元素“{element}”的属性“{attribute}”的值“{value}”类型不对（例如应为数字、"
     "日期或是/否）",
     "{file}, line {line}: the value '{value}' of the attribute '{attribute}' of '{element}' is "
     "not of its type (a number, a date, yes or no)"},
    {"xml.doctype", NULL, "“{file}”第 {line} 行：不允许文档类型声明（DOCTYPE）",
     "{file}, line {line}: a DOCTYPE is not allowed"},
    {"xml.syntax", NULL,
     "“{file}”第 {line} 行：不是格式正确的 "
     "XML（例如标签没有闭合或不匹配）；技术细节（英文原文）：{detail}",
     "{file}, line {line}: not well-formed XML: {detail}"},
    {"xml.schema", NULL,
     "“{file}”第 {line} 行：元素“{element}”不符合定义的格式；技术细节（英文原文）：{detail}",
     "{file}, line {line}: the element '{element}' does not fit the schema: {detail}"},
    {"xml.other", NULL, "另一处问题，技术细节（英文原文）：{detail}", "{detail}"},
    {"upload.tmpdir", NULL, "无法为上传的文件建立临时目录：请联系系统管理员",
     "cannot make a temporary directory for the upload: please ask the administrator"},
    /* ---- wordsb: capa-serve's own checks that were still English (issue 17): the JSON
     * API's error messages (tools/serve/api.c) and the error pages (tools/serve/pages.c) ---- */
    {"api.content_type", NULL, "请求内容的类型须为“{type}”", "expected Content-Type: {type}"},
    {"api.json_syntax", NULL,
     "请求内容的格式有误（第 {line} 行第 {column} 列）；技术细节（英文原文）：{detail}",
     "malformed JSON at line {line} column {column}: {detail}"},
    {"api.json_object", NULL, "请求内容须为一个对象（用花括号括起的名称和值）",
     "expected a JSON object"},
    {"api.token", NULL, "没有登录令牌，或令牌已过期：请先登录（“{path}”）",
     "no or expired token: {path} first"},
    {"api.method", NULL, "此路径不支持这种请求方式；可用的方式：“{allow}”",
     "method not allowed on this path; allowed: {allow}"},
    {"api.expected", NULL, "请求内容不完整，应为：“{expected}”", "expected {expected}"},
    {"api.login", NULL, "账号或密码不正确", "wrong user or password"},
    {"api.not_found", NULL, "没有这个接口路径", "no such API path"},
    {"api.no_case", NULL, "没有这个案件编号", "no such case"},
    {"api.data_hash_new", NULL, "新案件还没有数据校验值：请去掉请求中的数据校验值",
     "\"data_hash\": a new case has none"},
    {"api.data_hash", NULL,
     "数据校验值须为该阶段数据校验值的 64 位十六进制数字（可通过“{path}”取得）",
     "\"data_hash\" must be the 64 hex digits of the stage's data hash ({path})"},
    {"api.workflow_type", NULL, "流程须以其编号（字符串）给出",
     "\"workflow\" must be a workflow id"},
    {"api.workflow_new", NULL, "只有新建案件时才能选择流程",
     "\"workflow\": only a new case chooses one"},
    {"api.malformed", NULL, "请求内容有误；技术细节（英文原文）：{detail}", "{detail}"},
    {"api.reason_string", NULL, "理由须为文字（字符串）", "\"reason\" must be a string"},
    {"request.no_workflow", NULL, "没有流程“{value}”：请从列表中选择流程",
     "workflow '{value}': no such workflow in this store"},
    {"request.param", NULL, "{name@}“{value}”不对：应为{expected@}",
     "{name@} '{value}': expected {expected@}"},
    {"request.no_severity", NULL, "首个表单没有严重程度的选项，不能按严重程度筛选",
     "severity: the intake form has no severity choice"},
    {"request.severity", NULL, "没有“{value}”这个严重程度：可选{choices@}",
     "severity '{value}': not one of {choices@}"},
    {"request.sort", NULL, "不能按“{value}”排序[[：请点击列标题排序]]",
     "sort '{value}': expected one of {choices}"},
    {"request.form_type", NULL, "需要通过页面上的表单提交：请回到页面重新提交",
     "expected a form ({type})"},
    {"request.form_malformed", NULL, "表单内容的格式有误：请刷新页面后重新提交",
     "the form is malformed ({detail}): reload the page and send it again"},
    {"request.at", NULL, "时间的格式不对", "at: expected a time"},
    {"request.case_closed", NULL, "本案已结案，归档后只读",
     "this case is closed: an archived case is read-only"},
    {"request.sign_stale", NULL, "签核页面缺少所显示数据的校验值：请重新打开签核页面",
     "the data hash the signing dialog showed is missing: open the signing dialog again"},
    {"request.tmpdir", NULL, "服务器无法建立临时目录：请联系系统管理员",
     "cannot make a private temporary directory (TMPDIR): please ask the administrator"},
    {"request.report_period", NULL,
     "没有“{value}”这个报表：报表按月（如 2026-12）或按 ISO 周（如 "
     "2026-W49）提供[[，请在报表页面上选择]]",
     "there is no report '{value}': a report is of a month (2026-12) or an ISO week (2026-W49)"
     "[[; choose one on the reports page]]"},
    {"request.outbox_admin", NULL, "通知发送队列仅供系统管理员查看：如需重发通知，请联系系统管理员",
     "the outbox is for admins: to send a notice again, ask an administrator"},
    {"request.retry_target", NULL, "请选择要重新发送的通知对象",
     "retry: choose the target to send to again"},
    /* capa-serve's start-up errors (tools/serve/main.c, http.c), on stderr in the language of
     * --lang or the locale; {option} is an option's literal name */
    {"serve.number", NULL, "选项 {option} 须为 {min} 到 {max} 之间的整数（现为“{value}”）",
     "{option}: expected a number from {min} to {max}"},
    {"serve.needs_value", NULL, "选项 {option} 需要一个值", "{option} needs a value"},
    {"serve.needs_file", NULL, "选项 {option} 需要一个文件", "{option} needs a file"},
    {"serve.needs", NULL, "选项 {option} 须与 {other} 一起使用", "{option} needs {other} as well"},
    {"serve.listen", NULL, "选项 {option} 须为“主机:端口”，如 127.0.0.1:8080（现为“{value}”）",
     "{option}: expected HOST:PORT, e.g. 127.0.0.1:8080"},
    {"serve.port", NULL, "选项 {option} 中的端口不对（现为“{value}”）：应为 0 到 65535 之间的整数",
     "{option}: bad port in '{value}' (0 to 65535)"},
    {"serve.address", NULL,
     "选项 {option} 中的地址不对（现为“{value}”）：第六版网际协议的地址须写在方括号中，如 "
     "[::1]:8080",
     "{option}: bad address in '{value}' (an IPv6 address goes in brackets: [::1]:8080)"},
    {"serve.oom", NULL, "内存不足，服务未启动", "out of memory"},
    {"serve.cannot_listen", NULL, "无法在“{value}”上监听：该端口可能已被占用，或没有权限",
     "cannot listen on {value}"},
    {"serve.no_thread", NULL, "无法启动请求头超时的监视线程，服务未启动",
     "cannot start the header watchdog"},    /* ---- words17d: what was still English (issue 17): the engine's report periods, the
     * CLI's confirmations on stdout (cli_say_rule, "say.*"), capa deliver's log, capa form's
     * problems, capa list's unknown stage or severity, and the command listing of capa --help
     * ("help.*": {summary} is the command table's English, tools/capa/main.c) ---- */
    {"report.month", NULL, "“{value}”不是月份：月份写作 年-月，例如 2026-12",
     "'{value}' is not a month: a month is written year-month, e.g. 2026-12"},
    {"report.month_number", NULL, "“{value}”不是月份：没有第 {number} 月（月份为 01 到 12）",
     "'{value}' is not a month: there is no month {number} (months are 01 to 12)"},
    {"report.week", NULL, "“{value}”不是 ISO 周：周写作 年-W周，例如 2026-W49",
     "'{value}' is not an ISO week: a week is written year-Wweek, e.g. 2026-W49"},
    {"report.week_number", NULL,
     "“{value}”不是 ISO 周：{year} 年没有第 {number} 周（该年为第 01 到 {weeks} 周）",
     "'{value}' is not an ISO week: {year} has no week {number} (its weeks are 01 to {weeks})"},
    {"report.day", NULL, "“{value}”不是日期：日期写作 年-月-日，例如 2026-12-07",
     "'{value}' is not a date: a date is written year-month-day, e.g. 2026-12-07"},
    {"report.before_1970", NULL, "“{value}”早于 1970 年：没有这一期的报表",
     "'{value}' is before 1970: there is no report of it"},
    {"report.range", NULL, "结束日期“{value}”早于开始日期“{from}”：请选择在开始日期当天或之后结束的范围",
     "the last day '{value}' is before the first '{from}': a range ends on or after its first "
     "day"},
    {"report.future", NULL,
     "报表期间“{value}”尚未开始（现在是 “{timezone}”时间 {now}）：只能为已经开始的期间出报表",
     "the period '{value}' has not begun (it is {now} in {timezone}): a report is of a period "
     "that has begun"},
    {"cli.list_stage", NULL, "没有“{value}”这个阶段；可选的阶段：{choices@}",
     "unknown stage '{value}'; stages are: {choices}"},
    {"cli.list_severity", NULL, "没有“{value}”这个严重程度；可选：{choices@}",
     "unknown severity '{value}'; severities are: {choices}"},
    {"cli.form_failed", NULL, "“{path}”：{kind}；技术细节（英文原文）：{detail}",
     "{path}: {detail}"},
    {"cli.no_form", NULL, "没有这个表单；现有的表单：{forms@}", "no such form; forms are:{forms}"},
    {"cli.no_form_version", NULL, "没有这个表单或版本；现有的表单：{forms@}",
     "no such form or version; forms are:{forms}"},
    /* capa deliver's log on stderr (tools/notify/deliver.c), under "capa: deliver: " */
    {"deliver.record", NULL, "记录 {count} 次送达时出错；技术细节（英文原文）：{detail}",
     "recording {count} deliveries: {detail}"},
    {"deliver.backoff", NULL,
     "通知对象“{target}”：{count} 条通知等待发送；已连续失败 {failures} 次，将于 {when} 重试",
     "target {target}: {count} notice(s) wait; after {failures} failure(s) it is tried again at "
     "{when}"},
    {"deliver.rate_wait", NULL,
     "通知对象“{target}”：最近一分钟已发送 {max} 条消息；{count} 条通知等待发送",
     "target {target}: {max} messages in the last minute; {count} notice(s) wait"},
    {"deliver.no_email", NULL,
     "通知对象“{target}”：事件 {event}（{number}）的通知没有可发送的人：相关人员都没有邮箱",
     "target {target}: notice of event {event} ({number}): nobody concerned has an e-mail "
     "address"},
    {"deliver.digest", NULL,
     "通知对象“{target}”：已达每分钟 {max} 条的上限，{count} 条通知合并为一条摘要发送",
     "target {target}: rate limit {max} a minute: {count} notice(s) sent as one digest"},
    {"deliver.target", NULL, "通知对象“{target}”（“{kind}”）：{count} 条通知中已送达 {done} 条",
     "target {target} ({kind}): {done} of {count} notice(s) delivered"},
    {"deliver.failed", NULL,
     "通知对象“{target}”：未能送达，{count} 条通知保留，将于 {when} "
     "重试；技术细节（英文原文）：{detail}",
     "target {target}: not delivered: {detail}; {count} notice(s) stay and are tried again at "
     "{when}"},
    /* a command's confirmation on stdout (cli_say_rule); {what} is a say.* line before it */
    {"say.done", NULL, "案件 {number}：{what}", "{number}: {what}"},
    {"say.closed", NULL, "{number}：{what}；已结案，此后只读",
     "{number}: {what}; closed (结案), read-only from now on"},
    {"say.now_in", NULL, "{number}：{what}；现处于“{label}”阶段（“{at}”）",
     "{number}: {what}; now in {at} ({label})"},
    {"say.set", "count=1", "已填写 1 个字段", "1 field set"},
    {"say.set", NULL, "已填写 {count} 个字段", "{count} fields set"},
    {"say.signed", NULL, "“{user}”已签核“{meaning@}”", "signed {meaning} by {user}"},
    {"say.rejected", NULL, "“{user}”已驳回", "rejected by {user}"},
    {"say.attached", NULL, "{number}：已附加“{name}”（{size} 字节）",
     "{number}: attached {name} ({size} bytes)"},
    {"say.backed_up", NULL, "已将“{path}”备份到“{to}”", "backed up {path} to {to}"},
    {"say.calendar_installed", NULL, "{year} 年的工作日历已安装为第 {version} 版",
     "calendar {year} installed as version {version}"},
    {"say.cert_created", NULL, "已为“{org}”生成自签名的签名证书，存放于“{path}”",
     "created a self-signed signing certificate for {org} in {path}"},
    {"say.cert_installed", NULL, "签名密钥和证书已安装到“{path}”",
     "installed signing key and certificate in {path}"},
    {"say.recurrence_days", NULL, "重复发生的判定期：{days} 天",
     "recurrence window: {days} days"},
    {"say.attach_limit", NULL, "附件上限：{size} 字节", "attachment limit: {size} bytes"},
    {"say.timezone", NULL, "时区：“{zone}”", "time zone: {zone}"},
    {"say.target_added", NULL, "已添加通知对象“{name}”", "notice target {name} added"},
    {"say.target_removed", NULL, "已删除通知对象“{name}”", "notice target {name} removed"},
    {"say.form_ok_dir", NULL, "“{path}”：无误（流程及 {forms} 个阶段表单）",
     "{path}: ok (workflow and {forms} stage forms)"},
    {"say.form_ok_workflow", NULL, "“{path}”：无误（流程，{stages} 个阶段，{roles} 个角色）",
     "{path}: ok (workflow, {stages} stages, {roles} roles)"},
    {"say.form_ok_form", NULL, "“{path}”：无误（表单“{form}”，{fields} 个字段）",
     "{path}: ok (form {form}, {fields} fields)"},
    {"say.form_installed", NULL, "“{path}”：已安装为第 {version} 版",
     "{path}: installed as version {version}"},
    {"say.imported_archive", NULL, "{number}：已从“{path}”导入", "{number}: imported from {path}"},
    {"say.initialised", NULL, "已为“{org}”建立数据库“{path}”；管理员：“{user}”",
     "initialised {path} for {org}; administrator: {user}"},
    {"say.owner", NULL, "{number}：首问负责人为“{user}”", "{number}: owner {user}"},
    {"say.restored", NULL, "已将备份“{path}”恢复到“{to}”；审计链已校验，链头“{head}”",
     "restored {path} to {to}; audit chain verified, head {head}"},
    {"say.upgrade_none", NULL, "“{path}”已是第 {format} 版存储格式，无需升级",
     "{path} is already in store format {format}; nothing to do"},
    {"say.upgraded", NULL, "已将“{path}”从第 {format} 版存储格式升级到第 2 版；已校验；锚点“{anchor}”",
     "upgraded {path} from store format {format} to 2; verified; anchor {anchor}"},
    {"say.checkpoint", NULL, "检查点：事件 {event} 签署了它之前的全部历史；锚点“{anchor}”",
     "checkpoint: event {event} signs the history before it; anchor {anchor}"},
    {"say.delivered", NULL,
     "已发送 {messages} 条消息（其中摘要 {digests} 条），记录送达 {recorded} 次，{waiting} 次等待发送",
     "{messages} message(s) sent ({digests} digest(s)), {recorded} delivery(ies) recorded, "
     "{waiting} waiting"},
    {"say.user_added", NULL, "已添加用户“{user}”（{name}，{role@}）", "added user {user} ({name}, {role})"},
    {"say.password_changed", NULL, "“{user}”的密码已更改", "password of {user} changed"},
    {"say.unlocked_local", NULL, "已解锁“{user}”（本机恢复，已记入审计）",
     "unlocked {user} (local recovery, audited)"},
    {"say.unlocked", NULL, "已解锁“{user}”", "unlocked {user}"},
    {"say.role", NULL, "“{user}”的角色现为{role@}", "role of {user} is now {role}"},
    {"say.disabled", NULL, "已停用“{user}”", "disabled {user}"},
    {"say.enabled", NULL, "已启用“{user}”", "enabled {user}"},
    {"say.contact", NULL, "“{user}”：手机“{mobile}”，邮箱“{email}”，接收的通知：“{notify}”",
     "{user}: mobile {mobile}, e-mail {email}, notices: {notify}"},
    {"say.published", NULL,
     "已发布工厂“{plant}”（“{path}”）的事件 {first}..{last}：{count} 个事件，用时 {seconds} "
     "秒，每秒 {rate} 个；链头“{last}:{hash}”",
     "published events {first}..{last} of plant {plant} ({path}): {count} events in {seconds} s, "
     "{rate} events/s; head {last}:{hash}"},
    {"say.publish_none", NULL, "没有要发布的内容：工厂“{plant}”已发布到事件 {event}",
     "nothing to publish: plant {plant} is published up to event {event}"},
    {"say.validated", NULL, "{checks} 项检查中通过 {passed} 项", "{passed} of {checks} checks passed"},
    {"say.validated_report", NULL, "{checks} 项检查中通过 {passed} 项；报告：“{path}”",
     "{passed} of {checks} checks passed; report: {path}"},
    {"say.import_resumes", NULL,
     "“{path}”：从第 {row} 行之后继续（之前各次已导入 {before} 个案件），本次为第 {run} 次",
     "{path}: resumes after row {row} ({before} cases from earlier runs) as run {run}"},
    {"say.import_done_before", NULL,
     "“{path}”已全部导入过：共导入 {before} 个案件（至第 {row} 行）；本次未导入任何内容",
     "{path}: imported in full already: {before} cases came from it (rows up to {row}); nothing "
     "imported"},
    {"say.import_dry", NULL, "“{path}”：检查了 {rows} 行，其中 {bad} 行有误；未写入任何内容（{option}）",
     "{path}: {rows} rows checked, {bad} bad; nothing written ({option})"},
    {"say.import_done", "parts=both",
     "“{path}”：导入 {count} 个案件（其中已结案 {closed} 个），{range}；{bad} 行另存于“{rejects}”",
     "{path}: {count} cases imported ({closed} closed), {range}, {bad} rows set aside in "
     "{rejects}"},
    {"say.import_done", "parts=range",
     "“{path}”：导入 {count} 个案件（其中已结案 {closed} 个），{range}；{bad} 行未导入",
     "{path}: {count} cases imported ({closed} closed), {range}, {bad} rows set aside"},
    {"say.import_done", "parts=rejects",
     "“{path}”：导入 {count} 个案件（其中已结案 {closed} 个）；{bad} 行另存于“{rejects}”",
     "{path}: {count} cases imported ({closed} closed), {bad} rows set aside in {rejects}"},
    {"say.import_done", NULL, "“{path}”：导入 {count} 个案件（其中已结案 {closed} 个）；{bad} 行未导入",
     "{path}: {count} cases imported ({closed} closed), {bad} rows set aside"},
    /* capa --help: the listing; a command's line is the table's summary in English */
    {"help.head", NULL, "8D/CAPA 品质异常记录", "{summary}"},
    {"help.usage", NULL, "用法：<<capa [--db DIR] COMMAND [ARGS]>>", "{summary}"},
    {"help.usage_of", NULL, "用法：", "{summary}"},
    {"help.commands", NULL, "命令：", "{summary}"},
    {"help.foot", NULL,
     "数据库为<<--db DIR>>所指的目录，否则为“<<$CAPA_DB>>”，否则为“<<./var>>”。\n"
     "会修改数据的命令须以<<--as USER>>指明操作人，并在终端上询问其密码，\n"
     "或以<<--password-stdin>>从标准输入读取（每行一个密码）。\n"
     "退出状态：0 成功，1 出错，2 用法不对。单个命令的说明：“<<capa help COMMAND>>”；\n"
     "完整参考及各种输出格式见“<<docs/cli.md>>”。",
     "{summary}"},
    {"help.help_open", NULL, "新建案件时要填写的字段", "{summary}"},
    {"help.help_set", NULL, "案件当前阶段的字段", "{summary}"},
    {"help.help_sign", NULL, "待签核的内容：签核含义（<<--meaning>>）、谁可以签、还缺什么",
     "{summary}"},
    {"help.init", NULL, "建立数据库及其第一位（管理员）用户和案卷签名密钥", "{summary}"},
    {"help.user_add", NULL, "添加用户（标准输入：先是管理员的密码，再是新用户的密码）",
     "{summary}"},
    {"help.user_passwd", NULL, "更改密码（标准输入：先是操作人的密码，再是新密码）", "{summary}"},
    {"help.user_unlock", NULL,
     "解锁因密码输错而被锁定的账号（<<--local>>：以数据库在操作系统中的所有者身份）",
     "{summary}"},
    {"help.user_list", NULL, "列出用户、角色和锁定状态", "{summary}"},
    {"help.user_role", NULL, "更改用户的角色（其网页会话随即结束）", "{summary}"},
    {"help.user_disable", NULL, "停用账号：不能登录，其网页会话随即结束", "{summary}"},
    {"help.user_enable", NULL, "重新启用已停用的账号", "{summary}"},
    {"help.user_set", NULL, "用户接收通知的手机和邮箱，以及接收哪些通知（本人或管理员）",
     "{summary}"},
    {"help.open", NULL, "以首个阶段的字段新建案件；输出案件编号", "{summary}"},
    {"help.set", NULL, "填写案件当前阶段的字段（表格的行写作“<<group.N.field=value>>”）",
     "{summary}"},
    {"help.sign", NULL, "签核当前阶段（电子签名）；案件进入下一阶段", "{summary}"},
    {"help.reject", NULL, "驳回当前阶段（审查 N）", "{summary}"},
    {"help.show", NULL, "案件的每个阶段、字段和签名", "{summary}"},
    {"help.list", NULL, "查找案件；可导出为 Excel 用的“<<CSV>>”（带“<<BOM>>”的 UTF-8）或 xlsx",
     "{summary}"},
    {"help.log", NULL, "审计记录，单个案件的或全部的", "{summary}"},
    {"help.verify", NULL, "重放审计记录并核对每一条记录；检查锚点和检查点", "{summary}"},
    {"help.anchor", NULL, "输出链头（形如“<<SEQ:HEX>>”），请保存在数据库以外", "{summary}"},
    {"help.checkpoint", NULL, "以组织的密钥签署链头（供定时任务使用；无需密码）", "{summary}"},
    {"help.escalate", NULL,
     "为每个已用去 80 % 或已到期的时限记录（并发送）升级（供定时任务使用；无需密码）",
     "{summary}"},
    {"help.deliver", NULL, "把等待发送的通知发到企业微信、钉钉机器人和邮件（供定时任务使用；无需密码）",
     "{summary}"},
    {"help.notices", NULL, "某人收到的通知，或等待发送的通知", "{summary}"},
    {"help.owner", NULL, "案件的首问负责人；给出用户时改派给该用户", "{summary}"},
    {"help.upgrade", NULL, "就地转换旧格式的存储（先自动备份）", "{summary}"},
    {"help.form_check", NULL, "检查表单和流程定义：每个错误一行，注明文件、行号和原因",
     "{summary}"},
    {"help.form_show", NULL, "已存表单的字段：编号、类型、标签、是否必填、规则、选项代码",
     "{summary}"},
    {"help.form_install", NULL, "安装表单（或流程）的新版本", "{summary}"},
    {"help.info", NULL, "组织、数量、链头、表单", "{summary}"},
    {"help.config", NULL, "更改工厂的时区、重复发生的判定期或附件大小上限（记入审计）",
     "{summary}"},
    {"help.report", NULL,
     "某月、某个 ISO 周或任意日期范围的质量报表（客户投诉月/周统计表），默认为签名的 "
     "“<<PDF>>”；<<--group>>：从集团的“<<PostgreSQL>>”汇总各工厂",
     "{summary}"},
    {"help.export", NULL, "把案件导出为 XML 归档：记录、事件、签名、锚点", "{summary}"},
    {"help.attach", NULL, "为案件保存文件（照片、报告）：按 SHA-256 只存一份，记入审计",
     "{summary}"},
    {"help.attachment_get", NULL, "把附件内容写入文件（<<->> 为标准输出），输出时重新计算哈希",
     "{summary}"},
    {"help.calendar_install", NULL, "安装某一年的工作日历", "{summary}"},
    {"help.calendar_show", NULL, "某月的每一天：工作日、周末、节假日或调休上班", "{summary}"},
    {"help.backup", NULL, "在运行中把数据库及其签名密钥压缩复制到新的或空的目录", "{summary}"},
    {"help.restore", NULL, "校验备份，再把它（数据库和签名密钥）恢复到新的或空的目录",
     "{summary}"},
    {"help.dossier", NULL, "供审核员查阅的签名“<<PDF>>”案卷（单个案件或全部案件）", "{summary}"},
    {"help.serve", NULL, "网页界面和“<<JSON API>>”（运行“<<capa-serve>>”；127.0.0.1:8080）",
     "{summary}"},
    {"help.import", NULL,
     "把旧的 Excel 登记表（客户投诉登记表）导入为案件，要么全部导入要么全不导入；或导入另一存储的案件归档，按其事件证明，在此只读",
     "{summary}"},
    {"help.publish", NULL, "把已校验的审计记录及其记录发送到集团的“<<PostgreSQL>>”",
     "{summary}"},
    {"help.cert_create", NULL, "为签署案卷生成自签名的演示证书", "{summary}"},
    {"help.cert_install", NULL, "安装组织的案卷签名密钥和证书", "{summary}"},
    {"help.validate", NULL,
     "在临时存储中做运行确认：逐条检查软件条款，输出签名的“<<PDF>>”报告；有任何一项不通过则退出状态为 1",
     "{summary}"},
    {"help.common", NULL,
     "通用选项：<<--db DIR>>（或“<<$CAPA_DB>>”；默认“<<./var>>”）。\n"
     "会修改数据的命令：<<--as USER>>、<<--password-stdin>>（否则在终端上询问密码）。\n"
     "详见“<<docs/cli.md>>”。",
     "{summary}"},
    /* ---- words17e: engine errors a user can cause that had no refusal data (core/) ---- */
    {"set.too_many", NULL, "一次最多填写 {max} 个字段（这次有 {count} 个）：请分几次填写",
     "at most {max} fields at a time (this change has {count}): please split the change"},
    /* waiver.role's English has {role_en}, not {role@}: the CLI's English stays the engine's
     * sentence (scripts read it); the web's English names the roles by their labels */
    {"waiver.role", NULL,
     "您的角色（{role@}）不能签署“{stage}”阶段的豁免“{waiver@}”；需要以下角色：{roles@}",
     "your role ({role_en}) may not sign the waiver '{waiver@}' on the stage {stage}; that needs "
     "the role {roles_en}"},
    {"sign.no_reason", NULL, "“{stage}”阶段的“{meaning@}”是签核，签核不带理由；理由只用于豁免",
     "'{meaning@}' on the stage {stage} is a sign-off, which takes no reason; a reason is for a "
     "waiver"},
    {"workflow.unknown", NULL, "没有“{value}”这个流程", "there is no workflow '{value}'"},
    {"backup.not_empty", NULL,
     "目录“{value}”不是空的（其中有“{holds}”）：备份只能放到新的或空的目录中",
     "{value} is not empty (it holds {holds}): a backup goes only into a new or empty directory"},
    {"time.moment", NULL,
     "“{value}”不是时间：请写作 年-月-日T时:分（可加 :秒，以及 Z 或 +08:00 "
     "这样的时差；不加时差即为工厂当地时间），或只写日期 年-月-日",
     "'{value}' is not a moment: write year-month-dayThour:minute (seconds, and Z or an offset "
     "such as +08:00, may follow; without one it is plant time), or a date year-month-day"},
    /* ---- words17e: the listings' lines that were English only (capa info, log, notices,
     * calendar show, config notify list, escalate, show's limits), worded as say.* lines
     * (cli_say_rule); the English wording is the line as it was ---- */
    {"say.info_head", NULL, "{program} {version}，数据库“{path}”（存储格式第 {format} 版，映射 {map} MiB）",
     "{program} {version}, database {path} (format {format}, map {map} MiB)"},
    {"say.info_org", NULL, "组织：{value}", "organisation:   {value}"},
    {"say.info_numbering", NULL, "编号规则：{value}", "numbering:      {value}"},
    {"say.info_timezone", NULL, "时区：{value}", "time zone:      {value}"},
    {"say.info_cases", NULL, "案件数：{value}", "cases:          {value}"},
    {"say.info_events", NULL, "审计事件数：{value}", "audit events:   {value}"},
    {"say.info_chain", NULL, "链头：{value}", "chain head:     {value}"},
    {"say.info_chain_empty", NULL, "链头：（空，尚无审计事件）", "chain head:     (empty)"},
    {"say.info_workflow", "label", "流程“{id}”第 {version} 版：{label@}；编号规则 {pattern}",
     "workflow {id} v{version} {label}, numbering {pattern}:"},
    {"say.info_workflow", NULL, "流程“{id}”第 {version} 版；编号规则 {pattern}",
     "workflow {id} v{version}, numbering {pattern}:"},
    {"say.info_stage", "reject",
     "       表单“{form}”第 {version} 版；可编辑：{editors}；签核（{meaning@}）：{signers}；驳回退至“{reject}”",
     "       form {form} v{version}; edit: {editors}; sign {meaning} by {signers}; reject -> "
     "{reject}"},
    {"say.info_stage", NULL,
     "       表单“{form}”第 {version} 版；可编辑：{editors}；签核（{meaning@}）：{signers}",
     "       form {form} v{version}; edit: {editors}; sign {meaning} by {signers}"},
    {"say.log_import", "parts=both",
     "        导入自“{source}”第 {row} 行（SHA-256 {sha}），第 {run} 次导入；其后至第 {through} 行另存",
     "        导入 imported from {source} row {row} (sha256 {sha}), run {run}; the rows after it to "
     "row {through} were set aside"},
    {"say.log_import", "parts=run",
     "        导入自“{source}”第 {row} 行（SHA-256 {sha}），第 {run} 次导入",
     "        导入 imported from {source} row {row} (sha256 {sha}), run {run}"},
    {"say.log_import", "parts=through",
     "        导入自“{source}”第 {row} 行（SHA-256 {sha}）；其后至第 {through} 行另存",
     "        导入 imported from {source} row {row} (sha256 {sha}); the rows after it to row "
     "{through} were set aside"},
    {"say.log_import", NULL, "        导入自“{source}”第 {row} 行（SHA-256 {sha}）",
     "        导入 imported from {source} row {row} (sha256 {sha})"},
    {"say.log_reason", NULL, "        理由：{value}", "        reason: {value}"},
    {"say.notice", "waits", "{time}  {kind@}  {number}  {from} → {to}  操作人 {actor}  [等待发送给“{waits}”]",
     "{time}  {kind}  {number}  {from} -> {to}  by {actor}  [waits for {waits}]"},
    {"say.notice", "pending", "{time}  {kind@}  {number}  {from} → {to}  操作人 {actor}  [尚未送达]",
     "{time}  {kind}  {number}  {from} -> {to}  by {actor}  [not delivered yet]"},
    {"say.notice", NULL, "{time}  {kind@}  {number}  {from} → {to}  操作人 {actor}",
     "{time}  {kind}  {number}  {from} -> {to}  by {actor}"},
    {"say.calendar_month", NULL, "{month}（时区“{zone}”）", "{month}  (time zone {zone})"},
    {"say.calendar_uncovered", NULL, "没有已安装的日历覆盖 {year} 年：周六、周日休息，其余各天上班",
     "no installed calendar covers {year}: Saturdays and Sundays off, every other day working"},
    {"say.escalated", NULL, "{number}  {limit@}  {level@}  到期 {due}  → {to}{users}",
     "{number}  {limit}  {level}  due {due}  -> {to}{users}"},
    {"say.limit_met", NULL, "    {kind@}  到期 {due}  已于 {met} 完成（{early@} {span}）{uncovered@}",
     "    {kind} due {due}  met {met} ({span} {early}){uncovered}"},
    {"say.limit_over", NULL, "    {kind@}  到期 {due}  {state@}，已逾期 {span}{uncovered@}",
     "    {kind} due {due}  {state}, {span} past due{uncovered}"},
    {"say.limit_due", NULL, "    {kind@}  到期 {due}  {state@}，剩余 {span}{uncovered@}",
     "    {kind} due {due}  {state}, due in {span}{uncovered}"},
    {"say.limit_escalated", NULL, "      已升级（{level@}）{at} → {to}", "      escalated {level} {at} -> {to}"},
};

/* Names of fields that are no form's (the request's own). */
static const struct {
    const char *id, *zh, *en;
} own_fields[] = {
    {"reason", "理由", "Reason"},
    {"user", "账号", "Account"},
    {"name", "名称", "Name"},
    {"dept", "部门", "Department"},
    {"role", "角色", "Role"},
    {"password", "密码", "Password"},
    {"org", "组织名称", "Organisation"},
    {"file", "文件", "File"},
    {"file_name", "文件名", "File name"},
    {"note", "备注", "Note"},
    {"source", "来源", "Source"},
    {"timezone", "时区", "Time zone"},
    {"mobile", "手机号", "Mobile"},
    {"email", "邮箱", "E-mail"},
    {"notify", "通知类别", "Notices"},
    {"owner", "负责人", "Owner"},
    {"encoding", "编码", "Encoding"},
    {"sheet", "工作表", "Sheet"},
    {"mapping", "导入方案", "Mapping"},
    {"workflow", "流程", "Workflow"},
    {"form", "表单", "Form"},
    {"stage", "阶段", "Stage"},
    {"calendar", "工作日历", "Work calendar"},
    {"days", "天数", "Days"},
    {"limit", "附件上限", "Attachment limit"},
};

int capa_lang_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "zh") == 0)
        return CAPA_LANG_ZH;
    if (strcmp(s, "en") == 0)
        return CAPA_LANG_EN;
    if (strcmp(s, "both") == 0)
        return CAPA_LANG_BOTH;
    return -1;
}

capa_lang capa_lang_from_env(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "zh", 2) == 0 ? CAPA_LANG_ZH : CAPA_LANG_EN;
    }
    return CAPA_LANG_EN;
}

/* The first line for v's rule whose condition holds, or NULL. */
static const wording *find(const capa_violation *v)
{
    for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
        const wording *w = &catalogue[i];
        if (strcmp(w->rule, v->rule) != 0)
            continue;
        if (!w->cond)
            return w;
        const char *eq = strchr(w->cond, '=');
        char name[40];
        size_t n = eq ? (size_t)(eq - w->cond) : strlen(w->cond);
        if (n >= sizeof name)
            continue;
        memcpy(name, w->cond, n);
        name[n] = 0;
        const char *have = capa_refusal_param_get(v, name);
        if (have && *have && (!eq || strcmp(have, eq + 1) == 0))
            return w;
    }
    return NULL;
}

int capa_lang_knows(const char *rule)
{
    for (size_t i = 0; rule && i < sizeof catalogue / sizeof catalogue[0]; i++)
        if (strcmp(catalogue[i].rule, rule) == 0)
            return 1;
    return 0;
}

/* A growable string; ok = 0 after an allocation failed. */
typedef struct str {
    char *p;
    size_t n, cap;
    int ok;
} str;

static void put(str *s, const char *t, size_t n)
{
    if (!s->ok)
        return;
    if (s->n + n + 1 > s->cap) {
        size_t cap = (s->n + n + 1) * 2;
        char *p = realloc(s->p, cap);
        if (!p) {
            s->ok = 0;
            return;
        }
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, t, n);
    s->n += n;
    s->p[s->n] = 0;
}

static void puts_(str *s, const char *t)
{
    put(s, t, strlen(t));
}

static char *take(str *s)
{
    if (!s->ok || !s->p) {
        free(s->p);
        return s->ok ? strdup("") : NULL;
    }
    return s->p;
}

static const char *field_name(const capa_violation *v, int zh)
{
    const char *l = zh ? v->label_zh : v->label_en;
    if (l && *l)
        return l;
    if (*(zh ? v->label_en : v->label_zh)) /* the other language's label beats an id */
        return zh ? v->label_en : v->label_zh;
    for (size_t i = 0; i < sizeof own_fields / sizeof own_fields[0]; i++)
        if (strcmp(own_fields[i].id, v->field) == 0)
            return zh ? own_fields[i].zh : own_fields[i].en;
    return v->field;
}

/* tpl with [[web-only parts]] kept (web) or dropped, and <<CLI-only parts>> (a command
 * that helps) dropped (web) or kept, into buf; cut at sz. */
static void channel(char *buf, size_t sz, const char *tpl, int web)
{
    size_t o = 0;
    int in_web = 0, in_cli = 0;
    for (const char *p = tpl; *p && o + 1 < sz; p++) {
        if (p[0] == '[' && p[1] == '[') {
            in_web = 1;
            p++;
        } else if (p[0] == ']' && p[1] == ']') {
            in_web = 0;
            p++;
        } else if (p[0] == '<' && p[1] == '<') {
            in_cli = 1;
            p++;
        } else if (p[0] == '>' && p[1] == '>') {
            in_cli = 0;
            p++;
        } else if ((!in_web || web) && (!in_cli || !web)) {
            buf[o++] = *p;
        }
    }
    buf[o] = 0;
}

static void expand(str *o, const char *text, const capa_refusal *r, const capa_violation *v, int zh,
                   int web)
{
    char name[48], loc[56], tpl[1024];
    channel(tpl, sizeof tpl, text, web);
    for (const char *p = tpl; *p;) {
        const char *b = strchr(p, '{'), *e = b ? strchr(b, '}') : NULL;
        if (!b || !e || (size_t)(e - b - 1) >= sizeof name) {
            puts_(o, p);
            return;
        }
        put(o, p, (size_t)(b - p));
        memcpy(name, b + 1, (size_t)(e - b - 1));
        name[e - b - 1] = 0;
        size_t n = strlen(name);
        const char *val = NULL;
        if (strcmp(name, "field") == 0) {
            val = field_name(v, zh);
        } else if (strcmp(name, "value") == 0) {
            val = v->value;
        } else if (strcmp(name, "case") == 0) {
            val = r->case_number;
        } else if (strcmp(name, "stage") == 0) {
            val = zh ? r->stage_zh : r->stage_en;
            if (!*val)
                val = *r->stage_zh ? r->stage_zh : r->stage;
        } else if (n && name[n - 1] == '@') {
            name[n - 1] = 0;
            snprintf(loc, sizeof loc, "%s_%s", name, zh ? "zh" : "en");
            val = capa_refusal_param_get(v, loc);
            if (!val || !*val)
                val = capa_refusal_param_get(v, name);
        } else {
            val = capa_refusal_param_get(v, name);
        }
        puts_(o, val ? val : "");
        p = e + 1;
    }
}

char *capa_lang_violation(const capa_refusal *r, const capa_violation *v, capa_lang lang, int web)
{
    str o = {NULL, 0, 0, 1};
    const wording *w = find(v);
    if (!w) {
        puts_(&o, v->message);
        return take(&o);
    }
    if (lang != CAPA_LANG_EN)
        expand(&o, w->zh, r, v, 1, web);
    if (lang == CAPA_LANG_BOTH)
        puts_(&o, " / ");
    size_t en_at = o.n;
    if (lang != CAPA_LANG_ZH)
        expand(&o, w->en, r, v, 0, web);
    /* A sentence begins with a capital; a value it begins with (an account, an option) is
     * kept as it is. */
    if (o.ok && o.p && o.n > en_at && o.p[en_at] >= 'a' && o.p[en_at] <= 'z' && w->en[0] >= 'a' &&
        w->en[0] <= 'z')
        o.p[en_at] = (char)(o.p[en_at] - 'a' + 'A');
    return take(&o);
}

int capa_lang_names_role(const capa_refusal *r)
{
    for (size_t i = 0; r && i < r->n; i++) {
        const wording *w = find(&r->v[i]);
        if (w && (strstr(w->en, "{role@}") || strstr(w->en, "{roles@}")))
            return 1;
    }
    return 0;
}

/* A field required before sign-off, named alone (not a table's rows, not at creation). */
static int plain_required(const capa_violation *v)
{
    const char *when = capa_refusal_param_get(v, "when");
    return strcmp(v->rule, "field.required") == 0 && !capa_refusal_param_get(v, "rows") &&
           (!when || strcmp(when, "sign") == 0);
}

/* Several fields still empty before sign-off, as one sentence listing their labels. */
static void required_together(str *o, const capa_refusal *r, capa_lang lang, int web)
{
    char tpl[256];
    for (int zh = 1; zh >= 0; zh--) {
        if ((zh && lang == CAPA_LANG_EN) || (!zh && lang == CAPA_LANG_ZH))
            continue;
        if (!zh && lang == CAPA_LANG_BOTH)
            puts_(o, " / ");
        puts_(o, zh ? "签核前还须填写：" : "Still to fill in before sign-off: ");
        size_t k = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (!plain_required(&r->v[i]))
                continue;
            puts_(o, k++ ? (zh ? "、" : ", ") : "");
            puts_(o, zh ? "「" : "");
            puts_(o, field_name(&r->v[i], zh));
            puts_(o, zh ? "」" : "");
        }
        channel(tpl, sizeof tpl,
                zh ? "[[（请点击“填写本阶段”补填）]]"
                   : "[[ (click Fill in this stage to add them)]]",
                web);
        puts_(o, tpl);
    }
}

char *capa_lang_refusal(const capa_refusal *r, capa_lang lang, int web)
{
    str o = {NULL, 0, 0, 1};
    size_t n_req = 0, k = 0;
    for (size_t i = 0; i < r->n; i++)
        n_req += plain_required(&r->v[i]);
    for (size_t i = 0; i < r->n; i++) {
        int together = n_req > 1 && plain_required(&r->v[i]);
        if (together && n_req == SIZE_MAX)
            continue; /* already said, with the first */
        if (k++)
            puts_(&o, lang == CAPA_LANG_ZH ? "；" : "; ");
        if (together) {
            required_together(&o, r, lang, web);
            n_req = SIZE_MAX;
            continue;
        }
        char *one = capa_lang_violation(r, &r->v[i], lang, web);
        if (!one) {
            o.ok = 0;
            break;
        }
        puts_(&o, one);
        free(one);
    }
    if (r->n_dropped) {
        char more[96];
        snprintf(more, sizeof more,
                 lang == CAPA_LANG_ZH   ? "；另有 %zu 项"
                 : lang == CAPA_LANG_EN ? "; and %zu more"
                                        : "；另有 %zu 项 / and more",
                 r->n_dropped);
        puts_(&o, more);
    }
    return take(&o);
}

char *capa_lang_rule(const char *rule, const char *label, const char *value,
                     const capa_refusal_param *params, size_t n_params, capa_lang lang, int web)
{
    if (!rule || !capa_lang_knows(rule))
        return NULL;
    capa_violation v = {
        rule, "", label ? label : "", label ? label : "", value ? value : "", n_params, params, ""};
    capa_refusal r = {CAPA_EINVALID, "", "", "", "", "", 1, &v, 0};
    return capa_lang_violation(&r, &v, lang, web);
}

char *capa_lang_diag_item(const struct capa_diag *d, size_t i, capa_lang lang, int web)
{
    const capa_diag_item *it = d->items ? &d->items[i] : NULL;
    capa_refusal_param ps[CAPA_DIAG_PARAMS];
    size_t n = 0;
    if (it && it->rule && capa_lang_knows(it->rule)) {
        for (; n < it->n_params; n++)
            ps[n] = (capa_refusal_param){it->pname[n], it->pval[n]};
        return capa_lang_rule(it->rule, "", it->value, ps, n, lang, web);
    }
    ps[0] = (capa_refusal_param){"detail", d->msgs[i]};
    return capa_lang_rule("xml.other", "", "", ps, 1, lang, web);
}

/* A verify record's name in 中文: "header", "stage S", "signature N (M)", "user U". */
static void record_zh(str *o, const char *rec)
{
    unsigned n = 0;
    char m[64];
    if (!rec || !*rec)
        return;
    if (strcmp(rec, "header") == 0) {
        puts_(o, "案件头");
    } else if (strncmp(rec, "stage ", 6) == 0) {
        puts_(o, "阶段 ");
        puts_(o, rec + 6);
    } else if (sscanf(rec, "signature %u (%63[^)])", &n, m) == 2) {
        char b[96];
        snprintf(b, sizeof b, "第 %u 个签名（%s）", n, m);
        puts_(o, b);
    } else if (strncmp(rec, "user ", 5) == 0) {
        puts_(o, "用户 ");
        puts_(o, rec + 5);
    } else {
        puts_(o, rec);
    }
}

char *capa_lang_mismatch(const capa_mismatch *m, capa_lang lang)
{
    str o = {NULL, 0, 0, 1};
    char seq[32];
    snprintf(seq, sizeof seq, "%llu", (unsigned long long)m->seq);
    if (lang != CAPA_LANG_EN) {
        if (m->case_number && *m->case_number) {
            puts_(&o, "案件 ");
            puts_(&o, m->case_number);
            puts_(&o, "：");
        }
        if (!m->stored && !m->expected) {
            puts_(&o, "审计事件 ");
            puts_(&o, seq);
            puts_(&o, " 有误，审计记录无法据此重放：请联系系统管理员");
        } else {
            record_zh(&o, m->record);
            if (m->field && *m->field) {
                /* "field `lot_no`" (a stage's) names the field between the backquotes */
                const char *f = m->field, *b = strchr(f, '`'), *e = b ? strchr(b + 1, '`') : NULL;
                puts_(&o, " 的“");
                if (b && e)
                    put(&o, b + 1, (size_t)(e - b - 1));
                else
                    puts_(&o, f);
                puts_(&o, "”");
            }
            if (!m->stored) {
                puts_(&o, "缺失：按审计事件 ");
                puts_(&o, seq);
                puts_(&o, " 应为“");
                puts_(&o, m->expected);
                puts_(&o, "”");
            } else if (!m->expected) {
                puts_(&o, "在审计记录中没有依据（存储值“");
                puts_(&o, m->stored);
                puts_(&o, "”）");
            } else {
                puts_(&o, "与审计记录不符：存储值“");
                puts_(&o, m->stored);
                puts_(&o, "”，按审计事件 ");
                puts_(&o, seq);
                puts_(&o, " 应为“");
                puts_(&o, m->expected);
                puts_(&o, "”");
            }
        }
    }
    if (lang == CAPA_LANG_BOTH)
        puts_(&o, " / ");
    if (lang != CAPA_LANG_ZH)
        puts_(&o, m->message ? m->message : "");
    return take(&o);
}

const char *capa_lang_code(int code)
{
    switch (code) {
    case CAPA_ENOTFOUND:
        return "未找到所要的内容";
    case CAPA_EEXISTS:
        return "已经存在";
    case CAPA_EINVALID:
        return "输入的内容不符合要求";
    case CAPA_ESTATE:
        return "当前状态下不能这样操作";
    case CAPA_EDENIED:
        return "没有权限执行此操作";
    case CAPA_EFULL:
        return "存储空间已满，操作未完成：请联系系统管理员";
    case CAPA_EAUTH:
        return "登录失败";
    case CAPA_ELOCKED:
        return "账户已被锁定：请联系系统管理员解锁";
    case CAPA_ENOMEM:
        return "内存不足，操作未完成：请稍后再试";
    case CAPA_ECORRUPT:
        return "存储的数据已损坏或被改动，操作未完成：请联系系统管理员校验数据";
    default:
        return "系统出错，操作未完成：请联系系统管理员";
    }
}

/* m without what names a terminal command: "(capa ...)" and "`capa ...`" spans. */
static void no_commands(str *o, const char *m)
{
    while (*m) {
        const char *p = strstr(m, "(capa "), *q = strstr(m, "`capa ");
        const char *at = p && (!q || p < q) ? p : q;
        if (!at) {
            puts_(o, m);
            return;
        }
        const char *end = strchr(at + 1, at == p ? ')' : '`');
        size_t keep = (size_t)(at - m);
        while (keep && m[keep - 1] == ' ')
            keep--;
        put(o, m, keep);
        if (!end)
            return;
        m = end + 1;
    }
}

char *capa_lang_error_last(int code, capa_lang lang, int web)
{
    const capa_refusal *r = capa_refusal_last();
    if (r)
        return capa_lang_refusal(r, lang, web);
    const char *m = capa_error_last();
    if (!m || !*m)
        m = capa_strerror(code);
    if (lang == CAPA_LANG_EN && !web)
        return strdup(m);
    /* An error the engine gave no data for: in 中文 the kind of error and what to do, with the
     * engine's own sentence as the detail; on the web without terminal commands. */
    str o = {NULL, 0, 0, 1};
    if (lang != CAPA_LANG_EN) {
        /* The engine's sentence is English: marked as the technical detail it is, after what
         * the error means (words17d), never inside a 中文 sentence as if it were one. */
        puts_(&o, capa_lang_code(code));
        puts_(&o, lang == CAPA_LANG_BOTH ? " / " : "；技术细节（英文原文）：");
    }
    if (web)
        no_commands(&o, m);
    else
        puts_(&o, m);
    return take(&o);
}

/* ---- the words of codes in listings (one table each for the CLI and capa-serve) ---- */

static int word_of(const char *const (*k)[3], size_t n, const char *code, const char **zh,
                   const char **en)
{
    for (size_t i = 0; code && i < n; i++) {
        if (strcmp(code, k[i][0]) == 0) {
            *zh = k[i][1];
            *en = k[i][2];
            return 1;
        }
    }
    return 0;
}

int capa_lang_limit_kind(const char *code, const char **zh, const char **en)
{
    static const char *const k[][3] = {{"response", "首次响应", "First response"},
                                       {"containment", "围堵措施", "Containment"},
                                       {"plan", "行动计划批准", "Action plan approved"},
                                       {"closure", "结案", "Closure"}};
    return word_of(k, sizeof k / sizeof k[0], code, zh, en);
}

int capa_lang_action(const char *code, const char **zh, const char **en)
{
    static const char *const k[][3] = {{"open", "开立", "opened"},
                                       {"set", "修改", "changed"},
                                       {"sign", "签核", "signed"},
                                       {"reject", "驳回", "rejected"},
                                       {"attach", "附件", "attached"},
                                       {"import", "导入", "imported"},
                                       {"escalate", "升级", "escalated"},
                                       {"waive", "豁免", "waived"},
                                       {"owner", "改派负责人", "owner changed"},
                                       {"init", "建库", "store created"},
                                       {"upgrade", "升级存储", "store upgraded"},
                                       {"user_add", "添加用户", "user added"},
                                       {"passwd", "改密码", "password changed"},
                                       {"unlock", "解锁", "unlocked"},
                                       {"unlock_local", "本机解锁", "unlocked on the host"},
                                       {"login_failed", "登录失败", "sign-in failed"},
                                       {"lock", "锁定", "locked"},
                                       {"login_locked", "锁定中登录", "sign-in while locked"},
                                       {"role", "改角色", "role changed"},
                                       {"user_disable", "停用用户", "user disabled"},
                                       {"user_enable", "启用用户", "user enabled"},
                                       {"user_set", "联系方式", "contact changed"},
                                       {"form_install", "安装表单", "form installed"},
                                       {"calendar_install", "安装日历", "calendar installed"},
                                       {"config", "配置", "configured"},
                                       {"notify_target", "通知对象", "notification target"},
                                       {"import_archive", "导入归档", "archive imported"},
                                       {"deliver", "送达", "delivered"},
                                       {"checkpoint", "检查点", "checkpoint"}};
    return word_of(k, sizeof k / sizeof k[0], code, zh, en);
}

void capa_lang_level(const char *level, char *zh, size_t zh_sz, char *en, size_t en_sz)
{
    if (!level)
        level = "";
    const char *z = level, *e = level, *role = NULL;
    if (strcmp(level, "warn") == 0)
        z = "预警", e = "warning";
    else if (strcmp(level, "overdue") == 0)
        z = "逾期告警", e = "overdue";
    else if (strncmp(level, "overdue_", 8) == 0)
        role = level + 8;
    if (zh)
        role ? snprintf(zh, zh_sz, "逾期 %.40s 升级", role) : snprintf(zh, zh_sz, "%s", z);
    if (en)
        role ? snprintf(en, en_sz, "overdue +%.40s", role) : snprintf(en, en_sz, "%s", e);
}
