/**
 * Bundles the chat page (examples/web/app.ts and @xmpp/client) for browsers with esbuild:
 * `npm run build:web` (run by `npm test` and `prepare`) writes examples/web/app.bundle.js.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @xmpp/resolve looks SRV records up with node:dns, which a browser lacks; its package.json
 * maps "./lib/dns" away for browsers, but esbuild does not match that key against the
 * "./lib/dns.js" it imports. The page always passes a WebSocket URL, so DNS is never needed.
 */
const noDns = {
  name: 'xmpp-resolve-without-dns',
  setup(b) {
    b.onResolve({ filter: /^\.\/lib\/dns\.js$/ }, (args) =>
      args.importer.includes(join('@xmpp', 'resolve')) ? { path: 'dns', namespace: 'no-dns' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'no-dns' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

await build({
  entryPoints: [join(here, 'app.ts')],
  outfile: join(here, 'app.bundle.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  plugins: [noDns],
  logLevel: 'warning',
});
