// Starts Swagger UI on the page's OpenAPI document (a file, so the Content-Security-Policy
// needs no inline script). The document's address is the element's data-spec attribute.
window.addEventListener("load", function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: element.dataset.spec, dom_id: "#swagger-ui" });
});
