<?xml version="1.0" encoding="UTF-8"?>
<!-- report.xsl - the quality report of a month or an ISO week (质量月报 / 周报): the figures,
     the Pareto of defects and the 12-period trend as charts (static/report.js draws them with
     Chart.js from the data-json attribute; the same figures are in the tables), the
     breakdowns, on-time rates, overdue limits, and the downloads (signed PDF, xlsx, CSV,
     JSON), made by the server from verified data only. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'report']" mode="body">
    <xsl:variable name="r" select="report"/>
    <xsl:variable name="base" select="concat('/reports/', str:encode-uri($r/@period, true()))"/>
    <div class="card card-body mb-3 app-report-head">
      <h2 class="h4 mb-1"><xsl:value-of select="$r/@period"/>
        <small class="text-body-secondary"><xsl:value-of select="concat(' ', $r/@from, ' – ', $r/@to)"/></small></h2>
      <p class="mb-2 text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'统计截至'"/><xsl:with-param name="en" select="'As of'"/></xsl:call-template>
        <xsl:text> </xsl:text><xsl:apply-templates select="$r/as-of" mode="time"/></p>
      <nav class="app-report-nav mb-2" aria-label="period">
        <a class="btn btn-outline-secondary" href="/reports/{str:encode-uri($r/@prev, true())}">← <xsl:value-of select="$r/@prev"/></a>
        <xsl:if test="$r/@next">
          <a class="btn btn-outline-secondary" href="/reports/{str:encode-uri($r/@next, true())}"><xsl:value-of select="$r/@next"/> →</a>
        </xsl:if>
        <a class="btn btn-outline-secondary" href="/reports/{str:encode-uri($r/@other, true())}">
          <xsl:choose>
            <xsl:when test="$r/@kind = 'month'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'周报'"/><xsl:with-param name="en" select="'Weekly'"/></xsl:call-template></xsl:when>
            <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'月报'"/><xsl:with-param name="en" select="'Monthly'"/></xsl:call-template></xsl:otherwise>
          </xsl:choose>
          <xsl:value-of select="concat(' ', $r/@other)"/></a>
        <form method="get" action="/reports" class="app-period-form">
          <label class="visually-hidden" for="period"><xsl:call-template name="t"><xsl:with-param name="zh" select="'期间 (YYYY-MM 或 YYYY-Www)'"/><xsl:with-param name="en" select="'Period (YYYY-MM or YYYY-Www)'"/></xsl:call-template></label>
          <input class="form-control" id="period" name="period" placeholder="2026-W49" pattern="[0-9]{{4}}-(W[0-9]{{2}}|[0-9]{{2}})"/>
          <button class="btn btn-outline-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'查看'"/><xsl:with-param name="en" select="'Show'"/></xsl:call-template></button>
        </form>
      </nav>
      <p class="mb-0 app-downloads">
        <a class="btn btn-primary" href="{$base}.pdf"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签名 PDF'"/><xsl:with-param name="en" select="'Signed PDF'"/></xsl:call-template></a>
        <a class="btn btn-outline-primary" href="{$base}.xlsx">Excel (xlsx)</a>
        <a class="btn btn-outline-primary" href="{$base}.csv">CSV</a>
        <a class="btn btn-outline-primary" href="{$base}.json">JSON</a>
      </p>
    </div>

    <div class="app-figures mb-3">
      <xsl:for-each select="$r/figures/fig">
        <div class="card card-body app-fig" data-key="{@key}">
          <div class="app-fig-value"><xsl:value-of select="@value"/></div>
          <div class="app-fig-label"><xsl:apply-templates select="." mode="l"/></div>
        </div>
      </xsl:for-each>
    </div>

    <div class="row g-3 mb-3">
      <div class="col-12 col-lg-6">
        <section class="card h-100">
          <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'缺陷柏拉图'"/><xsl:with-param name="en" select="'Pareto of defects'"/></xsl:call-template></h3></div>
          <div class="card-body">
            <xsl:choose>
              <xsl:when test="$r/breakdown[@name = 'by_defect']/row">
                <div class="app-chart"><canvas id="chart-pareto" role="img" aria-label="Pareto"></canvas></div>
              </xsl:when>
              <xsl:otherwise><p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'本期无投诉'"/><xsl:with-param name="en" select="'No cases in this period'"/></xsl:call-template></p></xsl:otherwise>
            </xsl:choose>
          </div>
        </section>
      </div>
      <div class="col-12 col-lg-6">
        <section class="card h-100">
          <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'12 期趋势'"/><xsl:with-param name="en" select="'12-period trend'"/></xsl:call-template></h3></div>
          <div class="card-body"><div class="app-chart"><canvas id="chart-trend" role="img" aria-label="Trend"></canvas></div></div>
        </section>
      </div>
    </div>
    <div id="report-data" hidden="hidden" data-json="{$r/chart/@data}"></div>
    <script src="/static/chart.min.js" defer="defer"></script>
    <script src="/static/report.js" defer="defer"></script>

    <div class="row g-3 mb-3">
      <xsl:for-each select="$r/breakdown">
        <div class="col-12 col-md-6">
          <section class="card h-100 app-breakdown" data-name="{@name}">
            <div class="card-header"><h3 class="h6 mb-0"><xsl:apply-templates select="." mode="l"/></h3></div>
            <div tabindex="0" class="scroll"><table class="table table-sm mb-0">
              <thead><tr>
                <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'项目'"/><xsl:with-param name="en" select="'Value'"/></xsl:call-template></th>
                <th scope="col" class="text-end"><xsl:call-template name="t"><xsl:with-param name="zh" select="'件数'"/><xsl:with-param name="en" select="'Cases'"/></xsl:call-template></th>
                <xsl:if test="@name = 'by_defect'"><th scope="col" class="text-end"><xsl:call-template name="t"><xsl:with-param name="zh" select="'累计 %'"/><xsl:with-param name="en" select="'Cumulative %'"/></xsl:call-template></th></xsl:if>
              </tr></thead>
              <tbody>
                <xsl:for-each select="row">
                  <tr><td><xsl:apply-templates select="." mode="l"/></td><td class="text-end"><xsl:value-of select="@count"/></td>
                    <xsl:if test="@cum"><td class="text-end"><xsl:value-of select="@cum"/></td></xsl:if></tr>
                </xsl:for-each>
              </tbody>
            </table></div>
          </section>
        </div>
      </xsl:for-each>
    </div>

    <div class="row g-3 mb-3">
      <div class="col-12 col-md-6">
        <section class="card h-100">
          <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限达成'"/><xsl:with-param name="en" select="'Limits met on time'"/></xsl:call-template></h3></div>
          <div tabindex="0" class="scroll"><table class="table table-sm mb-0 app-ontime">
            <thead><tr>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limit'"/></xsl:call-template></th>
              <th scope="col" class="text-end"><xsl:call-template name="t"><xsl:with-param name="zh" select="'到期'"/><xsl:with-param name="en" select="'Due'"/></xsl:call-template></th>
              <th scope="col" class="text-end"><xsl:call-template name="t"><xsl:with-param name="zh" select="'按时'"/><xsl:with-param name="en" select="'On time'"/></xsl:call-template></th>
              <th scope="col" class="text-end">%</th>
            </tr></thead>
            <tbody>
              <xsl:for-each select="$r/ontime">
                <tr><td><xsl:apply-templates select="." mode="l"/></td><td class="text-end"><xsl:value-of select="@due"/></td>
                  <td class="text-end"><xsl:value-of select="@met"/></td><td class="text-end"><xsl:value-of select="@rate"/></td></tr>
              </xsl:for-each>
            </tbody>
          </table></div>
        </section>
      </div>
      <div class="col-12 col-md-6">
        <section class="card h-100">
          <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'趋势'"/><xsl:with-param name="en" select="'Trend'"/></xsl:call-template></h3></div>
          <div tabindex="0" class="scroll"><table class="table table-sm mb-0 app-trend">
            <thead><tr>
              <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'期间'"/><xsl:with-param name="en" select="'Period'"/></xsl:call-template></th>
              <th scope="col" class="text-end"><xsl:call-template name="t"><xsl:with-param name="zh" select="'新增'"/><xsl:with-param name="en" select="'Opened'"/></xsl:call-template></th>
              <th scope="col" class="text-end"><xsl:call-template name="t"><xsl:with-param name="zh" select="'结案'"/><xsl:with-param name="en" select="'Closed'"/></xsl:call-template></th>
            </tr></thead>
            <tbody>
              <xsl:for-each select="$r/trend">
                <tr><td><xsl:value-of select="@label"/></td><td class="text-end"><xsl:value-of select="@opened"/></td><td class="text-end"><xsl:value-of select="@closed"/></td></tr>
              </xsl:for-each>
            </tbody>
          </table></div>
        </section>
      </div>
    </div>

    <xsl:if test="$r/overdue">
      <section class="card mb-3">
        <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'逾期时限'"/><xsl:with-param name="en" select="'Overdue limits'"/></xsl:call-template></h3></div>
        <div tabindex="0" class="scroll"><table class="table table-sm mb-0 app-overdue">
          <thead><tr>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'案号'"/><xsl:with-param name="en" select="'Case'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limit'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'到期'"/><xsl:with-param name="en" select="'Due'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'逾期'"/><xsl:with-param name="en" select="'Overdue by'"/></xsl:call-template></th>
          </tr></thead>
          <tbody>
            <xsl:for-each select="$r/overdue">
              <tr><td><xsl:apply-templates select="." mode="case-link"/></td><td><xsl:apply-templates select="." mode="l"/></td>
                <td><xsl:apply-templates select="due" mode="time"/></td><td><xsl:value-of select="@over"/></td></tr>
            </xsl:for-each>
          </tbody>
        </table></div>
      </section>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
