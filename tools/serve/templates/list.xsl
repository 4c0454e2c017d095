<?xml version="1.0" encoding="UTF-8"?>
<!-- list.xsl - the case list with its filters (kept in the URL) and the CSV link. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'list']" mode="body">
    <form method="get" action="/cases" class="filters card card-body mb-3">
      <xsl:for-each select="filters/filter">
        <div class="filter">
          <label class="form-label" for="q-{@name}"><xsl:apply-templates select="." mode="l"/></label>
          <xsl:choose>
            <xsl:when test="@type = 'select'">
              <select class="form-select" name="{@name}" id="q-{@name}">
                <xsl:for-each select="option">
                  <option value="{@value}">
                    <xsl:if test="@selected"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
                    <xsl:apply-templates select="." mode="l"/>
                  </option>
                </xsl:for-each>
              </select>
            </xsl:when>
            <xsl:otherwise>
              <input class="form-control" type="{@type}" name="{@name}" id="q-{@name}" value="{@value}"/>
            </xsl:otherwise>
          </xsl:choose>
        </div>
      </xsl:for-each>
      <div class="filter filter-go">
        <button class="btn btn-primary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'查找'"/><xsl:with-param name="en" select="'Find'"/></xsl:call-template></button>
      </div>
    </form>
    <p class="d-flex justify-content-between align-items-center">
      <span><xsl:call-template name="t"><xsl:with-param name="zh" select="'共'"/><xsl:with-param name="en" select="'Total'"/></xsl:call-template>
        <xsl:text> </xsl:text><strong class="total"><xsl:value-of select="cases/@count"/></strong></span>
      <a class="btn btn-outline-secondary">
        <xsl:attribute name="href">
          <xsl:text>/cases.csv?</xsl:text>
          <xsl:for-each select="q">
            <xsl:value-of select="concat(str:encode-uri(@name, true()), '=', str:encode-uri(@value, true()), '&amp;')"/>
          </xsl:for-each>
        </xsl:attribute>CSV</a>
    </p>
    <div class="scroll">
      <table class="table table-striped table-hover align-middle app-list">
        <thead><tr>
          <th><xsl:call-template name="h-case"/></th>
          <th><xsl:call-template name="h-stage"/></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'客户'"/><xsl:with-param name="en" select="'Customer'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'料号'"/><xsl:with-param name="en" select="'Part'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'缺陷'"/><xsl:with-param name="en" select="'Defect'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'严重度'"/><xsl:with-param name="en" select="'Severity'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'开立'"/><xsl:with-param name="en" select="'Opened'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'描述'"/><xsl:with-param name="en" select="'Description'"/></xsl:call-template></th>
        </tr></thead>
        <tbody>
          <xsl:for-each select="cases/case">
            <tr>
              <td class="text-nowrap"><xsl:apply-templates select="." mode="case-link"/></td>
              <td><xsl:apply-templates select="stage" mode="l"/></td>
              <td><xsl:value-of select="@customer"/></td>
              <td><xsl:value-of select="@part"/></td>
              <td><xsl:value-of select="@defect"/></td>
              <td><xsl:apply-templates select="severity" mode="l"/></td>
              <td class="text-nowrap"><xsl:apply-templates select="opened" mode="time"/></td>
              <td class="desc"><xsl:value-of select="description"/></td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </div>
  </xsl:template>
</xsl:stylesheet>
