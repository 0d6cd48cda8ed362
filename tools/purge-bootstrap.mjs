// Keep only the Bootstrap rules that the templates, the Python code and our scripts use.
// `make css` runs this with Bootstrap and PurgeCSS from npm; the output is committed, so
// neither `make run` nor production needs Node. A test checks it is up to date.
import { readFileSync, writeFileSync } from "node:fs";
import { PurgeCSS } from "purgecss";

const bootstrap = "node_modules/bootstrap/dist/css";
const output = process.argv[2] ?? "integrapath/static/vendor/bootstrap";
const { version } = JSON.parse(readFileSync("node_modules/bootstrap/package.json", "utf8"));

const results = await new PurgeCSS().purge({
  content: ["templates/**/*.html", "integrapath/**/*.py", "integrapath/static/js/**/*.js"],
  css: [`${bootstrap}/bootstrap.min.css`, `${bootstrap}/bootstrap.rtl.min.css`],
  safelist: {
    // Class names that templates put together: alert-{{ category }}, btn-{{ style }}.
    standard: [/^alert-(success|info|warning|danger)$/, /^btn-outline-/],
  },
  variables: true,
  keyframes: true,
  fontFace: true,
});

for (const { file, css } of results) {
  const name = file.split("/").pop().replace(".min.css", ".purged.min.css");
  const header = `/* Bootstrap v${version} (MIT, see LICENSE), only the rules IntegraPath uses: make css */`;
  const body = css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s*\n\s*/g, " ").trim();
  // @charset must stay the first thing in the file.
  const charset = '@charset "UTF-8";';
  const rules = body.startsWith(charset) ? body.slice(charset.length) : body;
  writeFileSync(`${output}/${name}`, `${charset}${header}${rules}\n`);
}
