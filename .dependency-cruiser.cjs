/**
 * The dependency rule (CONTRIBUTING.md, docs/architecture.md): each folder of src/ imports only
 * the folders below it, and no module imports itself round a cycle. `npm run lint` runs it.
 *
 * From the bottom: core (shared types and limits), util, gen (generated protobuf code); then
 * protocol (wire conversions), codec (libyuv/openh264 wrappers), media (MP4); sources (display
 * sources), scheduler (latching frames), render (per-client images); server (the gRPC service)
 * and, beside it and never importing it, clients (the client library, recorder, viewer,
 * screenshot); then metrics, embedding, and cli on top.
 */
const BELOW = {
  core: [],
  util: ['core'],
  gen: [],
  protocol: ['gen', 'core', 'util'],
  codec: ['core', 'util'],
  media: ['codec', 'core', 'util'],
  sources: ['codec', 'core', 'util'],
  scheduler: ['sources', 'core', 'util'],
  render: ['scheduler', 'sources', 'codec', 'core', 'util'],
  server: ['protocol', 'gen', 'render', 'scheduler', 'sources', 'codec', 'core', 'util'],
  clients: ['protocol', 'gen', 'media', 'codec', 'core', 'util'],
  metrics: ['server', 'clients', 'sources', 'core', 'util'],
  embedding: ['server', 'sources', 'scheduler', 'core', 'util'],
};

const layerRules = Object.entries(BELOW).map(([folder, below]) => ({
  name: `${folder}-imports-only-below`,
  comment: `src/${folder} may import only itself${below.length ? ` and ${below.join(', ')}` : ''}`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: '^src/', pathNot: [`^src/${folder}/`, ...below.map((name) => `^src/${name}/`)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'a module must not import itself through others',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'client-core-imports-no-client-program',
      comment: 'the client library (src/clients/*.ts) is below the recorder, viewer and screenshot built on it; only its index re-exports them',
      severity: 'error',
      from: { path: '^src/clients/[^/]+\\.ts$', pathNot: '^src/clients/index\\.ts$' },
      to: { path: '^src/clients/[^/]+/' },
    },
    ...layerRules,
    {
      name: 'known-folders-only',
      comment: 'every folder of src/ has its place in the rule above (add a new one there)',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${[...Object.keys(BELOW), 'cli'].join('|')})/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/clients/viewer/page/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
