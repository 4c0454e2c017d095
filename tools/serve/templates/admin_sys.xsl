<?xml version="1.0" encoding="UTF-8"?>
<!-- admin_sys.xsl - administration pages of admin_sys.c: workflows and form versions (and
     the install of a new version, problems by line), time zone, calendars and certificate,
     and verify with its progress. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="done[@what = 'form' or @what = 'timezone' or @what = 'calendar']">
    <div class="alert alert-success app-done" role="status">
      <xsl:choose>
        <xsl:when test="@what = 'form'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新版本已安装；新案件使用新版本，已有记录保留原版本'"/><xsl:with-param name="en" select="'New version installed: new cases use it; existing records keep theirs'"/></xsl:call-template></xsl:when>
        <xsl:when test="@what = 'timezone'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时区已更改；时限已重新计算'"/><xsl:with-param name="en" select="'Time zone changed; time limits recomputed'"/></xsl:call-template></xsl:when>
        <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'日历已安装；时限已重新计算'"/><xsl:with-param name="en" select="'Calendar installed; time limits recomputed'"/></xsl:call-template></xsl:otherwise>
      </xsl:choose>
    </div>
  </xsl:template>

  <xsl:template match="page[@kind = 'admin-forms']" mode="body">
    <xsl:call-template name="admin-back"/>
    <xsl:apply-templates select="done"/>
    <xsl:if test="diag/line">
      <ul class="alert alert-danger app-diag list-unstyled" id="form-diag">
        <xsl:for-each select="diag/line"><li><code><xsl:value-of select="."/></code></li></xsl:for-each>
      </ul>
    </xsl:if>
    <xsl:for-each select="workflows/workflow">
      <div class="card mb-3 app-workflow"><div class="card-body">
        <h2 class="h5"><xsl:value-of select="@l"/><xsl:text> </xsl:text><small class="text-body-secondary"><xsl:value-of select="concat('(', @id, ', ')"/><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('版本 ', @version)"/><xsl:with-param name="en" select="concat('version ', @version)"/></xsl:call-template>)</small></h2>
        <div class="table-responsive"><table class="table table-sm mb-0">
          <thead><tr>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'阶段'"/><xsl:with-param name="en" select="'Stage'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'表单'"/><xsl:with-param name="en" select="'Form'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'当前版本'"/><xsl:with-param name="en" select="'Current version'"/></xsl:call-template></th>
          </tr></thead>
          <tbody><xsl:for-each select="stage">
            <tr><td><xsl:value-of select="@l"/></td><td><code><xsl:value-of select="@form"/></code></td><td class="app-form-version" data-form="{@form}"><xsl:value-of select="@version"/></td></tr>
          </xsl:for-each></tbody>
        </table></div>
      </div></div>
    </xsl:for-each>
    <form method="post" action="/admin/forms" enctype="multipart/form-data" class="card card-body mb-3 app-form" id="form-install">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'安装新版本'"/><xsl:with-param name="en" select="'Install a new version'"/></xsl:call-template></h2>
      <p><xsl:call-template name="t"><xsl:with-param name="zh" select="'上传表单或流程定义（XML）。先按模式校验，问题逐行列出；通过后才安装。'"/><xsl:with-param name="en" select="'Upload a form or workflow definition (XML). It is checked against its schema first, every problem with its line; only then installed.'"/></xsl:call-template></p>
      <xsl:call-template name="csrf"/>
      <div class="mb-3">
        <label class="form-label" for="form-file"><xsl:call-template name="t"><xsl:with-param name="zh" select="'定义文件（XML）'"/><xsl:with-param name="en" select="'Definition (XML)'"/></xsl:call-template></label>
        <input class="form-control" id="form-file" type="file" name="definition" required="required" accept=".xml,application/xml,text/xml"/>
      </div>
      <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'form-password'"/></xsl:call-template>
      <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'校验并安装'"/><xsl:with-param name="en" select="'Check and install'"/></xsl:call-template></button></p>
    </form>
  </xsl:template>

  <xsl:template match="page[@kind = 'admin-settings']" mode="body">
    <xsl:call-template name="admin-back"/>
    <xsl:apply-templates select="done"/>
    <div class="row g-3 mb-3">
      <div class="col-lg-6"><form method="post" action="/admin/settings/timezone" class="card card-body h-100 app-form" id="form-timezone">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'工厂时区'"/><xsl:with-param name="en" select="'The plant’s time zone'"/></xsl:call-template></h2>
        <p id="zone-now"><xsl:value-of select="zone/@name"/><xsl:text> · </xsl:text><xsl:apply-templates select="now" mode="time"/></p>
        <xsl:call-template name="csrf"/>
        <div class="mb-3">
          <label class="form-label" for="tz-name"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新时区（IANA 名称，如 Asia/Shanghai）'"/><xsl:with-param name="en" select="'New time zone (IANA name, e.g. Asia/Shanghai)'"/></xsl:call-template></label>
          <input class="form-control" id="tz-name" name="timezone" required="required" value="{zone/@name}"/>
        </div>
        <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'tz-password'"/></xsl:call-template>
        <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'更改时区'"/><xsl:with-param name="en" select="'Change the zone'"/></xsl:call-template></button></p>
      </form></div>
      <div class="col-lg-6"><form method="post" action="/admin/settings/calendar" enctype="multipart/form-data" class="card card-body h-100 app-form" id="form-calendar">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'工作日历'"/><xsl:with-param name="en" select="'Working-day calendars'"/></xsl:call-template></h2>
        <ul class="list-inline app-years">
          <xsl:for-each select="calendars/year">
            <li class="list-inline-item" id="cal-{@year}"><xsl:value-of select="@year"/>: <xsl:choose>
              <xsl:when test="@installed"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已安装'"/><xsl:with-param name="en" select="'installed'"/></xsl:call-template></xsl:when>
              <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'无（周一至周五）'"/><xsl:with-param name="en" select="'none (Monday to Friday)'"/></xsl:call-template></xsl:otherwise>
            </xsl:choose></li>
          </xsl:for-each>
        </ul>
        <xsl:call-template name="csrf"/>
        <div class="mb-3">
          <label class="form-label" for="cal-file"><xsl:call-template name="t"><xsl:with-param name="zh" select="'日历文件（XML）'"/><xsl:with-param name="en" select="'Calendar (XML)'"/></xsl:call-template></label>
          <input class="form-control" id="cal-file" type="file" name="calendar" required="required" accept=".xml,application/xml,text/xml"/>
        </div>
        <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'cal-password'"/></xsl:call-template>
        <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'安装日历'"/><xsl:with-param name="en" select="'Install the calendar'"/></xsl:call-template></button></p>
      </form></div>
    </div>
    <div class="card mb-3 app-cert"><div class="card-body">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签名证书'"/><xsl:with-param name="en" select="'Signing certificate'"/></xsl:call-template></h2>
      <xsl:choose>
        <xsl:when test="cert/@error"><p class="text-danger" id="cert-error"><xsl:value-of select="cert/@error"/></p></xsl:when>
        <xsl:otherwise>
          <dl class="row mb-0 app-facts">
            <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'主体'"/><xsl:with-param name="en" select="'Subject'"/></xsl:call-template></dt>
            <dd class="col-sm-9" id="cert-subject"><xsl:value-of select="cert/@subject"/></dd>
            <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'颁发者'"/><xsl:with-param name="en" select="'Issuer'"/></xsl:call-template></dt>
            <dd class="col-sm-9"><xsl:value-of select="cert/@issuer"/>
              <xsl:if test="cert/@self-signed"><xsl:text> </xsl:text><small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'（自签名：capa init 生成的演示证书）'"/><xsl:with-param name="en" select="'(self-signed: a demo identity of capa init)'"/></xsl:call-template></small></xsl:if></dd>
            <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'有效期'"/><xsl:with-param name="en" select="'Valid'"/></xsl:call-template></dt>
            <dd class="col-sm-9" id="cert-valid"><xsl:apply-templates select="cert/from" mode="time"/> – <xsl:apply-templates select="cert/until" mode="time"/>
              <xsl:text> </xsl:text>
              <xsl:choose>
                <xsl:when test="cert/@expired"><span class="badge text-bg-danger"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已过期'"/><xsl:with-param name="en" select="'expired'"/></xsl:call-template></span></xsl:when>
                <xsl:when test="cert/@expiring"><span class="badge text-bg-warning"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat(cert/@days-left, ' 天后过期')"/><xsl:with-param name="en" select="concat('expires in ', cert/@days-left, ' days')"/></xsl:call-template></span></xsl:when>
                <xsl:otherwise><small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('剩余 ', cert/@days-left, ' 天')"/><xsl:with-param name="en" select="concat(cert/@days-left, ' days left')"/></xsl:call-template></small></xsl:otherwise>
              </xsl:choose></dd>
          </dl>
        </xsl:otherwise>
      </xsl:choose>
    </div></div>
  </xsl:template>

  <xsl:template match="page[@kind = 'admin-verify']" mode="body">
    <xsl:variable name="v" select="verify"/>
    <xsl:call-template name="admin-back"/>
    <p><xsl:call-template name="t"><xsl:with-param name="zh" select="'校验从审计记录重放每个事件，并与每条记录比对（与 capa verify 相同）。大型数据库需要一些时间。'"/><xsl:with-param name="en" select="'Verify replays every event of the audit trail and compares every record with it (as capa verify does). On a large store it takes a while.'"/></xsl:call-template></p>
    <xsl:choose>
      <xsl:when test="$v/@running">
        <div class="card card-body mb-3 app-progress" id="verify-progress">
          <label class="form-label" for="verify-bar"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('正在校验：已用 ', $v/@elapsed, ' 秒')"/><xsl:with-param name="en" select="concat('Verifying: ', $v/@elapsed, ' s so far')"/></xsl:call-template>
            <xsl:if test="$v/@estimate"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('（按上次用时估计约 ', $v/@estimate, '%）')"/><xsl:with-param name="en" select="concat(' (about ', $v/@estimate, '%, estimated from the last run)')"/></xsl:call-template></xsl:if></label>
          <progress id="verify-bar" class="w-100" max="100"><xsl:if test="$v/@estimate"><xsl:attribute name="value"><xsl:value-of select="$v/@estimate"/></xsl:attribute></xsl:if></progress>
        </div>
      </xsl:when>
      <xsl:otherwise>
        <form method="post" action="/admin/verify" class="mb-3" id="verify-run">
          <xsl:call-template name="csrf"/>
          <button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'立即校验'"/><xsl:with-param name="en" select="'Run verify now'"/></xsl:call-template></button>
        </form>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:choose>
      <xsl:when test="$v/last">
        <div class="card mb-3" id="verify-last"><div class="card-body">
          <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'上次校验'"/><xsl:with-param name="en" select="'Last verify'"/></xsl:call-template><xsl:text> </xsl:text>
            <xsl:choose>
              <xsl:when test="$v/last/@ok = '1'"><span class="badge text-bg-success" id="verify-state">OK</span></xsl:when>
              <xsl:otherwise><span class="badge text-bg-danger" id="verify-state"><xsl:call-template name="t"><xsl:with-param name="zh" select="'不通过'"/><xsl:with-param name="en" select="'FAILED'"/></xsl:call-template></span></xsl:otherwise>
            </xsl:choose></h2>
          <p class="mb-2"><xsl:apply-templates select="$v/last/finished" mode="time"/> · <xsl:call-template name="t"><xsl:with-param name="zh" select="concat($v/last/@events, ' 个事件，', $v/last/@cases, ' 个案件，', $v/last/@mismatches, ' 处不符，用时 ', $v/last/@seconds, ' 秒')"/><xsl:with-param name="en" select="concat($v/last/@events, ' events, ', $v/last/@cases, ' cases, ', $v/last/@mismatches, ' mismatches, ', $v/last/@seconds, ' s')"/></xsl:call-template></p>
          <xsl:if test="$v/last/@head != ''"><p class="mb-2"><code class="hash"><xsl:value-of select="concat($v/last/@events, ':', $v/last/@head)"/></code></p></xsl:if>
          <xsl:if test="$v/last/m"><ul class="app-mismatches"><xsl:for-each select="$v/last/m"><li><xsl:value-of select="."/></li></xsl:for-each></ul></xsl:if>
        </div></div>
      </xsl:when>
      <xsl:otherwise><p id="verify-none"><xsl:call-template name="t"><xsl:with-param name="zh" select="'本服务启动以来尚未校验。'"/><xsl:with-param name="en" select="'No verify has run since this server started.'"/></xsl:call-template></p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
