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
