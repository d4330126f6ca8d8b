// Onward's only script: confirmation before destructive actions. No inline script
// anywhere, so the Content-Security-Policy can forbid it.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = (button && button.dataset.confirm) || event.target.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
