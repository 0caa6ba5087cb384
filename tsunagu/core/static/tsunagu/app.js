// Small behaviours wired by data attributes (no inline handlers).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

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
