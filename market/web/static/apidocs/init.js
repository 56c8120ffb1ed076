// Starts Swagger UI on /schema. Kept in a file (no inline script: the CSP allows scripts from
// this origin only). The document's address comes from the page's data-openapi attribute.
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    // BaseLayout: no top bar, whose logo carries an inline style the CSP refuses.
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
