<?xml version="1.0" encoding="UTF-8"?>
<!-- layout.xsl - one layout for every page (Bootstrap 5 from Debian's libjs-bootstrap5 and
     style.css, both served by capa itself): the product and the organisation, the menu of
     what the user's role may do, the language switch, the signed-in user; and the shared
     pieces (labels in the reader's language, times, people, errors). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:variable name="lang" select="string(/page/@lang)"/>

  <!-- A label in the reader's language: zh, en, or "zh / en" (both, when they differ). The
       labels are passed as strings (select="'...'"), never as result tree fragments, which
       would cost a document each. -->
  <xsl:template name="t">
    <xsl:param name="zh"/>
    <xsl:param name="en"/>
    <xsl:choose>
      <xsl:when test="$lang = 'zh' and string($zh) != ''"><xsl:value-of select="$zh"/></xsl:when>
      <xsl:when test="$lang = 'en' and string($en) != ''"><xsl:value-of select="$en"/></xsl:when>
      <xsl:when test="string($zh) != '' and string($en) != '' and string($zh) != string($en)">
        <xsl:value-of select="concat($zh, ' / ', $en)"/>
      </xsl:when>
      <xsl:when test="string($zh) != ''"><xsl:value-of select="$zh"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$en"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The label of a node (pages.c puts it in the reader's language: sv_label). -->
  <xsl:template match="*" mode="l"><xsl:value-of select="@l"/></xsl:template>

  <!-- A person: printed name, and the role in smaller type. -->
  <xsl:template match="*" mode="person">
    <span class="person"><xsl:value-of select="@name"/>
      <xsl:if test="@role-l">
        <xsl:text> </xsl:text><small class="text-body-secondary"><xsl:value-of select="@role-l"/></small>
      </xsl:if>
    </span>
  </xsl:template>

  <!-- A plant time (text readable, iso with the offset). -->
  <xsl:template match="*" mode="time">
    <time datetime="{@iso}" title="{@iso}"><xsl:value-of select="@text"/></time>
  </xsl:template>

  <!-- A link to a case. -->
  <xsl:template match="*" mode="case-link">
    <a href="/cases/{str:encode-uri(@number, true())}"><xsl:value-of select="@number"/></a>
  </xsl:template>

  <xsl:template name="csrf">
    <input type="hidden" name="csrf" value="{/page/user/@csrf}"/>
  </xsl:template>

  <xsl:template name="title"><xsl:value-of select="/page/@title"/></xsl:template>

  <xsl:template match="/page">
    <html>
      <xsl:attribute name="lang">
        <xsl:choose>
          <xsl:when test="@lang = 'en'">en</xsl:when>
          <xsl:otherwise>zh-CN</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <head>
        <!-- libxslt writes <meta http-equiv="Content-Type" ... charset=UTF-8> itself -->
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <!-- A page that follows work in progress (an import, a verify) reloads itself. -->
        <xsl:if test="/page/@refresh"><meta http-equiv="refresh" content="{/page/@refresh}"/></xsl:if>
        <link rel="stylesheet" href="/static/bootstrap.min.css"/>
        <link rel="stylesheet" href="/static/style.css"/>
        <script src="/static/app.js" defer="defer"></script>
        <title><xsl:call-template name="title"/> - capa · <xsl:value-of select="org/@name"/></title>
      </head>
      <body class="kind-{@kind}">
        <xsl:choose>
          <xsl:when test="@kind = 'login'">
            <xsl:apply-templates select="." mode="body"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="header"/>
            <main class="container-xl py-3">
              <h1 class="h3 mb-3"><xsl:call-template name="title"/></h1>
              <xsl:apply-templates select="notice"/>
              <xsl:apply-templates select="error"/>
              <xsl:apply-templates select="." mode="body"/>
            </main>
            <xsl:call-template name="footer"/>
          </xsl:otherwise>
        </xsl:choose>
      </body>
    </html>
  </xsl:template>

  <xsl:template name="header">
    <header class="navbar navbar-dark bg-dark app-bar">
      <nav class="container-xl app-nav" aria-label="capa">
        <a class="navbar-brand app-brand" href="/">
          <span class="app-product">capa</span>
          <span class="app-org"><xsl:value-of select="/page/org/@name"/></span>
        </a>
        <xsl:if test="/page/user">
          <ul class="navbar-nav app-menu">
            <li class="nav-item"><a class="nav-link" href="/">
              <xsl:if test="/page/@kind = 'dashboard'"><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
              <xsl:call-template name="t"><xsl:with-param name="zh" select="'工作台'"/><xsl:with-param name="en" select="'Dashboard'"/></xsl:call-template></a></li>
            <li class="nav-item"><a class="nav-link" href="/cases">
              <xsl:if test="/page/@kind = 'list'"><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
              <xsl:call-template name="t"><xsl:with-param name="zh" select="'案件'"/><xsl:with-param name="en" select="'Cases'"/></xsl:call-template></a></li>
            <li class="nav-item"><a class="nav-link" href="/escalations">
              <xsl:if test="/page/@kind = 'escalations'"><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
              <xsl:call-template name="t"><xsl:with-param name="zh" select="'逾期升级'"/><xsl:with-param name="en" select="'Escalations'"/></xsl:call-template></a></li>
            <li class="nav-item"><a class="nav-link" href="/reports">
              <xsl:if test="/page/@kind = 'report'"><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
              <xsl:call-template name="t"><xsl:with-param name="zh" select="'报表'"/><xsl:with-param name="en" select="'Reports'"/></xsl:call-template></a></li>
            <li class="nav-item"><a class="nav-link" href="/notices">
              <xsl:if test="/page/@kind = 'notices' or /page/@kind = 'outbox'"><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
              <xsl:call-template name="t"><xsl:with-param name="zh" select="'通知'"/><xsl:with-param name="en" select="'Notices'"/></xsl:call-template></a></li>
            <xsl:if test="/page/user/@may-open">
              <li class="nav-item"><a class="nav-link" href="/cases/new">
                <xsl:call-template name="t"><xsl:with-param name="zh" select="'新投诉'"/><xsl:with-param name="en" select="'New complaint'"/></xsl:call-template></a></li>
            </xsl:if>
            <xsl:for-each select="/page/user/opens">
              <li class="nav-item"><a class="nav-link" href="/cases/new?workflow={str:encode-uri(@id, true())}"><xsl:value-of select="@l"/></a></li>
            </xsl:for-each>
            <xsl:if test="/page/user/@admin">
              <li class="nav-item"><a class="nav-link" href="/admin">
                <xsl:if test="starts-with(/page/@kind, 'admin')"><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
                <xsl:call-template name="t"><xsl:with-param name="zh" select="'系统管理'"/><xsl:with-param name="en" select="'Administration'"/></xsl:call-template></a></li>
            </xsl:if>
          </ul>
        </xsl:if>
        <div class="app-tools">
          <xsl:call-template name="langs"/>
          <xsl:if test="/page/user">
            <form method="post" action="/logout" class="app-user">
              <xsl:call-template name="csrf"/>
              <span class="app-who"><xsl:apply-templates select="/page/user" mode="person"/></span>
              <button type="submit" class="btn btn-outline-light btn-sm">
                <xsl:call-template name="t"><xsl:with-param name="zh" select="'退出'"/><xsl:with-param name="en" select="'Sign out'"/></xsl:call-template>
              </button>
            </form>
          </xsl:if>
        </div>
      </nav>
    </header>
  </xsl:template>

  <xsl:template name="langs">
    <span class="app-langs">
      <a href="?lang=zh" lang="zh-CN">中文</a>
      <a href="?lang=en" lang="en">English</a>
      <a href="?lang=both">中/En</a>
    </span>
  </xsl:template>

  <xsl:template name="footer">
    <footer class="container-xl app-footer">
      <span>capa · <xsl:value-of select="/page/org/@name"/></span>
      <xsl:if test="/page/org/@zone">
        <span>
          <xsl:call-template name="t"><xsl:with-param name="zh" select="'时间为工厂时区'"/><xsl:with-param name="en" select='"Times in the plant&apos;s zone"'/></xsl:call-template>
          <xsl:text> </xsl:text><xsl:value-of select="/page/org/@zone"/>
        </span>
      </xsl:if>
    </footer>
  </xsl:template>

  <xsl:template match="error">
    <div class="alert alert-danger err" role="alert"><xsl:value-of select="."/>
      <xsl:if test="@changed"> / 此阶段已被他人修改：您填写的内容仍在下方，请核对案件页后再保存</xsl:if>
    </div>
  </xsl:template>

  <!-- What happened that the reader should know (e.g. values put back after a sign-in). -->
  <xsl:template match="notice">
    <div class="alert alert-info app-notice" role="status"><xsl:value-of select="@l"/></div>
  </xsl:template>

  <!-- The error page. -->
  <xsl:template match="page[@kind = 'error']" mode="body">
    <p><a class="btn btn-outline-primary" href="/cases">
      <xsl:call-template name="t"><xsl:with-param name="zh" select="'返回案件列表'"/><xsl:with-param name="en" select="'Back to the cases'"/></xsl:call-template>
    </a></p>
  </xsl:template>

  <!-- A limit's state as a badge. -->
  <xsl:template name="state">
    <xsl:param name="state"/>
    <span class="state {$state}">
      <xsl:choose>
        <xsl:when test="$state = 'on_time'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'进行中'"/><xsl:with-param name="en" select="'on time'"/></xsl:call-template></xsl:when>
        <xsl:when test="$state = 'due_soon'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'即将到期'"/><xsl:with-param name="en" select="'due soon'"/></xsl:call-template></xsl:when>
        <xsl:when test="$state = 'overdue'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已逾期'"/><xsl:with-param name="en" select="'overdue'"/></xsl:call-template></xsl:when>
        <xsl:when test="$state = 'met'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'按时完成'"/><xsl:with-param name="en" select="'met'"/></xsl:call-template></xsl:when>
        <xsl:when test="$state = 'met_late'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'逾期完成'"/><xsl:with-param name="en" select="'met late'"/></xsl:call-template></xsl:when>
      </xsl:choose>
    </span>
  </xsl:template>

  <!-- An escalation sent (capa escalate): level, to whom, when. -->
  <xsl:template match="esc">
    <div class="app-esc"><span class="badge text-bg-warning app-badge"><xsl:value-of select="@l"/></span>
      <xsl:text> → </xsl:text>
      <xsl:for-each select="to"><xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if><xsl:value-of select="@l"/></xsl:for-each>
      <xsl:if test="@users"><xsl:value-of select="concat(' (', @users, ')')"/></xsl:if>
      <xsl:text> · </xsl:text><xsl:apply-templates select="at" mode="time"/></div>
  </xsl:template>

  <!-- A limit's due time, and how far over or how long left. -->
  <xsl:template match="limit" mode="when">
    <xsl:apply-templates select="due" mode="time"/>
    <xsl:if test="@over">
      <xsl:text> </xsl:text>
      <xsl:call-template name="t"><xsl:with-param name="zh" select="'逾期'"/><xsl:with-param name="en" select="'overdue by'"/></xsl:call-template>
      <xsl:value-of select="concat(' ', @over)"/>
    </xsl:if>
    <xsl:if test="@left">
      <xsl:text> </xsl:text>
      <xsl:call-template name="t"><xsl:with-param name="zh" select="'剩余'"/><xsl:with-param name="en" select="'due in'"/></xsl:call-template>
      <xsl:value-of select="concat(' ', @left)"/>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
