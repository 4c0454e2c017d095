<?xml version="1.0" encoding="UTF-8"?>
<!-- page.xsl - the pages of capa serve: what tools/serve/view.c applies to every view
     (<page kind="..." lang="...">, built by pages.c). The layout and the shared pieces are in
     layout.xsl; each kind of page has its file. XSLT writes every text and attribute
     escaped; a value placed into a URL goes through str:encode-uri. Output escaping is
     never turned off (tests/e2e/serve_templates.sh checks). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:str="http://exslt.org/strings" extension-element-prefixes="str">
  <xsl:output method="html" encoding="UTF-8" indent="no"/>
  <xsl:include href="layout.xsl"/>
  <xsl:include href="login.xsl"/>
  <xsl:include href="dashboard.xsl"/>
  <xsl:include href="list.xsl"/>
  <xsl:include href="form.xsl"/>
  <xsl:include href="case.xsl"/>
  <xsl:include href="sign.xsl"/>
  <xsl:include href="report.xsl"/>
  <xsl:include href="escalations.xsl"/>
  <xsl:include href="admin.xsl"/>
  <xsl:include href="import.xsl"/>
  <xsl:include href="admin_sys.xsl"/>
  <xsl:include href="notices.xsl"/>
</xsl:stylesheet>
