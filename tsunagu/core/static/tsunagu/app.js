// Small behaviours wired by data attributes (no inline handlers).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// Idle timeout warning. The server ends a session after data-idle-timeout seconds without a
// request (IdleTimeoutMiddleware); this shows a warning data-idle-warning seconds before, lets
// the user go on, and at the end leaves the page, so that personal data does not stay on an
// unattended screen. Tabs share the time of the last activity through localStorage.
(() => {
  const body = document.body;
  const timeout = Number(body.dataset.idleTimeout || 0) * 1000;
  if (!timeout) {
    return;
  }
  const warning = Number(body.dataset.idleWarning || 0) * 1000;
  const key = "tsunagu:last-activity";
  const dialog = document.getElementById("idle-warning");
  const remaining = dialog && dialog.querySelector("[data-idle-remaining]");
  const touch = () => {
    try {
      localStorage.setItem(key, String(Date.now()));
    } catch (e) {
      // storage may be disabled; this tab's own timer still works
    }
    body.dataset.lastActivity = String(Date.now());
  };
  const last = () => {
    let shared = 0;
    try {
      shared = Number(localStorage.getItem(key) || 0);
    } catch (e) {
      shared = 0;
    }
    return Math.max(shared, Number(body.dataset.lastActivity || 0));
  };
  touch();
  document.addEventListener("htmx:afterRequest", touch);
  const csrf = () => {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  };
  if (dialog) {
    dialog.querySelector("[data-idle-continue]").addEventListener("click", () => {
      fetch(body.dataset.keepaliveUrl, {
        method: "POST",
        headers: {"X-CSRFToken": csrf()},
        credentials: "same-origin",
      }).then(touch);
      dialog.close();
    });
  }
  setInterval(() => {
    const idle = Date.now() - last();
    if (idle >= timeout) {
      const form = document.getElementById("logout-form");
      if (form) {
        form.submit();
      } else {
        window.location.reload();
      }
      return;
    }
    if (dialog && idle >= timeout - warning) {
      if (remaining) {
        remaining.textContent = String(Math.ceil((timeout - idle) / 1000));
      }
      if (!dialog.open) {
        dialog.showModal();
      }
    } else if (dialog && dialog.open) {
      dialog.close();  // another tab was used meanwhile
    }
  }, 1000);
})();
// A form marked data-submit-once is sent once: a second click (or Enter) while the first is
// on its way does nothing. The server also ignores a repeat of the same form (its hidden
// submission id), so this is a courtesy, not the guarantee.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-submit-once]");
  if (!form) {
    return;
  }
  if (form.dataset.sent === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "true";
  form.setAttribute("aria-busy", "true");
});
