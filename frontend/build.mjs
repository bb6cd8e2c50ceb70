// Builds the pages' assets into service/static/govuk/ (run by `make setup` through `npm run build`):
// the GOV.UK Frontend stylesheet compiled from Sass with our settings, and its script.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "service", "static", "govuk");
mkdirSync(out, { recursive: true });

const css = sass.compile(join(root, "frontend", "app.scss"), {
  style: "compressed",
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
  silenceDeprecations: ["import"],
}).css;
if (/GDS Transport|@font-face/.test(css)) {
  throw new Error("the stylesheet ships the GOV.UK font: check $govuk-font-family and $govuk-include-default-font-face");
}
writeFileSync(join(out, "app.css"), css);

const dist = join(root, "node_modules", "govuk-frontend", "dist", "govuk");
copyFileSync(join(dist, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
const version = JSON.parse(readFileSync(join(root, "node_modules", "govuk-frontend", "package.json"))).version;
writeFileSync(join(out, "VERSION"), version + "\n");
console.log(`built service/static/govuk/ (govuk-frontend ${version}, ${css.length} bytes of CSS)`);
