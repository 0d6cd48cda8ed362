// Enhancements only: every page works without this script.

// Menus (<details data-menu>): a click elsewhere or Escape closes an open one.
const menus = document.querySelectorAll("details[data-menu]");
document.addEventListener("click", (event) => {
  menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  menus.forEach((menu) => {
    if (!menu.open) return;
    menu.open = false;
    menu.querySelector("summary").focus();
  });
});

// Without a connection a form is not sent, so nothing typed is lost; say so in the form.
// Capture phase: this runs before a form's own handlers (such as the upload progress).
const offlineMessage = document.getElementById("offline-message");
document.addEventListener("submit", (event) => {
  const form = event.target;
  form.querySelector("[data-offline]")?.remove();
  if (navigator.onLine || !offlineMessage) return;
  event.preventDefault();
  event.stopPropagation();
  form.prepend(offlineMessage.content.cloneNode(true));
}, true);

// Forms marked data-busy-on-submit send once: a second click would create a second record.
document.querySelectorAll("form[data-busy-on-submit]").forEach((form) => {
  form.addEventListener("submit", () => {
    // Disable after the browser has taken the submitter's name and value into the request.
    window.setTimeout(() => {
      form.querySelectorAll("[type=submit]").forEach((button) => { button.disabled = true; });
    }, 0);
    const message = form.querySelector("[data-busy-message]");
    if (message) message.classList.remove("d-none");
  });
});

// Back to a page whose submission failed on the way: its buttons work again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  document.querySelectorAll("form[data-busy-on-submit]").forEach((form) => {
    form.querySelectorAll("[type=submit]").forEach((button) => { button.disabled = false; });
    form.querySelector("[data-busy-message]")?.classList.add("d-none");
  });
});
