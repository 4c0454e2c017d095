<?xml version="1.0" encoding="UTF-8"?>
<!-- import.xsl - the legacy import (import.c, admin only): the upload form; a job's dry-run
     preview (what each row becomes, every refused row with row, column, value and rule), its
     progress while it runs, the import's outcome, and the resumption of an import cut off. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'admin-import']" mode="body">
    <xsl:call-template name="admin-back"/>
    <form method="post" action="/admin/import" enctype="multipart/form-data" class="card card-body mb-3 app-form" id="import-upload">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'上传登记表'"/><xsl:with-param name="en" select="'Upload a log'"/></xsl:call-template></h2>
      <p><xsl:call-template name="t"><xsl:with-param name="zh" select="'先检查（试运行）：每一行会成为哪个案件、哪些行被拒绝及原因。确认之前不写入任何内容。'"/><xsl:with-param name="en" select="'First a check (dry run): what each row becomes and which rows are refused, and why. Nothing is written until you confirm.'"/></xsl:call-template></p>
      <xsl:call-template name="csrf"/>
      <div class="mb-3">
        <label class="form-label" for="import-sheet"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('CSV 或 xlsx 文件（最大 ', limit/@mib, ' MiB）')"/><xsl:with-param name="en" select="concat('CSV or xlsx file (at most ', limit/@mib, ' MiB)')"/></xsl:call-template></label>
        <input class="form-control" id="import-sheet" type="file" name="sheet" required="required" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>
      </div>
      <div class="row g-3 mb-3">
        <div class="col-md-6">
          <label class="form-label" for="import-map"><xsl:call-template name="t"><xsl:with-param name="zh" select="'列映射'"/><xsl:with-param name="en" select="'Column mapping'"/></xsl:call-template></label>
          <select class="form-select" id="import-map" name="map">
            <xsl:for-each select="mappings/mapping"><option value="{@name}"><xsl:value-of select="@name"/></option></xsl:for-each>
          </select>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="import-mapfile"><xsl:call-template name="t"><xsl:with-param name="zh" select="'或上传映射文件（XML，可选）'"/><xsl:with-param name="en" select="'Or upload a mapping (XML, optional)'"/></xsl:call-template></label>
          <input class="form-control" id="import-mapfile" type="file" name="mapping_file" accept=".xml,application/xml,text/xml"/>
        </div>
      </div>
      <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'import-password'"/></xsl:call-template>
      <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'检查（不写入）'"/><xsl:with-param name="en" select="'Check (writes nothing)'"/></xsl:call-template></button></p>
    </form>
    <xsl:if test="jobs/job">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'最近的导入'"/><xsl:with-param name="en" select="'Recent imports'"/></xsl:call-template></h2>
      <ul class="app-jobs">
        <xsl:for-each select="jobs/job"><li><a href="/admin/import/{str:encode-uri(@id, true())}"><xsl:value-of select="@name"/></a></li></xsl:for-each>
      </ul>
    </xsl:if>
  </xsl:template>

  <xsl:template match="page[@kind = 'admin-import-job']" mode="body">
    <xsl:variable name="j" select="job"/>
    <xsl:call-template name="admin-back"/>
    <div class="card mb-3"><div class="card-body">
      <dl class="row mb-0 app-facts">
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'文件'"/><xsl:with-param name="en" select="'File'"/></xsl:call-template></dt>
        <dd class="col-sm-9" id="import-file"><xsl:value-of select="concat($j/@name, ' (', $j/@kind, ')')"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'列映射'"/><xsl:with-param name="en" select="'Mapping'"/></xsl:call-template></dt>
        <dd class="col-sm-9"><xsl:value-of select="$j/@map"/></dd>
        <xsl:if test="$j/@sha256 != ''">
          <dt class="col-sm-3">SHA-256</dt>
          <dd class="col-sm-9"><code class="hash"><xsl:value-of select="$j/@sha256"/></code></dd>
        </xsl:if>
      </dl>
    </div></div>
    <xsl:if test="$j/earlier">
      <div class="alert alert-warning app-earlier" role="status">
        <xsl:call-template name="t">
          <xsl:with-param name="zh" select="concat('此文件曾经导入过：已有 ', $j/earlier/@cases, ' 个案件来自它（至第 ', $j/earlier/@through, ' 行）。本次从其后继续，每行只导入一次。')"/>
          <xsl:with-param name="en" select="concat('This file was imported before: ', $j/earlier/@cases, ' cases came from it (rows up to ', $j/earlier/@through, '). This run continues after them; every row is imported once.')"/>
        </xsl:call-template>
      </div>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="$j/@running">
        <div class="card card-body mb-3 app-progress" id="import-progress">
          <label class="form-label" for="import-bar">
            <xsl:choose>
              <xsl:when test="$j/@pass = '2'"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('正在导入：', $j/@done, ' / ', $j/@total, ' 行')"/><xsl:with-param name="en" select="concat('Importing: ', $j/@done, ' of ', $j/@total, ' rows')"/></xsl:call-template></xsl:when>
              <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('正在检查：已读 ', $j/@done, ' 行')"/><xsl:with-param name="en" select="concat('Checking: ', $j/@done, ' rows read')"/></xsl:call-template></xsl:otherwise>
            </xsl:choose>
          </label>
          <progress id="import-bar" class="w-100" max="100">
            <xsl:if test="$j/@percent"><xsl:attribute name="value"><xsl:value-of select="$j/@percent"/></xsl:attribute></xsl:if>
          </progress>
          <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'本页每秒自动刷新'"/><xsl:with-param name="en" select="'This page reloads every second'"/></xsl:call-template></small>
        </div>
      </xsl:when>
      <xsl:when test="$j/@state = 'failed'">
        <div class="alert alert-danger app-failed" role="alert" id="import-error">
          <xsl:choose>
            <xsl:when test="$j/@imported-run and $j/earlier/@cases != '0'">
              <xsl:call-template name="t">
                <xsl:with-param name="zh" select="concat('导入中断：此文件已有 ', $j/earlier/@cases, ' 个案件保存，其余各行未导入：')"/>
                <xsl:with-param name="en" select="concat('Stopped: ', $j/earlier/@cases, ' cases from this file are saved, the other rows were not imported: ')"/>
              </xsl:call-template>
            </xsl:when>
            <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'导入未完成：'"/><xsl:with-param name="en" select="'Not imported: '"/></xsl:call-template></xsl:otherwise>
          </xsl:choose>
          <span class="app-pre"><xsl:value-of select="$j/error"/></span>
        </div>
        <xsl:if test="$j/@imported-run and $j/earlier/@cases != '0'">
          <xsl:call-template name="confirm">
            <xsl:with-param name="zh" select="'继续导入其余各行'"/>
            <xsl:with-param name="en" select="'Resume: import the remaining rows'"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:when>
      <xsl:when test="$j/@state = 'done'">
        <div class="alert alert-success app-imported" role="status" id="import-done">
          <xsl:call-template name="t">
            <xsl:with-param name="zh" select="concat('已导入 ', $j/@imported, ' 个案件（其中已结案 ', $j/@closed, ' 个）')"/>
            <xsl:with-param name="en" select="concat($j/@imported, ' cases imported (', $j/@closed, ' closed)')"/>
          </xsl:call-template>
          <xsl:if test="$j/@first != ''"><xsl:value-of select="concat(': ', $j/@first)"/><xsl:if test="$j/@last != $j/@first"><xsl:value-of select="concat(' … ', $j/@last)"/></xsl:if></xsl:if>
          <xsl:if test="$j/@bad != '0'">. <xsl:call-template name="t"><xsl:with-param name="zh" select="concat($j/@bad, ' 行被拒绝，未导入')"/><xsl:with-param name="en" select="concat($j/@bad, ' refused rows were set aside')"/></xsl:call-template></xsl:if>
        </div>
        <p><a class="btn btn-primary" href="/cases"><xsl:call-template name="t"><xsl:with-param name="zh" select="'查看案件列表'"/><xsl:with-param name="en" select="'See the cases'"/></xsl:call-template></a></p>
      </xsl:when>
      <xsl:when test="$j/@complete">
        <div class="alert alert-info" role="status" id="import-complete"><xsl:call-template name="t"><xsl:with-param name="zh" select="'此文件已全部导入，无需再次导入。'"/><xsl:with-param name="en" select="'Every row of this file was imported before: nothing to import.'"/></xsl:call-template></div>
      </xsl:when>
      <xsl:otherwise>
        <div class="alert alert-info app-preview" role="status" id="import-summary">
          <xsl:call-template name="t">
            <xsl:with-param name="zh" select="concat('试运行：共 ', $j/@rows, ' 行，', $j/@good, ' 行将成为案件，', $j/@bad, ' 行被拒绝。尚未写入任何内容。')"/>
            <xsl:with-param name="en" select="concat('Dry run: ', $j/@rows, ' rows, ', $j/@good, ' become cases, ', $j/@bad, ' refused. Nothing has been written.')"/>
          </xsl:call-template>
        </div>
        <xsl:if test="$j/@good != '0'">
          <xsl:call-template name="confirm">
            <xsl:with-param name="zh" select="concat('导入 ', $j/@good, ' 行', substring('（被拒绝的行不导入）', 1, 20 * ($j/@bad != '0')))"/>
            <xsl:with-param name="en" select="concat('Import ', $j/@good, ' rows', substring(' (the refused rows are set aside)', 1, 40 * ($j/@bad != '0')))"/>
          </xsl:call-template>
        </xsl:if>
      </xsl:otherwise>
    </xsl:choose>
    <xsl:if test="$j/problems/p">
      <h2 class="h5" id="refused"><xsl:call-template name="t"><xsl:with-param name="zh" select="'被拒绝的行'"/><xsl:with-param name="en" select="'Refused rows'"/></xsl:call-template></h2>
      <div class="table-responsive mb-3">
        <table class="table table-sm app-problems">
          <thead><tr>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'行'"/><xsl:with-param name="en" select="'Row'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'列'"/><xsl:with-param name="en" select="'Column'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'值'"/><xsl:with-param name="en" select="'Value'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'规则'"/><xsl:with-param name="en" select="'Rule'"/></xsl:call-template></th>
          </tr></thead>
          <tbody>
            <xsl:for-each select="$j/problems/p">
              <tr class="app-problem"><td><xsl:value-of select="@row"/></td><td><xsl:value-of select="@column"/></td><td><xsl:value-of select="@value"/></td><td><xsl:value-of select="@rule"/></td></tr>
            </xsl:for-each>
          </tbody>
        </table>
      </div>
      <xsl:if test="$j/problems/@more != '0'"><p><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('另有 ', $j/problems/@more, ' 个问题未列出')"/><xsl:with-param name="en" select="concat($j/problems/@more, ' more problems not listed')"/></xsl:call-template></p></xsl:if>
    </xsl:if>
    <xsl:if test="$j/planned/row">
      <h2 class="h5" id="planned"><xsl:call-template name="t"><xsl:with-param name="zh" select="'各行将成为的案件'"/><xsl:with-param name="en" select="'What the rows become'"/></xsl:call-template></h2>
      <div class="table-responsive mb-3">
        <table class="table table-sm app-planned">
          <thead><tr>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'行'"/><xsl:with-param name="en" select="'Row'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'案号'"/><xsl:with-param name="en" select="'Case'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'客户'"/><xsl:with-param name="en" select="'Customer'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'料号'"/><xsl:with-param name="en" select="'Part'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'问题描述'"/><xsl:with-param name="en" select="'Description'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'立案'"/><xsl:with-param name="en" select="'Opened'"/></xsl:call-template></th>
            <th scope="col"><xsl:call-template name="t"><xsl:with-param name="zh" select="'结案'"/><xsl:with-param name="en" select="'Closed'"/></xsl:call-template></th>
          </tr></thead>
          <tbody>
            <xsl:for-each select="$j/planned/row">
              <tr class="app-plan">
                <td><xsl:value-of select="@row"/></td>
                <td><xsl:choose><xsl:when test="@number != ''"><xsl:value-of select="@number"/></xsl:when><xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'（新编号）'"/><xsl:with-param name="en" select="'(next number)'"/></xsl:call-template></xsl:otherwise></xsl:choose></td>
                <td><xsl:value-of select="@customer"/></td>
                <td><xsl:value-of select="@part"/></td>
                <td><xsl:value-of select="@description"/></td>
                <td><xsl:apply-templates select="opened" mode="time"/></td>
                <td><xsl:choose><xsl:when test="closed"><xsl:apply-templates select="closed" mode="time"/></xsl:when><xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'未结案'"/><xsl:with-param name="en" select="'open'"/></xsl:call-template></xsl:otherwise></xsl:choose></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </div>
      <xsl:if test="$j/planned/@more != '0'"><p><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('另有 ', $j/planned/@more, ' 行未列出')"/><xsl:with-param name="en" select="concat($j/planned/@more, ' more rows not listed')"/></xsl:call-template></p></xsl:if>
    </xsl:if>
  </xsl:template>

  <!-- Confirm an import (or its resumption) with the admin's password. -->
  <xsl:template name="confirm">
    <xsl:param name="zh"/>
    <xsl:param name="en"/>
    <form method="post" action="/admin/import/{str:encode-uri(job/@id, true())}/confirm" class="card card-body mb-3 app-form" id="import-confirm">
      <xsl:call-template name="csrf"/>
      <xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'confirm-password'"/></xsl:call-template>
      <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="$zh"/><xsl:with-param name="en" select="$en"/></xsl:call-template></button></p>
    </form>
  </xsl:template>
</xsl:stylesheet>
