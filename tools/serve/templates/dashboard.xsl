<?xml version="1.0" encoding="UTF-8"?>
<!-- dashboard.xsl - what waits for me, open cases by stage, due soon / overdue, recent
     activity. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'dashboard']" mode="body">
    <div class="app-dash">
      <section class="panel" id="mine">
        <h2 class="h5">
          <xsl:call-template name="t"><xsl:with-param name="zh">等待我处理</xsl:with-param><xsl:with-param name="en">Waiting for me</xsl:with-param></xsl:call-template>
          <xsl:text> </xsl:text><span class="count"><xsl:value-of select="count(mine/case)"/></span>
        </h2>
        <xsl:choose>
          <xsl:when test="not(mine/case)">
            <p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh">没有等待您的案件</xsl:with-param><xsl:with-param name="en">Nothing waits for you</xsl:with-param></xsl:call-template></p>
          </xsl:when>
          <xsl:otherwise>
            <div class="scroll"><table class="table table-hover align-middle mb-0">
              <thead><tr><th><xsl:call-template name="h-case"/></th><th><xsl:call-template name="h-stage"/></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh">客户</xsl:with-param><xsl:with-param name="en">Customer</xsl:with-param></xsl:call-template></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh">时限</xsl:with-param><xsl:with-param name="en">Limits</xsl:with-param></xsl:call-template></th>
                <th></th></tr></thead>
              <tbody>
                <xsl:for-each select="mine/case">
                  <tr><td><xsl:apply-templates select="." mode="case-link"/></td>
                    <td><xsl:apply-templates select="stage" mode="l"/>
                      <xsl:if test="sent-back">
                        <div class="app-back"><span class="badge text-bg-danger"><xsl:call-template name="t"><xsl:with-param name="zh">已被驳回</xsl:with-param><xsl:with-param name="en">Sent back</xsl:with-param></xsl:call-template></span>
                          <xsl:text> </xsl:text><xsl:value-of select="sent-back/@name"/>
                          <xsl:text>: </xsl:text><span class="val"><xsl:value-of select="sent-back/reason"/></span></div>
                      </xsl:if></td>
                    <td><xsl:value-of select="@customer"/></td>
                    <td><xsl:if test="@worst"><xsl:call-template name="state"><xsl:with-param name="state" select="@worst"/></xsl:call-template></xsl:if></td>
                    <td class="text-end">
                      <xsl:choose>
                        <xsl:when test="@action = 'reject'">
                          <a class="button btn btn-outline-danger" href="/cases/{str:encode-uri(@number, true())}/sign"><xsl:call-template name="t"><xsl:with-param name="zh">审查</xsl:with-param><xsl:with-param name="en">Review</xsl:with-param></xsl:call-template></a>
                        </xsl:when>
                        <xsl:when test="@action = 'sign'">
                          <a class="button btn btn-primary" href="/cases/{str:encode-uri(@number, true())}/sign"><xsl:call-template name="t"><xsl:with-param name="zh">签核</xsl:with-param><xsl:with-param name="en">Sign off</xsl:with-param></xsl:call-template></a>
                        </xsl:when>
                        <xsl:otherwise>
                          <a class="button btn btn-outline-primary" href="/cases/{str:encode-uri(@number, true())}/edit"><xsl:call-template name="t"><xsl:with-param name="zh">填写</xsl:with-param><xsl:with-param name="en">Fill in</xsl:with-param></xsl:call-template></a>
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
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh">各阶段未结案件</xsl:with-param><xsl:with-param name="en">Open cases by stage</xsl:with-param></xsl:call-template></h2>
        <div class="tiles">
          <xsl:for-each select="stages/stage">
            <a class="tile" href="/cases?status=open&amp;stage={str:encode-uri(@id, true())}" data-stage="{@id}"><span class="n"><xsl:value-of select="@open"/></span><span><xsl:apply-templates select="." mode="l"/></span></a>
          </xsl:for-each>
        </div>
      </section>

      <section class="panel" id="due">
        <h2 class="h5">
          <xsl:call-template name="t"><xsl:with-param name="zh">即将到期 / 已逾期</xsl:with-param><xsl:with-param name="en">Due soon / overdue</xsl:with-param></xsl:call-template>
          <xsl:text> </xsl:text><span class="count"><xsl:value-of select="due/@count"/></span>
        </h2>
        <xsl:if test="due/@capped">
          <p class="err"><xsl:call-template name="t"><xsl:with-param name="zh">仅计算了前 2000 个未结案件的时限</xsl:with-param><xsl:with-param name="en">limits of the first 2000 open cases only</xsl:with-param></xsl:call-template></p>
        </xsl:if>
        <xsl:choose>
          <xsl:when test="not(due/case)">
            <p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh">没有即将到期或逾期的时限</xsl:with-param><xsl:with-param name="en">No limit is due soon or overdue</xsl:with-param></xsl:call-template></p>
          </xsl:when>
          <xsl:otherwise>
            <div class="scroll"><table class="table align-middle mb-0">
              <thead><tr><th><xsl:call-template name="h-case"/></th><th><xsl:call-template name="h-stage"/></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh">时限</xsl:with-param><xsl:with-param name="en">Limit</xsl:with-param></xsl:call-template></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh">到期</xsl:with-param><xsl:with-param name="en">Due</xsl:with-param></xsl:call-template></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh">状态</xsl:with-param><xsl:with-param name="en">State</xsl:with-param></xsl:call-template></th></tr></thead>
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
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh">最近动态</xsl:with-param><xsl:with-param name="en">Recent activity</xsl:with-param></xsl:call-template></h2>
        <xsl:choose>
          <xsl:when test="not(recent/case)">
            <p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh">尚无案件</xsl:with-param><xsl:with-param name="en">No cases yet</xsl:with-param></xsl:call-template></p>
          </xsl:when>
          <xsl:otherwise>
            <div class="scroll"><table class="table align-middle mb-0">
              <thead><tr><th><xsl:call-template name="t"><xsl:with-param name="zh">时间</xsl:with-param><xsl:with-param name="en">When</xsl:with-param></xsl:call-template></th>
                <th><xsl:call-template name="h-case"/></th><th><xsl:call-template name="h-stage"/></th>
                <th><xsl:call-template name="t"><xsl:with-param name="zh">客户</xsl:with-param><xsl:with-param name="en">Customer</xsl:with-param></xsl:call-template></th></tr></thead>
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

  <xsl:template name="h-case"><xsl:call-template name="t"><xsl:with-param name="zh">案号</xsl:with-param><xsl:with-param name="en">Case</xsl:with-param></xsl:call-template></xsl:template>
  <xsl:template name="h-stage"><xsl:call-template name="t"><xsl:with-param name="zh">阶段</xsl:with-param><xsl:with-param name="en">Stage</xsl:with-param></xsl:call-template></xsl:template>
</xsl:stylesheet>
