// Onward's only script. No inline script anywhere, so the Content-Security-Policy can
// forbid it; every behaviour hangs off a data attribute, and every page works without it:
//
//   data-confirm="…"        on a button or form: ask before submitting (destructive actions)
//   data-nav-toggle         on the menu button: open/close the navigation on small screens
//   data-autosubmit         on a select: submit its form when it changes (list filters)
//   data-show-when="f:v"    on a wrapper: show it (and enable its fields) only while the
//                           form's field f has the value v (e.g. kind:customer)
//   data-copy="#id"         on a button: copy the text of the element #id
//   data-job-poll="url"     on a job run's panel: fetch the run's JSON from url every
//                           second and update [data-job-status], [data-job-progress],
//                           [data-job-percent] and [data-job-message] inside it; reload
//                           the page once the run is done, to show its result or error
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

function followJob(panel) {
  const show = (run) => {
    const status = panel.querySelector("[data-job-status]");
    if (status) {
      status.textContent = run.status;
      status.className = `badge status-${run.status}`;
    }
    panel.querySelectorAll("[data-job-progress]").forEach((bar) => {
      bar.value = run.progress;
      bar.textContent = `${run.progress}%`;
    });
    panel.querySelectorAll("[data-job-percent]").forEach((text) => {
      text.textContent = `${run.progress}%`;
    });
    const message = panel.querySelector("[data-job-message]");
    if (message) {
      message.textContent = run.message || "";
    }
  };
  const poll = () => {
    fetch(panel.dataset.jobPoll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((run) => {
        show(run);
        if (run.done) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(() => window.setTimeout(poll, 5000));
  };
  window.setTimeout(poll, 1000);
}

document.querySelectorAll("[data-job-poll]").forEach(followJob);
