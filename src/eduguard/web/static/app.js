// Console behaviour without inline script (the CSP forbids it).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
// htmx requests carry the session's CSRF token, read from a form on the page.
document.addEventListener("htmx:configRequest", function (event) {
  var field = document.querySelector("input[name=csrf_token]");
  if (field) { event.detail.headers["X-CSRF-Token"] = field.value; }
});
