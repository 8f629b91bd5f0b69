// Kept out of the page so the Content-Security-Policy can forbid inline script.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: node.dataset.url, dom_id: "#swagger-ui", deepLinking: false });
});
