<?xml version="1.0" encoding="UTF-8"?>
<!-- case.xsl - a case as its forms say: every stage with its fields in the definition's
     order, repeating groups as tables, choices by their labels, people by printed name and
     role, times in the plant's zone; signatures and rejections with who and why; the time
     limits; the audit trail in its own scroll box; hashes and chain data under
     "verification". Also the stage values of the signing dialog (sign.xsl). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'case']" mode="body">
    <xsl:variable name="c" select="case"/>
    <xsl:variable name="path" select="concat('/cases/', str:encode-uri($c/@number, true()))"/>
    <div class="app-casehead card card-body mb-3">
      <h2 class="h4 mb-1"><xsl:value-of select="$c/@number"/><xsl:text> </xsl:text><xsl:value-of select="$c/@customer"/></h2>
      <p class="mb-2">
        <xsl:choose>
          <xsl:when test="$c/@closed">
            <span class="badge text-bg-secondary app-badge"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已结案'"/><xsl:with-param name="en" select="'Closed'"/></xsl:call-template></span>
          </xsl:when>
          <xsl:otherwise>
            <xsl:call-template name="t"><xsl:with-param name="zh" select="'当前阶段'"/><xsl:with-param name="en" select="'Current stage'"/></xsl:call-template>
            <xsl:text>: </xsl:text><span class="badge text-bg-primary app-badge"><xsl:apply-templates select="$c/current" mode="l"/></span>
          </xsl:otherwise>
        </xsl:choose>
        <xsl:if test="$c/@round">
          <xsl:text> </xsl:text><span class="badge text-bg-warning app-badge app-round"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('第 ', $c/@round, ' 轮（二次处理）')"/><xsl:with-param name="en" select="concat('Round ', $c/@round)"/></xsl:call-template></span>
        </xsl:if>
      </p>
      <xsl:if test="$c/recurrence">
        <p class="mb-2 app-recurrence"><xsl:call-template name="t"><xsl:with-param name="zh" select="'再发（前案）'"/><xsl:with-param name="en" select="'Recurrence of'"/></xsl:call-template><xsl:text>: </xsl:text>
          <xsl:for-each select="$c/recurrence">
            <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
            <a href="{@href}"><xsl:value-of select="@number"/></a>
            <xsl:text> (</xsl:text>
            <xsl:choose>
              <xsl:when test="@verified"><xsl:call-template name="t"><xsl:with-param name="zh" select="'措施已验证有效'"/><xsl:with-param name="en" select="'verified effective'"/></xsl:call-template></xsl:when>
              <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'措施未验证有效'"/><xsl:with-param name="en" select="'not verified effective'"/></xsl:call-template></xsl:otherwise>
            </xsl:choose>
            <xsl:text>)</xsl:text>
          </xsl:for-each>
        </p>
      </xsl:if>
      <xsl:apply-templates select="$c/sent-back"/>
      <xsl:if test="$c/needs/missing and ($c/@may-edit or $c/@may-reject)">
        <div class="alert alert-warning app-needs" role="status">
          <xsl:call-template name="t"><xsl:with-param name="zh" select="'签核前还需填写'"/><xsl:with-param name="en" select="'Still needed before sign-off'"/></xsl:call-template>
          <xsl:text>: </xsl:text>
          <xsl:for-each select="$c/needs/missing">
            <xsl:if test="position() &gt; 1"><xsl:text>, </xsl:text></xsl:if>
            <strong><xsl:value-of select="@l"/></strong>
          </xsl:for-each>
        </div>
      </xsl:if>
      <p class="mb-0 app-actions">
        <xsl:if test="$c/@may-edit">
          <a class="button btn btn-primary" href="{$path}/edit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'填写本阶段'"/><xsl:with-param name="en" select="'Fill in this stage'"/></xsl:call-template></a>
        </xsl:if>
        <xsl:if test="$c/@may-sign or $c/@may-reject or $c/@may-waive">
          <a class="button btn btn-success" href="{$path}/sign">
            <xsl:choose>
              <xsl:when test="$c/@may-sign"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签核'"/><xsl:with-param name="en" select="'Sign off'"/></xsl:call-template></xsl:when>
              <xsl:when test="$c/@may-waive and not($c/@may-reject)"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签署豁免'"/><xsl:with-param name="en" select="'Sign a waiver'"/></xsl:call-template></xsl:when>
              <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'驳回'"/><xsl:with-param name="en" select="'Reject'"/></xsl:call-template></xsl:otherwise>
            </xsl:choose>
          </a>
        </xsl:if>
        <a class="button btn btn-outline-secondary" href="{$path}/dossier.pdf"><xsl:call-template name="t"><xsl:with-param name="zh" select="'下载签名档案 (PDF)'"/><xsl:with-param name="en" select="'Signed dossier (PDF)'"/></xsl:call-template></a>
      </p>
    </div>

    <xsl:for-each select="$c/stage">
      <section id="stage-{@stage}">
        <xsl:attribute name="class">stage card mb-3<xsl:if test="@current"> current</xsl:if><xsl:if test="@unreached"> unreached</xsl:if></xsl:attribute>
        <div class="card-header"><h3 class="h6 mb-0"><xsl:value-of select="concat(@n, '. ')"/><xsl:value-of select="@l"/>
          <xsl:if test="@unreached"><xsl:text> · </xsl:text><small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'尚未进入'"/><xsl:with-param name="en" select="'not reached'"/></xsl:call-template></small></xsl:if>
        </h3></div>
        <xsl:if test="not(@unreached)">
          <div class="card-body">
            <xsl:apply-templates select="values"/>
            <xsl:apply-templates select="signature"/>
          </div>
        </xsl:if>
      </section>
    </xsl:for-each>

    <!-- 二次处理: what earlier rounds recorded, kept and shown. -->
    <xsl:for-each select="$c/earlier">
      <section class="stage card mb-3 app-earlier">
        <div class="card-header"><h3 class="h6 mb-0 text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('第 ', @round, ' 轮 · ')"/><xsl:with-param name="en" select="concat('Round ', @round, ' · ')"/></xsl:call-template><xsl:value-of select="@l"/></h3></div>
        <div class="card-body"><xsl:apply-templates select="values"/></div>
      </section>
    </xsl:for-each>

    <xsl:apply-templates select="$c/attachments">
      <xsl:with-param name="path" select="$path"/>
    </xsl:apply-templates>

    <xsl:if test="$c/limits">
      <section class="card mb-3 app-limits">
        <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Time limits'"/></xsl:call-template></h3></div>
        <div tabindex="0" class="scroll"><table class="table mb-0 limits">
          <thead><tr>
            <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'时限'"/><xsl:with-param name="en" select="'Limit'"/></xsl:call-template></th>
            <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'到期'"/><xsl:with-param name="en" select="'Due'"/></xsl:call-template></th>
            <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'状态'"/><xsl:with-param name="en" select="'State'"/></xsl:call-template></th>
            <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'已发升级'"/><xsl:with-param name="en" select="'Escalations sent'"/></xsl:call-template></th>
          </tr></thead>
          <tbody>
            <xsl:for-each select="$c/limits/limit">
              <tr><td><xsl:value-of select="@l"/></td>
                <td><xsl:apply-templates select="." mode="when"/></td>
                <td><xsl:call-template name="state"><xsl:with-param name="state" select="@state"/></xsl:call-template>
                  <xsl:if test="met"><xsl:text> </xsl:text><xsl:apply-templates select="met" mode="time"/></xsl:if></td>
                <td class="app-escs"><xsl:apply-templates select="esc"/></td></tr>
            </xsl:for-each>
          </tbody>
        </table></div>
      </section>
    </xsl:if>

    <section class="card mb-3 app-audit">
      <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'审计记录'"/><xsl:with-param name="en" select="'Audit trail'"/></xsl:call-template></h3></div>
      <div tabindex="0" class="scroll audit-box"><table class="table table-sm mb-0">
        <thead><tr><th>#</th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'时间'"/><xsl:with-param name="en" select="'When'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'操作人'"/><xsl:with-param name="en" select="'Actor'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'操作'"/><xsl:with-param name="en" select="'Action'"/></xsl:call-template></th>
          <th><xsl:call-template name="h-stage"/></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'变更'"/><xsl:with-param name="en" select="'Changes'"/></xsl:call-template></th>
        </tr></thead>
        <tbody>
          <xsl:for-each select="$c/audit/event">
            <tr><td><xsl:value-of select="@seq"/></td>
              <td class="text-nowrap"><xsl:apply-templates select="time" mode="time"/></td>
              <td><span title="{@actor}"><xsl:value-of select="@actor-name"/></span></td>
              <td><xsl:value-of select="@action-l"/></td>
              <td><xsl:apply-templates select="stage" mode="l"/></td>
              <td class="changes">
                <xsl:if test="changes"><div class="val"><xsl:value-of select="changes"/></div></xsl:if>
                <xsl:if test="reason"><div><xsl:call-template name="t"><xsl:with-param name="zh" select="'理由'"/><xsl:with-param name="en" select="'Reason'"/></xsl:call-template>: <span class="val"><xsl:value-of select="reason"/></span></div></xsl:if>
              </td></tr>
          </xsl:for-each>
        </tbody>
      </table></div>
    </section>

    <details class="card mb-3 app-verify">
      <summary class="card-header"><xsl:call-template name="t"><xsl:with-param name="zh" select="'验证信息（哈希与链）'"/><xsl:with-param name="en" select="'Verification (hashes and chain)'"/></xsl:call-template></summary>
      <div class="card-body">
        <h4 class="h6"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签名所签数据哈希 (SHA-256)'"/><xsl:with-param name="en" select="'Data signed (SHA-256)'"/></xsl:call-template></h4>
        <div tabindex="0" class="scroll"><table class="table table-sm">
          <tbody>
            <xsl:for-each select="$c/stage/signature">
              <tr><td class="text-nowrap"><xsl:value-of select="concat('#', @seq, ' ')"/><xsl:value-of select="@l"/></td>
                <td><xsl:value-of select="@name"/></td><td><code><xsl:value-of select="@hash"/></code></td></tr>
            </xsl:for-each>
          </tbody>
        </table></div>
        <xsl:for-each select="$c/audit/event[last()]">
          <h4 class="h6"><xsl:call-template name="t"><xsl:with-param name="zh" select="'审计链'"/><xsl:with-param name="en" select="'Audit chain'"/></xsl:call-template></h4>
          <p class="mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'本案最后事件'"/><xsl:with-param name="en" select="'Last event of this case'"/></xsl:call-template>
            <xsl:value-of select="concat(' #', @seq, ' (', count(../event), ') · ')"/>
            <xsl:call-template name="t"><xsl:with-param name="zh" select="'链哈希'"/><xsl:with-param name="en" select="'chain hash'"/></xsl:call-template>
            <xsl:text> </xsl:text><code><xsl:value-of select="@hash"/></code></p>
          <p class="small text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'每个事件的哈希链接前一个事件；验证时重放全部事件并核对每条记录。'"/><xsl:with-param name="en" select='"Each event&apos;s hash chains the one before; verification replays every event and checks every record."'/></xsl:call-template></p>
        </xsl:for-each>
      </div>
    </details>
  </xsl:template>

  <!-- The rejection that sent the case back: who, when, from which stage, why. -->
  <xsl:template match="sent-back">
    <div class="alert alert-danger app-sent-back" role="status">
      <strong><xsl:call-template name="t"><xsl:with-param name="zh" select="'已被驳回'"/><xsl:with-param name="en" select="'Sent back'"/></xsl:call-template></strong>
      <xsl:text> · </xsl:text><xsl:apply-templates select="from" mode="l"/>
      <xsl:text> · </xsl:text><xsl:apply-templates select="." mode="person"/>
      <xsl:text> · </xsl:text><xsl:apply-templates select="time" mode="time"/>
      <div><xsl:call-template name="t"><xsl:with-param name="zh" select="'理由'"/><xsl:with-param name="en" select="'Reason'"/></xsl:call-template>: <span class="val"><xsl:value-of select="reason"/></span></div>
    </div>
  </xsl:template>

  <!-- A stage's values: fields in the definition's order, groups as tables. -->
  <xsl:template match="values">
    <xsl:if test="*">
      <dl class="app-values">
        <xsl:for-each select="*">
          <xsl:choose>
            <xsl:when test="self::group">
              <div class="app-group" data-field="{@id}">
                <dt><xsl:value-of select="@l"/></dt>
                <dd><div tabindex="0" class="scroll"><table class="table table-sm table-bordered rows mb-0">
                  <thead><tr><th class="n">#</th>
                    <xsl:for-each select="column"><th><xsl:value-of select="@l"/></th></xsl:for-each>
                  </tr></thead>
                  <tbody>
                    <xsl:for-each select="row">
                      <tr><td class="n"><xsl:value-of select="@n"/></td>
                        <xsl:for-each select="cell">
                          <td><span class="cell-label" aria-hidden="true"><xsl:value-of select="@l"/></span>
                            <xsl:apply-templates select="*" mode="value"/></td>
                        </xsl:for-each>
                      </tr>
                    </xsl:for-each>
                  </tbody>
                </table></div></dd>
              </div>
            </xsl:when>
            <xsl:otherwise>
              <div class="app-value" data-field="{@id}">
                <dt><xsl:value-of select="@l"/></dt>
                <dd><xsl:apply-templates select="*" mode="value"/></dd>
              </div>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:for-each>
      </dl>
    </xsl:if>
  </xsl:template>

  <xsl:template match="choice" mode="value"><span class="val"><xsl:value-of select="@l"/></span></xsl:template>
  <xsl:template match="person" mode="value"><xsl:apply-templates select="." mode="person"/></xsl:template>
  <xsl:template match="text" mode="value"><span class="val"><xsl:value-of select="."/></span></xsl:template>

  <!-- A signature or a rejection: what, who (printed name and role), when, why. -->
  <xsl:template match="signature">
    <div>
      <xsl:attribute name="class">sig<xsl:if test="@kind = 'reject'"> reject</xsl:if><xsl:if test="@superseded"> superseded</xsl:if></xsl:attribute>
      <strong><xsl:value-of select="@l"/></strong>
      <xsl:text> </xsl:text><xsl:apply-templates select="." mode="person"/>
      <xsl:text> · </xsl:text><xsl:apply-templates select="time" mode="time"/>
      <xsl:if test="reason">
        <div><xsl:call-template name="t"><xsl:with-param name="zh" select="'理由'"/><xsl:with-param name="en" select="'Reason'"/></xsl:call-template>: <span class="val"><xsl:value-of select="reason"/></span></div>
      </xsl:if>
      <xsl:if test="@superseded">
        <div class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已作废(退回后重签)'"/><xsl:with-param name="en" select="'superseded (stage was sent back)'"/></xsl:call-template></div>
      </xsl:if>
      <xsl:if test="/page/case/@round">
        <div class="text-body-secondary app-round"><xsl:call-template name="t"><xsl:with-param name="zh" select="concat('第 ', @round, ' 轮')"/><xsl:with-param name="en" select="concat('round ', @round)"/></xsl:call-template></div>
      </xsl:if>
    </div>
  </xsl:template>

  <!-- Attachments: a thumbnail of each image, a download link for every file, and on an open
       case the upload form (the camera on a tablet) with the store's size limit. -->
  <xsl:template match="attachments">
    <xsl:param name="path"/>
    <section class="card mb-3 app-attachments" id="attachments">
      <div class="card-header"><h3 class="h6 mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'附件'"/><xsl:with-param name="en" select="'Attachments'"/></xsl:call-template>
        <xsl:value-of select="concat(' (', count(file), ')')"/></h3></div>
      <div class="card-body">
        <xsl:if test="not(file)">
          <p class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'暂无附件'"/><xsl:with-param name="en" select="'No attachments yet'"/></xsl:call-template></p>
        </xsl:if>
        <xsl:if test="file">
          <ul class="app-files list-unstyled">
            <xsl:for-each select="file">
              <li class="app-file">
                <a href="{@href}" class="app-file-link">
                  <xsl:choose>
                    <xsl:when test="@image"><img class="app-thumb" src="{@href}?inline=1" alt="{@name}" loading="lazy"/></xsl:when>
                    <xsl:otherwise><span class="app-thumb app-doc" aria-hidden="true"><xsl:choose><xsl:when test="@mime = 'application/pdf'">PDF</xsl:when><xsl:otherwise>FILE</xsl:otherwise></xsl:choose></span></xsl:otherwise>
                  </xsl:choose>
                  <span class="app-file-name"><xsl:value-of select="@name"/></span>
                </a>
                <small class="text-body-secondary d-block"><xsl:value-of select="concat(@size, ' · ')"/><xsl:value-of select="@l"/></small>
                <small class="text-body-secondary d-block"><xsl:apply-templates select="by" mode="person"/><xsl:text> · </xsl:text><xsl:apply-templates select="at" mode="time"/></small>
                <xsl:if test="@note"><small class="d-block app-file-note"><xsl:value-of select="@note"/></small></xsl:if>
              </li>
            </xsl:for-each>
          </ul>
        </xsl:if>
        <xsl:for-each select="upload">
          <form method="post" enctype="multipart/form-data" action="{$path}/attachments" class="app-upload">
            <xsl:call-template name="csrf"/>
            <div class="row g-2">
              <div class="col-12 col-md-6">
                <label class="form-label" for="att-camera"><xsl:call-template name="t"><xsl:with-param name="zh" select="'拍照'"/><xsl:with-param name="en" select="'Take photos'"/></xsl:call-template></label>
                <input class="form-control" type="file" id="att-camera" name="files" accept="image/*" capture="environment" multiple="multiple"/>
              </div>
              <div class="col-12 col-md-6">
                <label class="form-label" for="att-files"><xsl:call-template name="t"><xsl:with-param name="zh" select="'选择文件'"/><xsl:with-param name="en" select="'Choose files'"/></xsl:call-template></label>
                <input class="form-control" type="file" id="att-files" name="files" multiple="multiple"/>
              </div>
              <div class="col-12 col-md-6">
                <label class="form-label" for="att-stage"><xsl:call-template name="t"><xsl:with-param name="zh" select="'所属阶段'"/><xsl:with-param name="en" select="'Stage'"/></xsl:call-template></label>
                <select class="form-select" id="att-stage" name="stage">
                  <xsl:for-each select="stage">
                    <option value="{@stage}"><xsl:if test="@selected"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if><xsl:value-of select="@l"/></option>
                  </xsl:for-each>
                </select>
              </div>
              <div class="col-12 col-md-6">
                <label class="form-label" for="att-note"><xsl:call-template name="t"><xsl:with-param name="zh" select="'备注'"/><xsl:with-param name="en" select="'Note'"/></xsl:call-template></label>
                <input class="form-control" type="text" id="att-note" name="note" maxlength="4000"/>
              </div>
            </div>
            <p class="form-text app-limit" data-limit="{@limit-bytes}">
              <xsl:call-template name="t"><xsl:with-param name="zh" select="concat('每个文件不超过 ', @limit, '，一次最多 ', @files, ' 个文件')"/><xsl:with-param name="en" select="concat('Up to ', @limit, ' per file, ', @files, ' files at a time')"/></xsl:call-template>
            </p>
            <button type="submit" class="btn btn-primary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'上传'"/><xsl:with-param name="en" select="'Upload'"/></xsl:call-template></button>
          </form>
        </xsl:for-each>
      </div>
    </section>
  </xsl:template>
</xsl:stylesheet>
