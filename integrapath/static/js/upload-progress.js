// Show upload progress for large import files, then a "checking" message.
// Without JavaScript the form still works as a plain upload.
document.querySelectorAll("form[data-upload-progress]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    const input = form.querySelector("input[type=file]");
    if (!input || !input.files.length || !window.XMLHttpRequest) return;
    event.preventDefault();
    const bar = form.querySelector("[data-progress]");
    const fill = form.querySelector("[data-progress-bar]");
    const checking = form.querySelector("[data-progress-checking]");
    const button = form.querySelector("[type=submit]");
    bar.classList.remove("d-none");
    button.disabled = true;
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", (progress) => {
      if (!progress.lengthComputable) return;
      const percent = Math.round((progress.loaded / progress.total) * 100);
      fill.style.width = percent + "%";
      bar.setAttribute("aria-valuenow", String(percent));
      if (percent === 100) checking.classList.remove("d-none");
    });
    request.addEventListener("load", () => {
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL);
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.addEventListener("error", () => form.submit());
    request.send(new FormData(form));
  });
});
