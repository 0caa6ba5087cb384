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

// A form that writes is sent once: a second click while it is sending does nothing, and its
// buttons are disabled (after the browser has read the clicked button's name and value). The
// server refuses a second use of the form's one-time token anyway; this spares the wait.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (
    !(form instanceof HTMLFormElement) ||
    form.method.toLowerCase() !== "post" ||
    form.hasAttribute("hx-post")
  ) {
    return;
  }
  if (form.dataset.sending === "true") {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  form.setAttribute("aria-busy", "true");
  window.setTimeout(() => {
    for (const button of form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")) {
      button.disabled = true;
    }
  }, 0);
});

// Coming back with the browser's back button shows the page as it was left: sendable again
// (the server then says it was already sent, if it was).
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) {
    return;
  }
  for (const form of document.querySelectorAll("form[data-sending]")) {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button, input[type=submit]")) {
      button.disabled = false;
    }
  }
});

// Postal code → address. When the postal code changes, its address (looked up on the server,
// offline) is put in front of what the address field holds, never in place of it: text typed
// before or while the answer was on its way stays, in its order, and the cursor stays in the
// typed text, after the completed part.
function completedAddress(prefix, typed) {
  if (!prefix || typed.startsWith(prefix)) {
    return null;
  }
  // the typed text may already begin with the end of the prefix (戸破4200 for …射水市戸破)
  for (let cut = 0; cut < prefix.length; cut += 1) {
    const tail = prefix.slice(cut);
    if (tail.length >= 2 && typed.startsWith(tail)) {
      return { value: prefix.slice(0, cut) + typed, added: cut };
    }
  }
  return { value: prefix + typed, added: prefix.length };
}

document.addEventListener("change", async (event) => {
  const postal = event.target.closest("[data-postal-lookup]");
  if (!postal) {
    return;
  }
  const field = document.getElementById(postal.dataset.addressField);
  const status = document.getElementById(postal.dataset.status);
  const code = postal.value.trim();
  if (!field || !code) {
    return;
  }
  const url = `${postal.dataset.postalLookup}?${new URLSearchParams({ postal_code: code })}`;
  let answer;
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    answer = await response.json();
  } catch {
    return;
  }
  if (status) {
    status.textContent = answer.message || "";
  }
  // read the field now, not before the request: what was typed meanwhile is kept
  const typed = field.value;
  const done = completedAddress(answer.address, typed);
  if (!done) {
    return;
  }
  const focused = document.activeElement === field;
  const start = focused ? field.selectionStart : typed.length;
  const end = focused ? field.selectionEnd : typed.length;
  field.value = done.value;
  field.dispatchEvent(new Event("input", { bubbles: true }));
  if (focused) {
    field.setSelectionRange(start + done.added, end + done.added);
  }
  if (status && !answer.message) {
    status.textContent = `郵便番号から「${answer.address}」を入れました`;
  }
});
