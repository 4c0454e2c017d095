<?xml version="1.0" encoding="UTF-8"?>
<!-- notices.xsl - "what reached me" (the notices for the signed-in user, newest first) and,
     for admins, the outbox: each target's state (waiting, failed with its error and next
     try, last delivery; retry) and every delivery that waits. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">

  <xsl:template name="notice-what">
    <xsl:choose>
      <xsl:when test="@kind = 'returned'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'被退回'"/><xsl:with-param name="en" select="'Sent back to'"/></xsl:call-template><xsl:text> </xsl:text><xsl:value-of select="@stage"/></xsl:when>
      <xsl:when test="@kind = 'closed'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已结案'"/><xsl:with-param name="en" select="'Closed'"/></xsl:call-template></xsl:when>
      <xsl:when test="@kind = 'owner'"><xsl:call-template name="t"><xsl:with-param name="zh" select="'首问负责人变更'"/><xsl:with-param name="en" select="'New first-contact owner'"/></xsl:call-template></xsl:when>
      <xsl:otherwise><xsl:call-template name="t"><xsl:with-param name="zh" select="'进入'"/><xsl:with-param name="en" select="'Entered'"/></xsl:call-template><xsl:text> </xsl:text><xsl:value-of select="@stage"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="notice-rows">
    <xsl:param name="target"/>
    <div tabindex="0" class="scroll"><table class="table table-hover align-middle mb-0">
      <thead><tr>
        <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'时间'"/><xsl:with-param name="en" select="'When'"/></xsl:call-template></th>
        <xsl:if test="$target"><th><xsl:call-template name="t"><xsl:with-param name="zh" select="'发往'"/><xsl:with-param name="en" select="'Target'"/></xsl:call-template></th></xsl:if>
        <th><xsl:call-template name="h-case"/></th>
        <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'事件'"/><xsl:with-param name="en" select="'What'"/></xsl:call-template></th>
        <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'操作人'"/><xsl:with-param name="en" select="'By'"/></xsl:call-template></th>
        <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'通知'"/><xsl:with-param name="en" select="'To'"/></xsl:call-template></th>
        <xsl:if test="not($target)"><th><xsl:call-template name="t"><xsl:with-param name="zh" select="'状态'"/><xsl:with-param name="en" select="'State'"/></xsl:call-template></th></xsl:if>
      </tr></thead>
      <tbody>
        <xsl:for-each select="notice">
          <tr class="notice" data-kind="{@kind}">
            <td><time datetime="{when/@iso}"><xsl:value-of select="when/@text"/></time></td>
            <xsl:if test="$target"><td><xsl:value-of select="@target"/></td></xsl:if>
            <td><xsl:apply-templates select="." mode="case-link"/></td>
            <td><xsl:call-template name="notice-what"/>
              <xsl:if test="reason"><div class="val"><xsl:value-of select="reason"/></div></xsl:if></td>
            <td><xsl:value-of select="@actor"/></td>
            <td><xsl:for-each select="to"><xsl:if test="position() &gt; 1">, </xsl:if><xsl:value-of select="@name"/> (<xsl:value-of select="@why"/>)</xsl:for-each></td>
            <xsl:if test="not($target)"><td>
              <xsl:choose>
                <xsl:when test="@pending"><span class="badge text-bg-warning"><xsl:call-template name="t"><xsl:with-param name="zh" select="'待发送'"/><xsl:with-param name="en" select="'Waiting'"/></xsl:call-template></span></xsl:when>
                <xsl:otherwise><span class="badge text-bg-success"><xsl:call-template name="t"><xsl:with-param name="zh" select="'已送达'"/><xsl:with-param name="en" select="'Delivered'"/></xsl:call-template></span></xsl:otherwise>
              </xsl:choose></td></xsl:if>
          </tr>
        </xsl:for-each>
      </tbody>
    </table></div>
  </xsl:template>

  <!-- A contact form (contact: mobile, e-mail, a checkbox per kind of notice) posting to
       $action; the password field says whose password confirms it. -->
  <xsl:template name="contact-form">
    <xsl:param name="action"/>
    <xsl:param name="pw"/>
    <xsl:variable name="c" select="contact"/>
    <form method="post" action="{$action}" class="card card-body app-form" id="form-contact">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'联系方式与通知选择'"/><xsl:with-param name="en" select="'Contact and notice choices'"/></xsl:call-template></h2>
      <xsl:call-template name="csrf"/>
      <input type="hidden" name="notify_form" value="1"/>
      <div class="row g-3 mb-3">
        <div class="col-md-6">
          <label class="form-label" for="contact-mobile"><xsl:call-template name="t"><xsl:with-param name="zh" select="'手机（+86…，群机器人 @ 用）'"/><xsl:with-param name="en" select="'Mobile (+86…, for robot @-mentions)'"/></xsl:call-template></label>
          <input class="form-control" id="contact-mobile" name="mobile" type="tel" maxlength="21" value="{$c/@mobile}"/>
        </div>
        <div class="col-md-6">
          <label class="form-label" for="contact-email"><xsl:call-template name="t"><xsl:with-param name="zh" select="'电子邮件'"/><xsl:with-param name="en" select="'E-mail'"/></xsl:call-template></label>
          <input class="form-control" id="contact-email" name="email" type="email" value="{$c/@email}"/>
        </div>
      </div>
      <fieldset class="mb-3 app-notify"><legend class="form-label fs-6"><xsl:call-template name="t"><xsl:with-param name="zh" select="'接收哪些通知'"/><xsl:with-param name="en" select="'Which notices'"/></xsl:call-template></legend>
        <xsl:for-each select="$c/kind">
          <div class="form-check">
            <input class="form-check-input" type="checkbox" name="notify" value="{@id}" id="notify-{@id}">
              <xsl:if test="@on"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if>
            </input>
            <label class="form-check-label" for="notify-{@id}"><xsl:value-of select="@l"/></label>
          </div>
        </xsl:for-each>
      </fieldset>
      <xsl:choose>
        <xsl:when test="$pw = 'admin'"><xsl:call-template name="admin-pw"><xsl:with-param name="id" select="'contact-password'"/></xsl:call-template></xsl:when>
        <xsl:otherwise>
          <div class="mb-3">
            <label class="form-label" for="contact-password"><xsl:call-template name="t"><xsl:with-param name="zh" select="'您的密码（确认此项更改）'"/><xsl:with-param name="en" select="'Your password (confirms this change)'"/></xsl:call-template></label>
            <input class="form-control" id="contact-password" type="password" name="password" required="required" autocomplete="current-password"/>
          </div>
        </xsl:otherwise>
      </xsl:choose>
      <p class="mb-0"><button class="btn btn-primary" type="submit"><xsl:call-template name="t"><xsl:with-param name="zh" select="'保存'"/><xsl:with-param name="en" select="'Save'"/></xsl:call-template></button></p>
    </form>
  </xsl:template>

  <xsl:template match="page[@kind = 'notices']" mode="body">
    <xsl:apply-templates select="done"/>
    <section class="panel" id="notices">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'我收到的通知'"/><xsl:with-param name="en" select="'What reached me'"/></xsl:call-template>
        <xsl:text> </xsl:text><span class="count"><xsl:value-of select="count(notices/notice)"/></span></h2>
      <xsl:if test="notices/@admin"><p><a href="/notices/outbox"><xsl:call-template name="t"><xsl:with-param name="zh" select="'通知发送队列'"/><xsl:with-param name="en" select="'Notice outbox'"/></xsl:call-template></a></p></xsl:if>
      <xsl:choose>
        <xsl:when test="not(notices/notice)"><p class="text-body-secondary mb-0"><xsl:call-template name="t"><xsl:with-param name="zh" select="'暂无通知'"/><xsl:with-param name="en" select="'No notices yet'"/></xsl:call-template></p></xsl:when>
        <xsl:otherwise><xsl:for-each select="notices"><xsl:call-template name="notice-rows"/></xsl:for-each></xsl:otherwise>
      </xsl:choose>
    </section>
    <xsl:if test="contact">
      <section class="mt-3" id="my-contact">
        <xsl:call-template name="contact-form"><xsl:with-param name="action" select="'/notices'"/></xsl:call-template>
      </section>
    </xsl:if>
  </xsl:template>

  <xsl:template match="page[@kind = 'outbox']" mode="body">
    <section class="panel" id="targets">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'发送目标'"/><xsl:with-param name="en" select="'Targets'"/></xsl:call-template></h2>
      <div tabindex="0" class="scroll"><table class="table align-middle mb-0">
        <thead><tr><th><xsl:call-template name="t"><xsl:with-param name="zh" select="'名称'"/><xsl:with-param name="en" select="'Name'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'渠道'"/><xsl:with-param name="en" select="'Channel'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'待发送'"/><xsl:with-param name="en" select="'Waiting'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'状态'"/><xsl:with-param name="en" select="'State'"/></xsl:call-template></th>
          <th><xsl:call-template name="t"><xsl:with-param name="zh" select="'上次送达'"/><xsl:with-param name="en" select="'Last delivered'"/></xsl:call-template></th><th></th></tr></thead>
        <tbody>
          <xsl:for-each select="targets/target">
            <tr class="target" data-name="{@name}">
              <td><xsl:value-of select="@name"/></td>
              <td><xsl:value-of select="@kind"/><xsl:text> </xsl:text><span class="text-body-secondary"><xsl:value-of select="@url"/></span>
                <xsl:if test="@signed"><xsl:text> </xsl:text><span class="badge text-bg-secondary">加签 signed</span></xsl:if></td>
              <td><xsl:value-of select="@waiting"/></td>
              <td><xsl:choose>
                <xsl:when test="@failed"><span class="badge text-bg-danger"><xsl:call-template name="t"><xsl:with-param name="zh" select="'失败'"/><xsl:with-param name="en" select="'Failed'"/></xsl:call-template> × <xsl:value-of select="@failed"/></span>
                  <div class="val"><xsl:value-of select="error"/></div>
                  <xsl:if test="next/@text"><div><xsl:call-template name="t"><xsl:with-param name="zh" select="'下次重试'"/><xsl:with-param name="en" select="'Next try'"/></xsl:call-template>: <time datetime="{next/@iso}"><xsl:value-of select="next/@text"/></time></div></xsl:if></xsl:when>
                <xsl:otherwise><span class="badge text-bg-success">OK</span></xsl:otherwise></xsl:choose></td>
              <td><time datetime="{delivered/@iso}"><xsl:value-of select="delivered/@text"/></time></td>
              <td class="text-end"><xsl:if test="@failed">
                <form method="post" action="/notices/outbox"><xsl:call-template name="csrf"/>
                  <input type="hidden" name="retry" value="{@name}"/>
                  <button type="submit" class="btn btn-outline-primary btn-sm"><xsl:call-template name="t"><xsl:with-param name="zh" select="'立即重试'"/><xsl:with-param name="en" select="'Retry now'"/></xsl:call-template></button>
                </form></xsl:if></td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table></div>
    </section>
    <section class="panel" id="outbox">
      <h2 class="h5"><xsl:call-template name="t"><xsl:with-param name="zh" select="'待发送'"/><xsl:with-param name="en" select="'Waiting'"/></xsl:call-template>
        <xsl:text> </xsl:text><span class="count"><xsl:value-of select="count(notices/notice)"/></span></h2>
      <xsl:for-each select="notices"><xsl:call-template name="notice-rows"><xsl:with-param name="target" select="1"/></xsl:call-template></xsl:for-each>
    </section>
  </xsl:template>
</xsl:stylesheet>
