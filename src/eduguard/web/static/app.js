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
// The collapsible sidebar at narrow widths.
document.addEventListener("DOMContentLoaded", function () {
  var toggle = document.getElementById("nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // The review form's PI type chooser fills the code field it stands for.
  document.querySelectorAll("fieldset.type-chooser").forEach(function (chooser) {
    var target = document.getElementById(chooser.dataset.target);
    if (!target) { return; }
    var field = target.closest("label");
    if (field) { field.hidden = true; }
    chooser.addEventListener("change", function () {
      var codes = [];
      chooser.querySelectorAll("input[type=checkbox]:checked").forEach(function (box) { codes.push(box.value); });
      target.value = codes.join(",");
      var decision = document.getElementById("decision");
      if (decision) { decision.value = "correct"; }
    });
  });
});
