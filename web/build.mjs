// Builds the page into the directory given as the only argument (the server's build script
// passes its OUT_DIR; `npm run build` uses ./dist): index.html, app.js, app.css (every
// style sheet the script imports) and the
// service worker sw.js, whose cache name carries a hash of everything it caches.
import { build } from 'esbuild'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = process.argv[2]
if (!out) {
  console.error('usage: node build.mjs OUT_DIR')
  process.exit(2)
}
mkdirSync(out, { recursive: true })

await build({
  entryPoints: { app: join(here, 'src/main.jsx') },
  outdir: out,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning'
})
copyFileSync(join(here, 'src/index.html'), join(out, 'index.html'))

const version = createHash('sha256')
for (const name of ['index.html', 'app.js', 'app.css']) {
  version.update(readFileSync(join(out, name)))
}
const worker = readFileSync(join(here, 'src/sw.js'), 'utf8')
  .replace('__BUILD_VERSION__', version.digest('hex').slice(0, 16))
writeFileSync(join(out, 'sw.js'), worker)
