// Small progressive enhancements. No inline handlers: the CSP allows only our own scripts.
(function () {
  "use strict";
  // Confirm before destructive actions: <form data-confirm="Remove X?">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // Close an open <details class="menu"> when clicking elsewhere or pressing Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) { if (d !== except) d.removeAttribute("open"); });
  }
  document.addEventListener("click", function (event) { closeMenus(event.target.closest && event.target.closest("details.menu")); });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closeMenus(null); });
  // "Select all" checkboxes: <input type="checkbox" data-select-all="name-of-boxes">
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      if (!box.disabled) box.checked = event.target.checked;
    });
  });
})();

// Searchable picker: <input data-filter-select="select-id"> hides options that do not contain the text.
document.addEventListener("input", function (event) {
  var id = event.target.getAttribute && event.target.getAttribute("data-filter-select");
  if (!id) return;
  var select = document.getElementById(id);
  if (!select) return;
  var needle = event.target.value.trim().toLowerCase();
  var firstVisible = null;
  Array.prototype.forEach.call(select.options, function (option, index) {
    if (index === 0) return;
    var show = !needle || option.text.toLowerCase().indexOf(needle) !== -1;
    option.hidden = !show;
    if (show && !firstVisible) firstVisible = option;
  });
  if (needle && firstVisible) select.value = firstVisible.value;
});

// <select data-autosubmit> submits its form on change (the Show button stays for keyboard users).
document.addEventListener("change", function (event) {
  if (event.target.matches && event.target.matches("select[data-autosubmit]")) {
    var form = event.target.form;
    if (form && event.target.id === "calendar") {
      var period = form.querySelector("#period");
      if (period) period.disabled = true;  // a new calendar has its own periods
    }
    if (form) form.submit();
  }
});
