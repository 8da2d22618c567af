/**
 * The layering, checked by `npm test` (scripts/test.ts) and by `npm run layering`:
 *   renderer -> shared <- main / server; preload only bridges (shared + electron).
 * bench/, tests/ and scripts/ may import anything, so no rule starts from them.
 * tests/unit/layering.test.ts shows each rule failing on a small tree of its own.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'renderer-not-to-main-server-preload',
      comment: 'The renderer talks to the terminal only through the preload bridge and the shared IPC contract.',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^(main|server|preload)/' },
    },
    {
      name: 'shared-not-to-node',
      comment: 'shared/ runs in the renderer too: no Node built-ins.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'shared-not-to-dom-or-electron',
      comment: 'shared/ runs on the server too: no React, no Electron.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '(^|/)node_modules/(react|react-dom|electron)/' },
    },
    {
      name: 'shared-not-to-app-layers',
      comment: 'shared/ is the bottom layer: it imports nothing from main/, server/, renderer/ or preload/.',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(main|server|renderer|preload)/' },
    },
    {
      name: 'server-not-to-main',
      comment: 'The server and the terminal core meet only in shared/ (the contracts).',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^main/' },
    },
    {
      name: 'main-not-to-server',
      comment: 'The server and the terminal core meet only in shared/ (the contracts).',
      severity: 'error',
      from: { path: '^main/' },
      to: { path: '^server/' },
    },
    {
      name: 'preload-only-shared-and-electron',
      comment: 'The preload only bridges: the shared contract and electron, nothing else.',
      severity: 'error',
      from: { path: '^preload/' },
      to: { pathNot: ['^(preload|shared)/', '(^|/)node_modules/electron/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'preload-not-to-node',
      comment: 'The preload runs sandboxed: no Node built-ins.',
      severity: 'error',
      from: { path: '^preload/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular-in-app-layers',
      comment: 'A circle between modules of the app (main, server, shared, renderer, preload) makes every change in it a change to all of it.',
      severity: 'error',
      from: { path: '^(main|server|shared|renderer|preload)/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing cannot be checked against the rules above.',
      severity: 'error',
      from: { path: '^(main|server|shared|renderer|preload)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(renderer/dist|dist|dist-electron|dist-server|release)/' },
    // Type-only imports count: a renderer that names main/'s types is coupled to main/ all the same.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
