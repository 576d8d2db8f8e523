// dlrkit's own start-up of the vendored Swagger UI (see README.md): the API described by
// /openapi.json, in this origin only (no validator badge, nothing fetched from elsewhere).
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    presets: [SwaggerUIBundle.presets.apis],
    deepLinking: true,
    displayRequestDuration: true,
    showExtensions: true,
    showCommonExtensions: true,
    validatorUrl: null,
  });
});
