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
      <xsl:if test="cases/@view = 'board'"><input type="hidden" name="view" value="board"/></xsl:if>
      <div class="filter filter-go">
        <button class="btn btn-primary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'查找'"/><xsl:with-param name="en" select="'Find'"/></xsl:call-template></button>
      </div>
    </form>
    <p class="d-flex justify-content-between align-items-center">
      <span><xsl:call-template name="t"><xsl:with-param name="zh" select="'共'"/><xsl:with-param name="en" select="'Total'"/></xsl:call-template>
        <xsl:text> </xsl:text><strong class="total"><xsl:value-of select="cases/@count"/></strong>
        <xsl:if test="cases/@count &gt; 0 and not(cases/@view = 'board')">
          <xsl:text> · </xsl:text>
          <span class="range"><xsl:value-of select="concat(cases/@first, '–', cases/@last)"/></span>
        </xsl:if></span>
      <a class="btn btn-outline-secondary">
        <xsl:attribute name="href">
          <xsl:text>/cases.csv?</xsl:text>
          <xsl:for-each select="q">
            <xsl:value-of select="concat(str:encode-uri(@name, true()), '=', str:encode-uri(@value, true()), '&amp;')"/>
          </xsl:for-each>
        </xsl:attribute>CSV</a>
    </p>
    <p>
      <xsl:choose>
        <xsl:when test="cases/@view = 'board'">
          <a class="btn btn-outline-secondary">
            <xsl:attribute name="href"><xsl:text>/cases?</xsl:text><xsl:for-each select="/page/q[@name != 'view']"><xsl:value-of select="concat(str:encode-uri(@name, true()), '=', str:encode-uri(@value, true()), '&amp;')"/></xsl:for-each></xsl:attribute>
            <xsl:call-template name="t"><xsl:with-param name="zh" select="'列表'"/><xsl:with-param name="en" select="'List'"/></xsl:call-template></a>
        </xsl:when>
        <xsl:otherwise>
          <a class="btn btn-outline-secondary">
            <xsl:attribute name="href"><xsl:text>/cases?</xsl:text><xsl:for-each select="/page/q[@name != 'view' and @name != 'page']"><xsl:value-of select="concat(str:encode-uri(@name, true()), '=', str:encode-uri(@value, true()), '&amp;')"/></xsl:for-each><xsl:text>view=board</xsl:text></xsl:attribute>
            <xsl:call-template name="t"><xsl:with-param name="zh" select="'看板（按阶段）'"/><xsl:with-param name="en" select="'Board by stage'"/></xsl:call-template></a>
        </xsl:otherwise>
      </xsl:choose>
    </p>
    <xsl:if test="cases/@view = 'board'">
      <div tabindex="0" class="scroll app-board">
        <xsl:for-each select="cases/column">
          <section class="board-col">
            <h2 class="h6"><xsl:apply-templates select="." mode="l"/><xsl:text> </xsl:text><span class="badge text-bg-secondary"><xsl:value-of select="@count"/></span></h2>
            <xsl:for-each select="case">
              <div class="card board-card mb-2"><div class="card-body p-2">
                <xsl:apply-templates select="." mode="case-link"/>
                <div><xsl:value-of select="@customer"/><xsl:if test="@part != ''"><xsl:value-of select="concat(' · ', @part)"/></xsl:if></div>
                <div class="small"><xsl:apply-templates select="severity" mode="l"/></div>
              </div></div>
            </xsl:for-each>
          </section>
        </xsl:for-each>
      </div>
    </xsl:if>
    <xsl:if test="not(cases/@view = 'board')">
    <div tabindex="0" class="scroll">
      <table class="table table-striped table-hover align-middle app-list">
        <thead><tr>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'number'"/><xsl:with-param name="label"><xsl:call-template name="h-case"/></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'stage'"/><xsl:with-param name="label"><xsl:call-template name="h-stage"/></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'customer'"/><xsl:with-param name="label"><xsl:value-of select="cases/@party-l"/></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'part'"/><xsl:with-param name="label"><xsl:call-template name="t"><xsl:with-param name="zh" select="'料号'"/><xsl:with-param name="en" select="'Part'"/></xsl:call-template></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'defect'"/><xsl:with-param name="label"><xsl:call-template name="t"><xsl:with-param name="zh" select="'缺陷'"/><xsl:with-param name="en" select="'Defect'"/></xsl:call-template></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'severity'"/><xsl:with-param name="label"><xsl:call-template name="t"><xsl:with-param name="zh" select="'严重度'"/><xsl:with-param name="en" select="'Severity'"/></xsl:call-template></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'opened'"/><xsl:with-param name="label"><xsl:call-template name="t"><xsl:with-param name="zh" select="'开立'"/><xsl:with-param name="en" select="'Opened'"/></xsl:call-template></xsl:with-param></xsl:call-template>
          <xsl:call-template name="sort-th"><xsl:with-param name="col" select="'description'"/><xsl:with-param name="label"><xsl:call-template name="t"><xsl:with-param name="zh" select="'描述'"/><xsl:with-param name="en" select="'Description'"/></xsl:call-template></xsl:with-param></xsl:call-template>
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
    </xsl:if>
    <xsl:if test="cases/@pages &gt; 1 and not(cases/@view = 'board')">
      <nav class="mt-3">
        <xsl:attribute name="aria-label"><xsl:call-template name="t"><xsl:with-param name="zh" select="'分页'"/><xsl:with-param name="en" select="'Pages'"/></xsl:call-template></xsl:attribute>
        <ul class="pagination flex-wrap">
          <xsl:call-template name="page-link"><xsl:with-param name="to" select="cases/@page - 1"/><xsl:with-param name="text" select="'‹'"/><xsl:with-param name="off" select="cases/@page = 1"/></xsl:call-template>
          <li class="page-item active" aria-current="page"><span class="page-link">
            <xsl:value-of select="concat(cases/@page, ' / ', cases/@pages)"/></span></li>
          <xsl:call-template name="page-link"><xsl:with-param name="to" select="cases/@page + 1"/><xsl:with-param name="text" select="'›'"/><xsl:with-param name="off" select="cases/@page = cases/@pages"/></xsl:call-template>
        </ul>
      </nav>
    </xsl:if>
  </xsl:template>

  <!-- The list's query (filters) without sort and page, each pair followed by '&'. -->
  <xsl:template name="list-query">
    <xsl:for-each select="/page/q[@name != 'sort' and @name != 'page']">
      <xsl:value-of select="concat(str:encode-uri(@name, true()), '=', str:encode-uri(@value, true()), '&amp;')"/>
    </xsl:for-each>
  </xsl:template>

  <!-- A column header that sorts by its column; again to reverse. -->
  <xsl:template name="sort-th">
    <xsl:param name="col"/>
    <xsl:param name="label"/>
    <xsl:variable name="cur" select="/page/cases/@sort"/>
    <th scope="col">
      <xsl:choose>
        <xsl:when test="$cur = $col"><xsl:attribute name="aria-sort">ascending</xsl:attribute></xsl:when>
        <xsl:when test="$cur = concat('-', $col)"><xsl:attribute name="aria-sort">descending</xsl:attribute></xsl:when>
      </xsl:choose>
      <a class="sort">
        <xsl:attribute name="href">
          <xsl:text>/cases?</xsl:text>
          <xsl:call-template name="list-query"/>
          <xsl:text>sort=</xsl:text>
          <xsl:if test="$cur = $col">-</xsl:if>
          <xsl:value-of select="$col"/>
        </xsl:attribute>
        <xsl:copy-of select="$label"/>
        <xsl:choose>
          <xsl:when test="$cur = $col"> ▲</xsl:when>
          <xsl:when test="$cur = concat('-', $col)"> ▼</xsl:when>
        </xsl:choose>
      </a>
    </th>
  </xsl:template>

  <xsl:template name="page-link">
    <xsl:param name="to"/>
    <xsl:param name="text"/>
    <xsl:param name="off"/>
    <li class="page-item">
      <xsl:choose>
        <xsl:when test="$off"><xsl:attribute name="class">page-item disabled</xsl:attribute>
          <span class="page-link"><xsl:value-of select="$text"/></span></xsl:when>
        <xsl:otherwise>
          <a class="page-link" rel="{substring('prevnext', 1 + 4 * ($to &gt; /page/cases/@page), 4)}">
            <xsl:attribute name="href">
              <xsl:text>/cases?</xsl:text>
              <xsl:call-template name="list-query"/>
              <xsl:value-of select="concat('sort=', str:encode-uri(/page/cases/@sort, true()), '&amp;page=', $to)"/>
            </xsl:attribute>
            <xsl:value-of select="$text"/></a>
        </xsl:otherwise>
      </xsl:choose>
    </li>
  </xsl:template>
</xsl:stylesheet>
