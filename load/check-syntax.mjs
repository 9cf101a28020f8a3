// What tsc cannot see about running on stock k6 v0.48 (run by check.sh, with node):
// - the syntax. k6 v0.48 hands every ES module to its bundled Babel 6, which parses ECMAScript 2017 and no later:
//   optional chaining (a?.b), ?? and object spread ({...a}) are syntax errors there, although tsc accepts them.
//   acorn parses each file at ecmaVersion 2017, the same line.
// - the imports. Only relative files and k6's built-in modules: no remote module (https://jslib.k6.io/...: the
//   scripts must run offline and pinned) and no extension (k6/x/..., which needs a custom k6 binary).
//
//   node check-syntax.mjs CACHE_DIR FILE...      CACHE_DIR holds node_modules/acorn (check.sh's install)
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [cache, ...files] = process.argv.slice(2);
const acorn = createRequire(join(cache, 'package.json'))('acorn');

let problems = 0;
for (const file of files) {
  const source = readFileSync(file, 'utf8');
  let ast;
  try {
    ast = acorn.parse(source, { ecmaVersion: 2017, sourceType: 'module', locations: true });
  } catch (e) {
    console.log(`${file}:${e.loc ? `${e.loc.line}:${e.loc.column + 1}` : ''} not ECMAScript 2017, which k6 v0.48 ` +
      `cannot parse: ${e.message}`);
    problems++;
    continue;
  }
  for (const node of ast.body) {
    if (!node.source) {
      continue; // not an import, nor an export ... from
    }
    const from = node.source.value;
    const line = node.loc.start.line;
    if (from.startsWith('k6/x/')) {
      console.log(`${file}:${line} imports the extension '${from}': stock k6 has no extensions`);
      problems++;
    } else if (!(from.startsWith('./') || from.startsWith('../') || from === 'k6' || from.startsWith('k6/'))) {
      console.log(`${file}:${line} imports '${from}': only relative files and k6's built-in modules (no remote ` +
        `or npm modules)`);
      problems++;
    }
  }
}
if (problems > 0) {
  console.log(`load: INVALID: ${problems} syntax or import problem(s)`);
  process.exit(1);
}
