<?xml version="1.0" encoding="UTF-8"?>
<!-- escalations.xsl - the limits of open cases that are overdue or due soon, with the
     escalations sent for each, and every escalation sent: of the cases the user's role works
     on or that were escalated to it (?all=1: every open case). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'escalations']" mode="body">
    <xsl:variable name="e" select="escalations"/>
    <p class="app-esc-scope">
      <xsl:choose>
        <xsl:when test="$e/@all">
          <xsl:call-template name="t"><xsl:with-param name="zh" select="'全部未结案件'"/><xsl:with-param name="en" select="'Every open case'"/></xsl:call-template>
          <xsl:text> · </xsl:text><a class="btn btn-outline-secondary" href="/escalations"><xsl:call-template name="t"><xsl:with-param name="zh" select="'只看我的角色'"/><xsl:with-param name="en" select="'My role only'"/></xsl:call-template></a>
        </xsl:when>
        <xsl:otherwise>
          <xsl:call-template name="t"><xsl:with-param name="zh" select="'我的角色处理或被升级到我的角色的案件'"/><xsl:with-param name="en" select="'Cases my role works on or that were escalated to it'"/></xsl:call-template>
          <xsl:text> · </xsl:text><a class="btn btn-outline-secondary" href="/escalations?all=1"><xsl:call-template name="t"><xsl:with-param name="zh" select="'全部未结案件'"/><xsl:with-param name="en" select="'Every open case'"/></xsl:call-template></a>
        </xsl:otherwise>
      </xsl:choose>
    </p>
    <xsl:call-template name="esc-limits">
      <xsl:with-param name="rows" select="$e/limit[@state = 'overdue']"/>
      <xsl:with-param name="id" select="'overdue'"/>
      <xsl:with-param name="zh" select="'已逾期'"/><xsl:with-param name="en" select="'Overdue'"/>
    </xsl:call-template>
    <xsl:call-template name="esc-limits">
      <xsl:with-param name="rows" select="$e/limit[@state = 'due_soon']"/>
      <xsl:with-param name="id" select="'due-soon'"/>
      <xsl:with-param name="zh" select="'即将到期'"/><xsl:with-param name="en" select="'Due soon'"/>
    </xsl:call-template>
    <section class="card mb-3" id="sent">
      <div class="card-header"><h2 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已发升级'"/><xsl:with-param name="en" select="'Escalations sent'"/></xsl:call-template>
        <xsl:value-of select="concat(' (', count($e/sent), ')')"/></h2></div>
      <xsl:choose>
        <xsl:when test="$e/sent">
          <div tabindex="0" class="scroll"><table class="table table-sm mb-0 app-sent">
            <thead><tr>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'案号'"/><xsl:with-param name="en" select="'Case'"/></xsl:call-template></th>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limit'"/></xsl:call-template></th>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'升级'"/><xsl:with-param name="en" select="'Escalation'"/></xsl:call-template></th>
            </tr></thead>
            <tbody>
              <xsl:for-each select="$e/sent">
                <tr><td><xsl:apply-templates select="." mode="case-link"/></td><td><xsl:apply-templates select="." mode="l"/></td><td><xsl:apply-templates select="esc"/></td></tr>
              </xsl:for-each>
            </tbody>
          </table></div>
        </xsl:when>
        <xsl:otherwise><div class="card-body text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'无'"/><xsl:with-param name="en" select="'None'"/></xsl:call-template></div></xsl:otherwise>
      </xsl:choose>
    </section>
  </xsl:template>

  <xsl:template name="esc-limits">
    <xsl:param name="rows"/>
    <xsl:param name="id"/>
    <xsl:param name="zh"/>
    <xsl:param name="en"/>
    <section class="card mb-3" id="{$id}">
      <div class="card-header"><h2 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="$zh"/><xsl:with-param name="en" select="$en"/></xsl:call-template>
        <xsl:value-of select="concat(' (', count($rows), ')')"/></h2></div>
      <xsl:choose>
        <xsl:when test="$rows">
          <div tabindex="0" class="scroll"><table class="table table-sm mb-0 app-esc-limits">
            <thead><tr>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'案号'"/><xsl:with-param name="en" select="'Case'"/></xsl:call-template></th>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'阶段'"/><xsl:with-param name="en" select="'Stage'"/></xsl:call-template></th>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limit'"/></xsl:call-template></th>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'到期'"/><xsl:with-param name="en" select="'Due'"/></xsl:call-template></th>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已发升级'"/><xsl:with-param name="en" select="'Escalations sent'"/></xsl:call-template></th>
            </tr></thead>
            <tbody>
              <xsl:for-each select="$rows">
                <tr><td><xsl:apply-templates select="." mode="case-link"/><xsl:if test="@customer != ''"><small class="d-block text-body-secondary"><xsl:value-of select="@customer"/></small></xsl:if></td>
                  <td><xsl:apply-templates select="current" mode="l"/></td>
                  <td><xsl:apply-templates select="." mode="l"/></td>
                  <td><xsl:apply-templates select="." mode="when"/></td>
                  <td class="app-escs"><xsl:apply-templates select="esc"/></td></tr>
              </xsl:for-each>
            </tbody>
          </table></div>
        </xsl:when>
        <xsl:otherwise><div class="card-body text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'无'"/><xsl:with-param name="en" select="'None'"/></xsl:call-template></div></xsl:otherwise>
      </xsl:choose>
    </section>
  </xsl:template>
</xsl:stylesheet>
