<?xml version="1.0" encoding="UTF-8"?>
<!-- form.xsl - a stage's form from its XML definition (<form>, built by pages.c form_view):
     the fields in the definition's order, each with its label, required mark and the
     engine's errors next to it; repeating groups as tables of rows (stacked on narrow
     screens), with the rows added and removed by app.js. Used by the new-case page and the
     edit page. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'new']" mode="body">
    <!-- The workflow: a customer complaint or a supplier 8D (SCAR), each with its own intake
         form; only those whose first stage the user's role fills in. -->
    <xsl:if test="count(workflows/workflow) &gt; 1">
      <nav class="nav nav-pills mb-3 app-workflows" aria-label="workflow">
        <xsl:for-each select="workflows/workflow">
          <a class="nav-link" href="/cases/new?workflow={str:encode-uri(@id, true())}">
            <xsl:if test="@chosen"><xsl:attribute name="class">nav-link active</xsl:attribute><xsl:attribute name="aria-current">page</xsl:attribute></xsl:if>
            <xsl:apply-templates select="." mode="l"/></a>
        </xsl:for-each>
      </nav>
    </xsl:if>
    <xsl:apply-templates select="form"/>
  </xsl:template>

  <xsl:template match="page[@kind = 'edit']" mode="body">
    <p class="lead app-sub">
      <xsl:apply-templates select="case" mode="case-link"/>
      <xsl:text> · </xsl:text><xsl:apply-templates select="form" mode="l"/>
      <xsl:if test="case/@customer != ''"><xsl:value-of select="concat(' · ', case/@customer)"/></xsl:if>
    </p>
    <xsl:apply-templates select="form"/>
  </xsl:template>

  <xsl:template match="req-mark" name="req-mark">
    <xsl:choose>
      <xsl:when test="@required = 'create'"><xsl:text> </xsl:text><span class="req" title="required / 必填">*</span></xsl:when>
      <xsl:when test="@required = 'sign'"><xsl:text> </xsl:text><span class="req" title="required before sign-off / 签核前必填">*</span></xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="form">
    <xsl:for-each select="formerror">
      <div class="alert alert-danger err" role="alert"><xsl:choose><xsl:when test="@worded"><xsl:value-of select="."/></xsl:when><xsl:otherwise><xsl:value-of select="concat(@field, ': ', .)"/></xsl:otherwise></xsl:choose></div>
    </xsl:for-each>
    <form method="post" action="{@action}" class="app-form card card-body">
      <xsl:call-template name="csrf"/>
      <xsl:apply-templates select="control | group" mode="field"/>
      <xsl:if test="@seen">
        <input type="hidden" name="seen" value="{@seen}"/>
      </xsl:if>
      <xsl:if test="@reason">
        <div class="mb-3">
          <label class="form-label" for="f-reason">
            <xsl:call-template name="t"><xsl:with-param name="zh" select="'修改理由（可选）'"/><xsl:with-param name="en" select="'Reason for the change (optional)'"/></xsl:call-template>
          </label>
          <input class="form-control" id="f-reason" name="reason" value=""/>
        </div>
      </xsl:if>
      <p class="mb-0"><button type="submit" class="btn btn-primary">
        <xsl:call-template name="t"><xsl:with-param name="zh" select="'保存'"/><xsl:with-param name="en" select="'Save'"/></xsl:call-template>
      </button></p>
    </form>
  </xsl:template>

  <!-- A field outside a group: label, control, errors. -->
  <xsl:template match="control" mode="field">
    <div class="mb-3 app-field">
      <label class="form-label" for="f-{@name}">
        <xsl:apply-templates select="." mode="l"/><xsl:call-template name="req-mark"/>
      </label>
      <xsl:apply-templates select="." mode="input"/>
      <xsl:apply-templates select="error" mode="field"/>
    </div>
  </xsl:template>

  <xsl:template match="error" mode="field">
    <div class="fielderr invalid-feedback d-block" role="alert"><xsl:value-of select="."/></div>
  </xsl:template>

  <!-- The control itself, by the field's type. -->
  <xsl:template match="control" mode="input">
    <xsl:param name="aria"/>
    <xsl:variable name="cls">
      <xsl:text>form-control</xsl:text>
      <xsl:if test="error"> is-invalid</xsl:if>
    </xsl:variable>
    <xsl:choose>
      <xsl:when test="@type = 'multiline'">
        <textarea name="f.{@name}" id="f-{@name}" class="{$cls}" rows="3">
          <xsl:if test="$aria != ''"><xsl:attribute name="aria-label"><xsl:value-of select="$aria"/></xsl:attribute></xsl:if>
          <xsl:value-of select="@value"/>
        </textarea>
      </xsl:when>
      <xsl:when test="@type = 'choice' or @type = 'boolean'">
        <select name="f.{@name}" id="f-{@name}" class="form-select{substring(' is-invalid', 1, 11 * count(error[1]))}">
          <xsl:if test="$aria != ''"><xsl:attribute name="aria-label"><xsl:value-of select="$aria"/></xsl:attribute></xsl:if>
          <option value=""></option>
          <xsl:for-each select="option">
            <option value="{@value}">
              <xsl:if test="@selected"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
              <xsl:apply-templates select="." mode="l"/>
            </option>
          </xsl:for-each>
        </select>
      </xsl:when>
      <xsl:otherwise>
        <input name="f.{@name}" id="f-{@name}" value="{@value}" class="{$cls}">
          <xsl:attribute name="type">
            <xsl:choose>
              <xsl:when test="@type = 'date'">date</xsl:when>
              <xsl:otherwise>text</xsl:otherwise>
            </xsl:choose>
          </xsl:attribute>
          <xsl:if test="$aria != ''"><xsl:attribute name="aria-label"><xsl:value-of select="$aria"/></xsl:attribute></xsl:if>
          <xsl:choose>
            <xsl:when test="@type = 'integer'"><xsl:attribute name="inputmode">numeric</xsl:attribute></xsl:when>
            <xsl:when test="@type = 'decimal'"><xsl:attribute name="inputmode">decimal</xsl:attribute></xsl:when>
            <xsl:when test="@type = 'datetime'"><xsl:attribute name="placeholder">YYYY-MM-DDTHH:MMZ</xsl:attribute></xsl:when>
            <xsl:when test="@type = 'user'"><xsl:attribute name="placeholder">user id</xsl:attribute></xsl:when>
          </xsl:choose>
        </input>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- A repeating group: a table of rows, stacked as cards on narrow screens. -->
  <xsl:template match="group" mode="field">
    <fieldset class="mb-3 app-field">
      <legend class="form-label fs-6 fw-bold"><xsl:apply-templates select="." mode="l"/><xsl:call-template name="req-mark"/></legend>
      <div class="scroll">
        <table id="g-{@id}" data-next="{@next}">
          <!-- more than three columns: each row a card of fields, on every screen -->
          <xsl:attribute name="class">table table-sm rows<xsl:if test="count(column) &gt; 3"> stacked</xsl:if></xsl:attribute>
          <thead><tr><th class="n">#</th>
            <xsl:for-each select="column">
              <th><xsl:apply-templates select="." mode="l"/><xsl:call-template name="req-mark"/></th>
            </xsl:for-each>
            <th class="del"><span class="visually-hidden">−</span></th></tr></thead>
          <tbody>
            <xsl:for-each select="row">
              <tr class="group-row">
                <td class="n"><xsl:value-of select="@n"/></td>
                <xsl:for-each select="control">
                  <xsl:variable name="label"><xsl:apply-templates select="." mode="l"/></xsl:variable>
                  <td>
                    <span class="cell-label" aria-hidden="true"><xsl:value-of select="$label"/></span>
                    <xsl:apply-templates select="." mode="input">
                      <xsl:with-param name="aria" select="concat($label, ' ', ../@n)"/>
                    </xsl:apply-templates>
                    <xsl:apply-templates select="error" mode="field"/>
                  </td>
                </xsl:for-each>
                <td class="del"><button class="delrow btn btn-outline-danger" type="button" aria-label="delete row">−</button></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </div>
      <button class="addrow btn btn-outline-primary" type="button" data-group="g-{@id}" aria-label="add a row">+</button>
    </fieldset>
  </xsl:template>
</xsl:stylesheet>
