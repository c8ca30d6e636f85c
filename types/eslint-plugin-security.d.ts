// eslint-plugin-security 4.x ships no type declarations. This is the part of its
// shape that eslint.config.js uses, so the config type-checks under checkJs.
declare module 'eslint-plugin-security' {
  import type { ESLint, Linter } from 'eslint';

  const plugin: ESLint.Plugin & {
    configs: { recommended: Linter.Config; 'recommended-legacy': Linter.LegacyConfig };
  };
  export default plugin;
}
