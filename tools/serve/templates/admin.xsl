<?xml version="1.0" encoding="UTF-8"?>
<!-- admin.xsl - the administration pages (admin.c, admin role only): the start page, the
     users and one user with the changes an admin can make (each confirmed with the admin's
     own password). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'admin']" mode="body">
    <div class="row g-3 app-admin">
      <div class="col-sm-6 col-lg-4"><a class="card card-body h-100 app-tile text-decoration-none text-reset" href="/admin/users">
        <span class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'用户管理'"/><xsl:with-param name="en" select="'Users'"/></xsl:call-template></span>
        <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新增、角色、停用、解锁、重置密码'"/><xsl:with-param name="en" select="'Add, role, disable, unlock, reset password'"/></xsl:call-template></small>
      </a></div>
      <div class="col-sm-6 col-lg-4"><a class="card card-body h-100 app-tile text-decoration-none text-reset" href="/admin/import">
        <span class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'历史数据导入'"/><xsl:with-param name="en" select="'Legacy import'"/></xsl:call-template></span>
        <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'上传 CSV 或 xlsx 登记表，预览后导入'"/><xsl:with-param name="en" select="'Upload a CSV or xlsx log, preview, then import'"/></xsl:call-template></small>
      </a></div>
      <div class="col-sm-6 col-lg-4"><a class="card card-body h-100 app-tile text-decoration-none text-reset" href="/admin/forms">
        <span class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'流程与表单'"/><xsl:with-param name="en" select="'Workflows and forms'"/></xsl:call-template></span>
        <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'使用中的版本；安装新版本'"/><xsl:with-param name="en" select="'Versions in use; install a new one'"/></xsl:call-template></small>
      </a></div>
      <div class="col-sm-6 col-lg-4"><a class="card card-body h-100 app-tile text-decoration-none text-reset" href="/admin/settings">
        <span class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时区、日历与证书'"/><xsl:with-param name="en" select="'Time zone, calendars, certificate'"/></xsl:call-template></span>
        <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'工厂时区、工作日历、签名证书有效期'"/><xsl:with-param name="en" select="'Plant zone, working days, signing certificate expiry'"/></xsl:call-template></small>
      </a></div>
      <div class="col-sm-6 col-lg-4"><a class="card card-body h-100 app-tile text-decoration-none text-reset" href="/admin/verify">
        <span class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'校验'"/><xsl:with-param name="en" select="'Verify'"/></xsl:call-template></span>
        <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'上次校验结果；立即校验'"/><xsl:with-param name="en" select="'The last verify; run it now'"/></xsl:call-template></small>
      </a></div>
      <div class="col-sm-6 col-lg-4"><a class="card card-body h-100 app-tile text-decoration-none text-reset" href="/notices/outbox">
        <span class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'通知发件箱'"/><xsl:with-param name="en" select="'Notice outbox'"/></xsl:call-template></span>
        <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'待发、已送达、失败的通知；重试'"/><xsl:with-param name="en" select="'Pending, delivered and failed notices; retry'"/></xsl:call-template></small>
      </a></div>
    </div>
  </xsl:template>

  <!-- The admin's own password, confirming one change. -->
  <xsl:template name="admin-pw">
    <xsl:param name="id"/>
    <div class="mb-3">
      <label class="form-label" for="{$id}"><xsl:call-template name="t"><xsl:with-param name="zh" select="'您的密码（确认此项更改）'"/><xsl:with-param name="en" select="'Your password (confirms this change)'"/></xsl:call-template></label>
      <input class="form-control" id="{$id}" type="password" name="password" required="required" autocomplete="current-password"/>
    </div>
  </xsl:template>

  <xsl:template name="role-select">
    <xsl:param name="id"/>
    <xsl:param name="current"/>
    <select class="form-select" id="{$id}" name="role" required="required">
      <xsl:for-each select="/page/roles/role">
        <option value="{@id}">
          <xsl:if test="@id = $current"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
          <xsl:value-of select="concat(@l, ' (', @id, ')')"/>
        </option>
      </xsl:for-each>
    </select>
  </xsl:template>

  <xsl:template match="u" mode="state">
    <span>
      <xsl:attribute name="class">badge app-state-<xsl:value-of select="@state"/><xsl:choose>
        <xsl:when test="@state = 'disabled'"> text-bg-secondary</xsl:when>
        <xsl:when test="@state = 'locked'"> text-bg-danger</xsl:when>
        <xsl:otherwise> text-bg-success</xsl:otherwise>
      </xsl:choose></xsl:attribute>
      <xsl:choose>
        <xsl:when test="@state = 'disabled'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已停用'"/><xsl:with-param name="en" select="'disabled'"/></xsl:call-template></xsl:when>
        <xsl:when test="@state = 'locked'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已锁定'"/><xsl:with-param name="en" select="'locked'"/></xsl:call-template></xsl:when>
        <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'正常'"/><xsl:with-param name="en" select="'active'"/></xsl:call-template></xsl:otherwise>
      </xsl:choose>
    </span>
    <xsl:if test="@failed != '0' and @state = 'active'">
      <xsl:text> </xsl:text><small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('密码错误 ', @failed, ' 次')"/><xsl:with-param name="en" select="concat(@failed, ' wrong passwords')"/></xsl:call-template></small>
    </xsl:if>
  </xsl:template>

  <xsl:template match="done">
    <div class="alert alert-success app-done" role="status">
      <xsl:choose>
        <xsl:when test="@what = 'add'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已新增用户'"/><xsl:with-param name="en" select="'User added'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'role'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'角色已更改；该用户的登录会话已结束'"/><xsl:with-param name="en" select="'Role changed; the user’s sessions have ended'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'disable'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号已停用；该用户的登录会话已结束'"/><xsl:with-param name="en" select="'Account disabled; the user’s sessions have ended'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'enable'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号已启用'"/><xsl:with-param name="en" select="'Account enabled'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'unlock'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号已解锁'"/><xsl:with-param name="en" select="'Account unlocked'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'contact'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'联系方式与通知选择已保存'"/><xsl:with-param name="en" select="'Contact and notice choices saved'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'passwd'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'密码已重置；该用户的登录会话已结束'"/><xsl:with-param name="en" select="'Password reset; the user’s sessions have ended'"/></xsl:call-template></xsl:when>
      </xsl:choose>
    </div>
  </xsl:template>

  <xsl:template name="admin-back">
    <nav aria-label="breadcrumb"><ol class="breadcrumb">
      <li class="breadcrumb-item"><a href="/admin"><xsl:call-template name="t"><xsl:with-param name="zh" select="'系统管理'"/><xsl:with-param name="en" select="'Administration'"/></xsl:call-template></a></li>
      <xsl:if test="/page/@kind = 'admin-import-job'">
        <li class="breadcrumb-item"><a href="/admin/import"><xsl:call-template name="t"><xsl:with-param name="zh" select="'历史数据导入'"/><xsl:with-param name="en" select="'Legacy import'"/></xsl:call-template></a></li>
      </xsl:if>
      <xsl:if test="/page/@kind = 'admin-user'">
        <li class="breadcrumb-item"><a href="/admin/users"><xsl:call-template name="t"><xsl:with-param name="zh" select="'用户管理'"/><xsl:with-param name="en" select="'Users'"/></xsl:call-template></a></li>
      </xsl:if>
    </ol></nav>
  </xsl:template>

  <xsl:template match="page[@kind = 'admin-users']" mode="body">
    <xsl:call-template name="admin-back"/>
    <xsl:apply-templates select="done"/>
    <div class="table-responsive mb-4">
      <table class="table table-sm align-middle app-users">
        <thead><tr>
          <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号'"/><xsl:with-param name="en" select="'User ID'"/></xsl:call-template></th>
          <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'姓名'"/><xsl:with-param name="en" select="'Name'"/></xsl:call-template></th>
          <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'部门'"/><xsl:with-param name="en" select="'Department'"/></xsl:call-template></th>
          <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'角色'"/><xsl:with-param name="en" select="'Role'"/></xsl:call-template></th>
          <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'状态'"/><xsl:with-param name="en" select="'State'"/></xsl:call-template></th>
        </tr></thead>
        <tbody>
          <xsl:for-each select="users/u">
            <tr id="user-{@id}" class="app-user-row">
              <td><a href="/admin/users/{str:encode-uri(@id, true())}"><xsl:value-of select="@id"/></a></td>
              <td><xsl:value-of select="@name"/></td>
              <td><xsl:value-of select="@dept"/></td>
              <td><xsl:value-of select="@role-l"/></td>
              <td><xsl:apply-templates select="." mode="state"/></td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </div>
    <form method="post" action="/admin/users" class="card card-body mb-3 app-form" id="user-add">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新增用户'"/><xsl:with-param name="en" select="'Add a user'"/></xsl:call-template></h2>
      <xsl:call-template name="csrf"/>
      <div class="row g-3 mb-3">
        <div class="col-md-6">
          <label class="form-label" for="add-id"><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号（小写字母开头）'"/><xsl:with-param name="en" select="'User ID (starts with a lower-case letter)'"/></xsl:call-template></label>
          <input class="form-control" id="add-id" name="id" required="required" maxlength="32" pattern="[a-z][a-z0-9_.\-]*" autocomplete="off" value="{typed/@id}"/>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="add-name"><xsl:call-template name="t"><xsl:with-param name="zh" select="'姓名（签名时显示）'"/><xsl:with-param name="en" select="'Printed name (shown on signatures)'"/></xsl:call-template></label>
          <input class="form-control" id="add-name" name="name" required="required" value="{typed/@name}"/>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="add-dept"><xsl:call-template name="t"><xsl:with-param name="zh" select="'部门'"/><xsl:with-param name="en" select="'Department'"/></xsl:call-template></label>
          <input class="form-control" id="add-dept" name="dept" value="{typed/@dept}"/>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="add-role"><xsl:call-template name="t"><xsl:with-param name="zh" select="'角色'"/><xsl:with-param name="en" select="'Role'"/></xsl:call-template></label>
          <xsl:call-template name="role-select"><xsl:with-param name="id" select="'add-role'"/><xsl:with-param name="current" select="typed/@role"/></xsl:call-template>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="add-pw1"><xsl:call-template name="t"><xsl:with-param name="zh" select="'初始密码（至少 8 个字符）'"/><xsl:with-param name="en" select="'First password (8 characters or more)'"/></xsl:call-template></label>
          <input class="form-control" id="add-pw1" type="password" name="new_password" required="required" minlength="8" autocomplete="new-password"/>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="add-pw2"><xsl:call-template name="t"><xsl:with-param name="zh" select="'再次输入初始密码'"/><xsl:with-param name="en" select="'First password again'"/></xsl:call-template></label>
          <input class="form-control" id="add-pw2" type="password" name="new_password2" required="required" minlength="8" autocomplete="new-password"/>
        </div>
      </div>
      <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'add-password'"/></xsl:call-template>
      <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新增'"/><xsl:with-param name="en" select="'Add user'"/></xsl:call-template></button></p>
    </form>
  </xsl:template>

  <xsl:template match="page[@kind = 'admin-user']" mode="body">
    <xsl:variable name="u" select="users/u"/>
    <xsl:variable name="base" select="concat('/admin/users/', str:encode-uri($u/@id, true()))"/>
    <xsl:call-template name="admin-back"/>
    <xsl:apply-templates select="done"/>
    <div class="card mb-3"><div class="card-body">
      <dl class="row mb-0 app-facts">
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号'"/><xsl:with-param name="en" select="'User ID'"/></xsl:call-template></dt>
        <dd class="col-sm-9" id="user-id"><xsl:value-of select="$u/@id"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'姓名'"/><xsl:with-param name="en" select="'Name'"/></xsl:call-template></dt>
        <dd class="col-sm-9"><xsl:value-of select="$u/@name"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'部门'"/><xsl:with-param name="en" select="'Department'"/></xsl:call-template></dt>
        <dd class="col-sm-9"><xsl:value-of select="$u/@dept"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'角色'"/><xsl:with-param name="en" select="'Role'"/></xsl:call-template></dt>
        <dd class="col-sm-9" id="user-role"><xsl:value-of select="$u/@role-l"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'状态'"/><xsl:with-param name="en" select="'State'"/></xsl:call-template></dt>
        <dd class="col-sm-9" id="user-state"><xsl:apply-templates select="$u" mode="state"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'创建时间'"/><xsl:with-param name="en" select="'Created'"/></xsl:call-template></dt>
        <dd class="col-sm-9"><xsl:apply-templates select="$u/created" mode="time"/></dd>
      </dl>
    </div></div>
    <xsl:choose>
      <xsl:when test="$u/@self">
        <p class="app-self"><xsl:call-template name="t"><xsl:with-param name="zh" select="'这是您自己的账号：角色和停用须由另一位管理员更改。'"/><xsl:with-param name="en" select="'This is your own account: another admin changes its role or disables it.'"/></xsl:call-template></p>
      </xsl:when>
      <xsl:otherwise>
        <div class="row g-3">
          <xsl:if test="$u/@state = 'locked'">
            <div class="col-lg-6"><form method="post" action="{$base}/unlock" class="card card-body h-100 app-form" id="form-unlock">
              <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'解锁'"/><xsl:with-param name="en" select="'Unlock'"/></xsl:call-template></h2>
              <p><xsl:call-template name="t"><xsl:with-param name="zh" select="'账号因多次密码错误被锁定。解锁后错误次数清零。'"/><xsl:with-param name="en" select="'The account was locked after wrong passwords. Unlocking resets the count.'"/></xsl:call-template></p>
              <xsl:call-template name="csrf"/>
              <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'unlock-password'"/></xsl:call-template>
              <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'解锁'"/><xsl:with-param name="en" select="'Unlock'"/></xsl:call-template></button></p>
            </form></div>
          </xsl:if>
          <div class="col-lg-6"><form method="post" action="{$base}/role" class="card card-body h-100 app-form" id="form-role">
            <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'更改角色'"/><xsl:with-param name="en" select="'Change the role'"/></xsl:call-template></h2>
            <xsl:call-template name="csrf"/>
            <div class="mb-3">
              <label class="form-label" for="role-role"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新角色（该用户须重新登录）'"/><xsl:with-param name="en" select="'New role (the user signs in again)'"/></xsl:call-template></label>
              <xsl:call-template name="role-select"><xsl:with-param name="id" select="'role-role'"/><xsl:with-param name="current" select="$u/@role"/></xsl:call-template>
            </div>
            <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'role-password'"/></xsl:call-template>
            <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'更改角色'"/><xsl:with-param name="en" select="'Change role'"/></xsl:call-template></button></p>
          </form></div>
          <div class="col-lg-6"><form method="post" action="{$base}/passwd" class="card card-body h-100 app-form" id="form-passwd">
            <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'重置密码'"/><xsl:with-param name="en" select="'Reset the password'"/></xsl:call-template></h2>
            <xsl:call-template name="csrf"/>
            <div class="mb-3">
              <label class="form-label" for="passwd-pw1"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新密码（至少 8 个字符）'"/><xsl:with-param name="en" select="'New password (8 characters or more)'"/></xsl:call-template></label>
              <input class="form-control" id="passwd-pw1" type="password" name="new_password" required="required" minlength="8" autocomplete="new-password"/>
            </div>
            <div class="mb-3">
              <label class="form-label" for="passwd-pw2"><xsl:call-template name="t"><xsl:with-param name="zh" select="'再次输入新密码'"/><xsl:with-param name="en" select="'New password again'"/></xsl:call-template></label>
              <input class="form-control" id="passwd-pw2" type="password" name="new_password2" required="required" minlength="8" autocomplete="new-password"/>
            </div>
            <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'passwd-password'"/></xsl:call-template>
            <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'重置密码'"/><xsl:with-param name="en" select="'Reset password'"/></xsl:call-template></button></p>
          </form></div>
          <div class="col-lg-6"><form method="post" class="card card-body h-100 app-form" id="form-disable">
            <xsl:attribute name="action"><xsl:value-of select="$base"/><xsl:choose><xsl:when test="$u/@state = 'disabled'">/enable</xsl:when><xsl:otherwise>/disable</xsl:otherwise></xsl:choose></xsl:attribute>
            <h2 class="h5"><xsl:choose>
              <xsl:when test="$u/@state = 'disabled'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'启用账号'"/><xsl:with-param name="en" select="'Enable the account'"/></xsl:call-template></xsl:when>
              <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'停用账号'"/><xsl:with-param name="en" select="'Disable the account'"/></xsl:call-template></xsl:otherwise>
            </xsl:choose></h2>
            <xsl:if test="$u/@state != 'disabled'">
              <p><xsl:call-template name="t"><xsl:with-param name="zh" select="'停用后不能登录，其会话立即结束；记录保留。'"/><xsl:with-param name="en" select="'A disabled account cannot sign in and its sessions end; its records stay.'"/></xsl:call-template></p>
            </xsl:if>
            <xsl:call-template name="csrf"/>
            <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'disable-password'"/></xsl:call-template>
            <p class="mb-0"><button type="submit">
              <xsl:attribute name="class"><xsl:choose><xsl:when test="$u/@state = 'disabled'">btn btn-primary</xsl:when><xsl:otherwise>btn btn-danger</xsl:otherwise></xsl:choose></xsl:attribute>
              <xsl:choose>
                <xsl:when test="$u/@state = 'disabled'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'启用'"/><xsl:with-param name="en" select="'Enable'"/></xsl:call-template></xsl:when>
                <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'停用'"/><xsl:with-param name="en" select="'Disable'"/></xsl:call-template></xsl:otherwise>
              </xsl:choose>
            </button></p>
          </form></div>
        </div>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:if test="contact">
      <div class="mt-3">
        <xsl:call-template name="contact-form">
          <xsl:with-param name="action" select="concat($base, '/contact')"/>
          <xsl:with-param name="pw" select="'admin'"/>
        </xsl:call-template>
      </div>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
