// Reproducible build of ../dist/editor.js: `npm ci && npm run build`.
// Output is a single minified IIFE that sets window.JointLabEditor, so Flask templates can
// load it with a plain <script src> and the app needs no Node at run time.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, "..", "dist", "editor.js");
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const BUDGET_GZIP = 250 * 1024;

await build({
  entryPoints: [join(here, "src", "editor.js")],
  outfile,
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020", "chrome90", "firefox90", "safari15"],
  // Licence texts go to a side file instead of bloating the bundle.
  legalComments: "external",
  // No timestamps or absolute paths in the output: the same lockfile gives the same bytes.
  banner: {
    js: `/* JointLab editor ${pkg.version} - built from static/editor-src (npm run build) */`,
  },
  define: { "process.env.NODE_ENV": '"production"' },
  metafile: true,
  logLevel: "warning",
});

const bytes = readFileSync(outfile);
const gz = gzipSync(bytes, { level: 9 }).length;
console.log(
  `dist/editor.js: ${bytes.length} bytes, ${gz} bytes gzipped (${(gz / 1024).toFixed(1)} KiB)`,
);
if (gz > BUDGET_GZIP) {
  console.error(`bundle exceeds the ${BUDGET_GZIP / 1024} KiB gzipped budget`);
  process.exit(1);
}
