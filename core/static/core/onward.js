// Onward's only script. No inline script anywhere, so the Content-Security-Policy can
// forbid it; every behaviour hangs off a data attribute, and every page works without it:
//
//   data-confirm="…"        on a button or form: ask before submitting (destructive actions)
//   data-nav-toggle         on the menu button: open/close the navigation on small screens
//   data-autosubmit         on a select: submit its form when it changes (list filters)
//   data-show-when="f:v"    on a wrapper: show it (and enable its fields) only while the
//                           form's field f has the value v (e.g. kind:customer)
//   data-copy="#id"         on a button: copy the text of the element #id
"use strict";

document.documentElement.classList.add("js");

document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (toggle) {
    const sidebar = toggle.closest(".sidebar");
    const open = sidebar.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
    return;
  }
  const copy = event.target.closest("[data-copy]");
  if (copy && navigator.clipboard) {
    const source = document.querySelector(copy.dataset.copy);
    if (source) {
      navigator.clipboard.writeText(source.innerText.trim()).then(() => {
        copy.textContent = "Copied";
      });
    }
  }
});

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("select[data-autosubmit]") && target.form) {
    target.form.requestSubmit();
  }
  if (target.form) {
    applyShowWhen(target.form);
  }
});

function currentValue(form, name) {
  const checked = form.querySelector(`[name="${name}"]:checked`);
  if (checked) {
    return checked.value;
  }
  const field = form.elements.namedItem(name);
  return field && "value" in field ? field.value : null;
}

function applyShowWhen(form) {
  form.querySelectorAll("[data-show-when]").forEach((element) => {
    const [name, value] = element.dataset.showWhen.split(":");
    const current = currentValue(form, name);
    const show = current === null || current === value;
    element.hidden = !show;
    element.querySelectorAll("input, select, textarea").forEach((field) => {
      field.disabled = !show;
    });
  });
}

document.querySelectorAll("form").forEach((form) => {
  if (form.querySelector("[data-show-when]")) {
    applyShowWhen(form);
  }
});
