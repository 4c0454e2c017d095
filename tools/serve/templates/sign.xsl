<?xml version="1.0" encoding="UTF-8"?>
<!-- sign.xsl - the signing dialog: the case, the stage and its data as they will be signed,
     the data hash the signature will carry, the sign-off and the rejection (each with the
     password again). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template match="page[@kind = 'sign']" mode="body">
    <xsl:variable name="path" select="concat('/cases/', str:encode-uri(case/@number, true()))"/>
    <div class="card mb-3"><div class="card-body">
      <dl class="row mb-0 app-facts">
        <dt class="col-sm-3"><xsl:call-template name="h-case"/></dt>
        <dd class="col-sm-9"><xsl:apply-templates select="case" mode="case-link"/>
          <xsl:if test="case/@customer != ''"><xsl:value-of select="concat(' · ', case/@customer)"/></xsl:if></dd>
        <dt class="col-sm-3"><xsl:call-template name="h-stage"/></dt>
        <dd class="col-sm-9"><xsl:apply-templates select="case/stage" mode="l"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签名人'"/><xsl:with-param name="en" select="'Signer'"/></xsl:call-template></dt>
        <dd class="col-sm-9"><xsl:apply-templates select="user" mode="person"/></dd>
        <dt class="col-sm-3"><xsl:call-template name="t"><xsl:with-param name="zh" select="'所签数据哈希'"/><xsl:with-param name="en" select="'Data hash signed'"/></xsl:call-template></dt>
        <dd class="col-sm-9"><code class="hash" id="data-hash"><xsl:value-of select="case/stage/@hash"/></code><br/>
          <small class="text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'SHA-256，随签名记录；数据若在此后变更，签名将被拒绝'"/><xsl:with-param name="en" select="'SHA-256, recorded with the signature; if the data changes after this, the signature is refused'"/></xsl:call-template></small></dd>
      </dl>
    </div></div>
    <xsl:apply-templates select="case/sent-back"/>
    <div class="card mb-3"><div class="card-body"><xsl:apply-templates select="case/stage/values"/></div></div>
    <xsl:if test="sign">
      <form method="post" action="{$path}/sign" class="card card-body mb-3 app-form">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签核含义'"/><xsl:with-param name="en" select="'Meaning'"/></xsl:call-template>: <xsl:call-template name="t"><xsl:with-param name="zh" select="sign/@zh"/><xsl:with-param name="en" select="sign/@en"/></xsl:call-template></h2>
        <xsl:call-template name="csrf"/>
        <input type="hidden" name="seen" value="{case/stage/@hash}"/>
        <input type="hidden" name="meaning" value="{sign/@meaning}"/>
        <div class="mb-3">
          <label class="form-label" for="sign-password"><xsl:call-template name="pw-again"/></label>
          <input class="form-control" id="sign-password" type="password" name="password" required="required" autocomplete="current-password"/>
        </div>
        <p class="mb-0"><button class="btn btn-primary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签核'"/><xsl:with-param name="en" select="'Sign'"/></xsl:call-template></button></p>
      </form>
    </xsl:if>
    <xsl:if test="reject">
      <form method="post" action="{$path}/reject" class="card card-body mb-3 app-form app-reject">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'驳回到'"/><xsl:with-param name="en" select="'Reject back to'"/></xsl:call-template><xsl:text> </xsl:text><xsl:apply-templates select="reject" mode="l"/></h2>
        <xsl:call-template name="csrf"/>
        <input type="hidden" name="seen" value="{case/stage/@hash}"/>
        <div class="mb-3">
          <label class="form-label" for="reject-reason"><xsl:call-template name="t"><xsl:with-param name="zh" select="'理由（必填）'"/><xsl:with-param name="en" select="'Reason (required)'"/></xsl:call-template></label>
          <textarea class="form-control" id="reject-reason" name="reason" required="required" rows="3"></textarea>
        </div>
        <div class="mb-3">
          <label class="form-label" for="reject-password"><xsl:call-template name="pw-again"/></label>
          <input class="form-control" id="reject-password" type="password" name="password" required="required" autocomplete="current-password"/>
        </div>
        <p class="mb-0"><button class="btn btn-danger"><xsl:call-template name="t"><xsl:with-param name="zh" select="'驳回'"/><xsl:with-param name="en" select="'Reject'"/></xsl:call-template></button></p>
      </form>
    </xsl:if>
    <xsl:for-each select="waiver">
      <form method="post" action="{$path}/sign" class="card card-body mb-3 app-form app-waiver">
        <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'豁免签名'"/><xsl:with-param name="en" select="'Waiver'"/></xsl:call-template>: <xsl:call-template name="t"><xsl:with-param name="zh" select="@zh"/><xsl:with-param name="en" select="@en"/></xsl:call-template></h2>
        <p class="small text-body-secondary"><xsl:call-template name="t"><xsl:with-param name="zh" select="'豁免不推进阶段；它代替要求它的签核规则，仅对本轮中此刻的数据有效'"/><xsl:with-param name="en" select="'A waiver moves no stage; it stands in for the sign-off rules naming it, for these data in this round only'"/></xsl:call-template></p>
        <xsl:call-template name="csrf"/>
        <input type="hidden" name="seen" value="{../case/stage/@hash}"/>
        <input type="hidden" name="meaning" value="{@meaning}"/>
        <div class="mb-3">
          <label class="form-label" for="waiver-reason-{position()}"><xsl:call-template name="t"><xsl:with-param name="zh" select="'豁免理由（必填）'"/><xsl:with-param name="en" select="'Reason for the waiver (required)'"/></xsl:call-template></label>
          <textarea class="form-control" id="waiver-reason-{position()}" name="reason" required="required" rows="3"></textarea>
        </div>
        <div class="mb-3">
          <label class="form-label" for="waiver-password-{position()}"><xsl:call-template name="pw-again"/></label>
          <input class="form-control" id="waiver-password-{position()}" type="password" name="password" required="required" autocomplete="current-password"/>
        </div>
        <p class="mb-0"><button class="btn btn-warning"><xsl:call-template name="t"><xsl:with-param name="zh" select="'签署豁免'"/><xsl:with-param name="en" select="'Sign the waiver'"/></xsl:call-template></button></p>
      </form>
    </xsl:for-each>
    <xsl:if test="not(sign) and not(reject) and not(waiver)">
      <p><xsl:call-template name="t"><xsl:with-param name="zh" select="'您的角色不能签核此阶段'"/><xsl:with-param name="en" select="'Your role does not sign this stage'"/></xsl:call-template></p>
    </xsl:if>
  </xsl:template>

  <xsl:template name="pw-again"><xsl:call-template name="t"><xsl:with-param name="zh" select="'再次输入密码（电子签名）'"/><xsl:with-param name="en" select="'Password again (electronic signature)'"/></xsl:call-template></xsl:template>
</xsl:stylesheet>
