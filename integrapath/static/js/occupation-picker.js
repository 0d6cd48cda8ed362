// The occupation picker without a page load: as you type, the matching ISCO-08 unit groups
// replace the choices. Without this script the search form reloads the page with them.
const search = document.getElementById("occupation-search");
const results = document.getElementById("occupation-results");
if (search && results) {
  const input = search.querySelector("input[type=search]");
  let timer = null;
  let latest = 0;
  const show = (occupations) => {
    const chosen = results.querySelector("input:checked")?.value;
    const kept = [...results.querySelectorAll(".form-check")].filter(
      (row) => row.querySelector("input").value === chosen);
    results.replaceChildren(...kept);
    occupations.filter((item) => item.code !== chosen).forEach((item) => {
      const row = document.createElement("div");
      row.className = "form-check";
      const radio = document.createElement("input");
      radio.className = "form-check-input";
      radio.type = "radio";
      radio.name = "work-isco_code";
      radio.id = `isco-${item.code}`;
      radio.value = item.code;
      const label = document.createElement("label");
      label.className = "form-check-label";
      label.htmlFor = radio.id;
      label.textContent = `${item.title} (${item.code})`;
      row.append(radio, label);
      results.append(row);
    });
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = input.value.trim();
      if (query.length < 2) return;
      const asked = ++latest;
      const response = await fetch(`${search.dataset.occupations}?q=${encodeURIComponent(query)}`,
        { headers: { Accept: "application/json" } });
      if (response.ok && asked === latest) show(await response.json());
    }, 200);
  });
}
