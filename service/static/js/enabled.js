// GOV.UK Frontend styles some components differently once JavaScript runs; it looks for these
// classes on <body>. A file, not an inline script: the pages' CSP allows our own scripts only.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
