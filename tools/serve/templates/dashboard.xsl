<?xml version="1.0" encoding="UTF-8"?>
<!-- dashboard.xsl - what waits for me, open cases by stage, due soon / overdue, recent
     activity. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'dashboard']" mode="body">
    <div class="app-dash">
      <section class="panel" id="mine">
        <h2 class="h5">
          <xsl:call-template name="t"><xsl:with-param name="zh" select="'等待我处理'"/><xsl:with-param name="en" select="'Waiting for me'"/></xsl:call-template>
          <xsl:text> </xsl:text><span class="count"><xsl:value-of select="count(mine/case)"/></span>
        </h2>
        <xsl:choose>
          <xsl:when test="not(mine/case)">
            <p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'没有等待您的案件'"/><xsl:with-param name="en" select="'Nothing waits for you'"/></xsl:call-template></p>
          </xsl:when>
          <xsl:otherwise>
            <div tabindex="0" class="scroll"><table class="table table-hover align-middle mb-0">
              <thead><tr><th><xsl:call-template name="h-case"/></th><th><xsl:call-template name="h-stage"/></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'客户'"/><xsl:with-param name="en" select="'Customer'"/></xsl:call-template></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limits'"/></xsl:call-template></th>
                <th></th></tr></thead>
              <tbody>
                <xsl:for-each select="mine/case">
                  <tr><td><xsl:apply-templates select="." mode="case-link"/></td>
                    <td><xsl:apply-templates select="stage" mode="l"/>
                      <xsl:if test="sent-back">
                        <div class="app-back"><span class="badge text-bg-danger"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已被驳回'"/><xsl:with-param name="en" select="'Sent back'"/></xsl:call-template></span>
                          <xsl:text> </xsl:text><xsl:value-of select="sent-back/@name"/>
                          <xsl:text>: </xsl:text><span class="val"><xsl:value-of select="sent-back/reason"/></span></div>
                      </xsl:if></td>
                    <td><xsl:value-of select="@customer"/></td>
                    <td><xsl:if test="@worst"><xsl:call-template name="state"><xsl:with-param name="state" select="@worst"/></xsl:call-template></xsl:if></td>
                    <td class="text-end">
                      <xsl:choose>
                        <xsl:when test="@action = 'reject'">
                          <a class="button btn btn-outline-danger" href="/cases/{str:encode-uri(@number, true())}/sign"><xsl:call-template name="t"><xsl:with-param name="zh" select="'审查'"/><xsl:with-param name="en" select="'Review'"/></xsl:call-template></a>
                        </xsl:when>
                        <xsl:when test="@action = 'sign'">
                          <a class="button btn btn-primary" href="/cases/{str:encode-uri(@number, true())}/sign"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签核'"/><xsl:with-param name="en" select="'Sign off'"/></xsl:call-template></a>
                        </xsl:when>
                        <xsl:otherwise>
                          <a class="button btn btn-outline-primary" href="/cases/{str:encode-uri(@number, true())}/edit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'填写'"/><xsl:with-param name="en" select="'Fill in'"/></xsl:call-template></a>
                        </xsl:otherwise>
                      </xsl:choose>
                    </td></tr>
                </xsl:for-each>
              </tbody>
            </table></div>
          </xsl:otherwise>
        </xsl:choose>
      </section>

      <section class="panel" id="stages">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'各阶段未结案件'"/><xsl:with-param name="en" select="'Open cases by stage'"/></xsl:call-template></h2>
        <div class="tiles">
          <xsl:for-each select="stages/stage">
            <a class="tile" href="/cases?status=open&amp;stage={str:encode-uri(@id, true())}" data-stage="{@id}"><span class="n"><xsl:value-of select="@open"/></span><span><xsl:apply-templates select="." mode="l"/></span></a>
          </xsl:for-each>
        </div>
      </section>

      <section class="panel" id="due">
        <h2 class="h5">
          <xsl:call-template name="t"><xsl:with-param name="zh" select="'即将到期 / 已逾期'"/><xsl:with-param name="en" select="'Due soon / overdue'"/></xsl:call-template>
          <xsl:text> </xsl:text><span class="count"><xsl:value-of select="due/@count"/></span>
        </h2>
        <xsl:if test="due/@capped">
          <p class="err"><xsl:call-template name="t"><xsl:with-param name="zh" select="'仅计算了前 2000 个未结案件的时限'"/><xsl:with-param name="en" select="'limits of the first 2000 open cases only'"/></xsl:call-template></p>
        </xsl:if>
        <xsl:choose>
          <xsl:when test="not(due/case)">
            <p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'没有即将到期或逾期的时限'"/><xsl:with-param name="en" select="'No limit is due soon or overdue'"/></xsl:call-template></p>
          </xsl:when>
          <xsl:otherwise>
            <div tabindex="0" class="scroll"><table class="table align-middle mb-0">
              <thead><tr><th><xsl:call-template name="h-case"/></th><th><xsl:call-template name="h-stage"/></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limit'"/></xsl:call-template></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'到期'"/><xsl:with-param name="en" select="'Due'"/></xsl:call-template></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'状态'"/><xsl:with-param name="en" select="'State'"/></xsl:call-template></th></tr></thead>
              <tbody>
                <xsl:for-each select="due/case">
                  <tr><td><xsl:apply-templates select="." mode="case-link"/></td><td><xsl:apply-templates select="stage" mode="l"/></td><td><xsl:apply-templates select="limit" mode="l"/></td><td><xsl:apply-templates select="limit" mode="when"/></td><td><xsl:call-template name="state"><xsl:with-param name="state" select="limit/@state"/></xsl:call-template></td></tr>
                </xsl:for-each>
              </tbody>
            </table></div>
          </xsl:otherwise>
        </xsl:choose>
      </section>

      <section class="panel" id="recent">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'最近动态'"/><xsl:with-param name="en" select="'Recent activity'"/></xsl:call-template></h2>
        <xsl:choose>
          <xsl:when test="not(recent/case)">
            <p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'尚无案件'"/><xsl:with-param name="en" select="'No cases yet'"/></xsl:call-template></p>
          </xsl:when>
          <xsl:otherwise>
            <div tabindex="0" class="scroll"><table class="table align-middle mb-0">
              <thead><tr><th><xsl:call-template name="t"><xsl:with-param name="zh" select="'时间'"/><xsl:with-param name="en" select="'When'"/></xsl:call-template></th>
                <th><xsl:call-template name="h-case"/></th><th><xsl:call-template name="h-stage"/></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'客户'"/><xsl:with-param name="en" select="'Customer'"/></xsl:call-template></th></tr></thead>
              <tbody>
                <xsl:for-each select="recent/case">
                  <tr><td><xsl:apply-templates select="when" mode="time"/></td><td><xsl:apply-templates select="." mode="case-link"/></td><td><xsl:apply-templates select="stage" mode="l"/></td><td><xsl:value-of select="@customer"/></td></tr>
                </xsl:for-each>
              </tbody>
            </table></div>
          </xsl:otherwise>
        </xsl:choose>
      </section>
    </div>
  </xsl:template>

  <xsl:template name="h-case"><xsl:call-template name="t"><xsl:with-param name="zh" select="'案号'"/><xsl:with-param name="en" select="'Case'"/></xsl:call-template></xsl:template>
  <xsl:template name="h-stage"><xsl:call-template name="t"><xsl:with-param name="zh" select="'阶段'"/><xsl:with-param name="en" select="'Stage'"/></xsl:call-template></xsl:template>
</xsl:stylesheet>
