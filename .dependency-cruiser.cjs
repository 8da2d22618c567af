/**
 * The layering, checked by `npm test` (scripts/test.ts) and by `npm run layering`:
 *   renderer -> shared <- main / server; preload only bridges (shared + electron).
 * bench/, tests/ and scripts/ may import anything, so no rule starts from them.
 * tests/unit/layering.test.ts shows each rule failing on a small tree of its own.
 */
/** A rule every import from a module whose path matches `from` must keep; `to` says what it may not reach. */
const forbid = (name, from, to, comment) => ({ name, comment, severity: 'error', from: { path: from }, to });

const appLayers = '^(main|server|shared|renderer|preload)/';
const metInShared = 'The server and the terminal core meet only in shared/ (the contracts).';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    forbid('renderer-not-to-main-server-preload', '^renderer/', { path: '^(main|server|preload)/' },
      'The renderer talks to the terminal only through the preload bridge and the shared IPC contract.'),
    forbid('shared-not-to-node', '^shared/', { dependencyTypes: ['core'] },
      'shared/ runs in the renderer too: no Node built-ins.'),
    forbid('shared-not-to-dom-or-electron', '^shared/', { path: '(^|/)node_modules/(react|react-dom|electron)/' },
      'shared/ runs on the server too: no React, no Electron.'),
    forbid('shared-not-to-app-layers', '^shared/', { path: '^(main|server|renderer|preload)/' },
      'shared/ is the bottom layer: it imports nothing from main/, server/, renderer/ or preload/.'),
    forbid('server-not-to-main', '^server/', { path: '^main/' }, metInShared),
    forbid('main-not-to-server', '^main/', { path: '^server/' }, metInShared),
    forbid('preload-only-shared-and-electron', '^preload/', { pathNot: ['^(preload|shared)/', '(^|/)node_modules/electron/'], dependencyTypesNot: ['core'] },
      'The preload only bridges: the shared contract and electron, nothing else.'),
    forbid('preload-not-to-node', '^preload/', { dependencyTypes: ['core'] },
      'The preload runs sandboxed: no Node built-ins.'),
    forbid('no-circular-in-app-layers', appLayers, { circular: true },
      'A circle between modules of the app (main, server, shared, renderer, preload) makes every change in it a change to all of it.'),
    forbid('not-to-unresolvable', appLayers, { couldNotResolve: true },
      'An import that resolves to nothing cannot be checked against the rules above.'),
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
