<?xml version="1.0" encoding="UTF-8"?>
<!-- login.xsl - the sign-in page: the product and the organisation, user and password. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="page[@kind = 'login']" mode="body">
    <main class="app-login">
      <div class="card shadow-sm">
        <div class="card-body">
          <p class="app-login-product">capa</p>
          <p class="app-login-org"><xsl:value-of select="org/@name"/></p>
          <h1 class="h4 mb-3"><xsl:call-template name="title"/></h1>
          <xsl:apply-templates select="notice"/>
          <xsl:apply-templates select="error"/>
          <form method="post" action="/login">
            <input type="hidden" name="csrf" value="{login/@csrf}"/>
            <xsl:if test="login/@keep_path">
              <input type="hidden" name="keep_path" value="{login/@keep_path}"/>
              <input type="hidden" name="keep" value="{login/@keep}"/>
            </xsl:if>
            <div class="mb-3">
              <label class="form-label" for="user">
                <xsl:call-template name="t"><xsl:with-param name="zh" select="'账号'"/><xsl:with-param name="en" select="'User'"/></xsl:call-template>
              </label>
              <input class="form-control" id="user" name="user" autocomplete="username" required="required" value="{login/@user}"/>
            </div>
            <div class="mb-3">
              <label class="form-label" for="password">
                <xsl:call-template name="t"><xsl:with-param name="zh" select="'密码'"/><xsl:with-param name="en" select="'Password'"/></xsl:call-template>
              </label>
              <input class="form-control" id="password" type="password" name="password" autocomplete="current-password" required="required"/>
            </div>
            <button class="btn btn-primary w-100">
              <xsl:call-template name="t"><xsl:with-param name="zh" select="'登录'"/><xsl:with-param name="en" select="'Sign in'"/></xsl:call-template>
            </button>
          </form>
        </div>
      </div>
      <p class="app-login-langs"><xsl:call-template name="langs"/></p>
    </main>
  </xsl:template>
</xsl:stylesheet>
