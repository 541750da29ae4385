// Starts Swagger UI for /docs (an external file: the page's CSP forbids inline script).
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No call to the public validator service: nothing leaves for a third party.
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
  });
});
