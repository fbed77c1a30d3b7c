import * as JL from "./app.js";
// /api/v1/docs: the OpenAPI document in Swagger UI (bundled in static/vendor,
// no CDN). "Try it out" runs as the reader: same-origin calls carry the
// session cookie, and writes the page's CSRF token; a token pasted under
// "Authorize" is sent as a bearer token instead (the server then ignores the
// cookie: bearer calls are stateless).
export function start() {
  const root = document.getElementById("swagger");
  if (!root || !window.SwaggerUIBundle) return;
  window.SwaggerUIBundle({
    url: root.dataset.src,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // no call to swagger.io
    filter: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    showCommonExtensions: true,
    withCredentials: true,
    requestInterceptor: (req) => {
      const bearer = req.headers && (req.headers.Authorization || req.headers.authorization);
      if (!bearer && JL.csrf) req.headers["X-CSRF-Token"] = JL.csrf;
      return req;
    },
  });
}
