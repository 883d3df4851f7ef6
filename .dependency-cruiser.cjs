/** Layer rules: libs never import apps; no cycles; apps never import each other. */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'apps-are-independent',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'libs-do-not-import-infra',
      severity: 'error',
      // A lib's integration tests may start the topology through the supervisor's harness.
      from: { path: '^libs/', pathNot: '(^libs/[^/]+/test/|\\.test\\.ts$)' },
      to: { path: '^(infra|chaos|bench)/' },
    },
    {
      name: 'history-check-is-pure',
      severity: 'error',
      // The checker judges the other libs' histories; it depends on nothing, so it runs anywhere.
      from: { path: '^libs/history-check/', pathNot: '(^libs/history-check/test/|\\.test\\.ts$)' },
      to: { pathNot: '^libs/history-check/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default'],
    },
  },
};
