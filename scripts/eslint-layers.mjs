// Interlock's architecture as a lint rule: the folders of src/ are layers, and
// an import may only point down. A transfer's path reads bottom-up through them
// (support → fspiop → … → edge), see src/README.md, which lists the same layers.
//
// Two rules, both on every import and re-export (type-only ones too: a type is
// a dependency) of every non-test file under src/:
//   interlock/layers        a folder imports only folders of a lower layer;
//                           folders of one layer do not import each other.
//   interlock/through-index an import into another folder names that folder's
//                           index.ts: what a module offers others is its index,
//                           the rest is its own. Inside a folder, code never
//                           imports its own index (that is how cycles start).
// Tests are not layers: a test may import what it tests and the tools above it,
// and src/testing/ (fixtures for tests) may reach into any module, as tests do.
import path from 'node:path';

/**
 * The layers, lowest first. A name is a folder of src/ or a file of src/ without `.ts`.
 * @type {readonly (readonly string[])[]}
 */
export const LAYERS = [
  ['support'],
  ['fspiop'],
  ['ilp', 'translog'],
  ['storage'],
  ['migrations'],
  ['config'],
  ['audit'],
  ['pki', 'identity'],
  ['ledger'],
  ['participants'],
  ['signature'],
  ['delivery'],
  ['risk'],
  ['lookup', 'quotes', 'transfers', 'settlement'],
  ['edge'],
  ['operator'],
  ['portal', 'witness'],
  ['app'],
  ['main'],
  ['sim'],
  ['demo'],
  ['testing'],
  ['assess', 'bench'],
  ['cli'],
];

/** @type {ReadonlyMap<string, number>} */
const RANK = new Map(LAYERS.flatMap((names, rank) => names.map((name) => [name, rank])));

const SRC = path.resolve(import.meta.dirname, '..', 'src');

/**
 * The top-level part of src/ a file belongs to ('transfers', 'main'), or undefined outside src/.
 * @param {string} file
 * @returns {string | undefined}
 */
function partOf(file) {
  const relative = path.relative(SRC, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  const [first = ''] = relative.split(path.sep);
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

/** @param {string} file */
const isTest = (file) => file.endsWith('.test.ts');

/**
 * @param {import('eslint').Rule.RuleContext} context
 * @param {(node: import('estree').Node, from: string, to: string, target: string) => void} check
 */
function importsOf(context, check) {
  const file = context.physicalFilename;
  const from = partOf(file);
  if (from === undefined || isTest(file)) return {};
  /** @param {import('estree').ImportDeclaration | import('estree').ExportNamedDeclaration | import('estree').ExportAllDeclaration | import('estree').ImportExpression} node */
  const visit = (node) => {
    const source = node.source && 'value' in node.source ? node.source.value : undefined;
    if (typeof source !== 'string' || !source.startsWith('.')) return;
    const target = path.resolve(path.dirname(file), source);
    const to = partOf(target);
    if (to === undefined) return;
    check(node, from, to, target);
  };
  return { ImportDeclaration: visit, ExportNamedDeclaration: visit, ExportAllDeclaration: visit, ImportExpression: visit };
}

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: { type: 'problem', docs: { description: 'imports only point down the layers of src/ (src/README.md)' }, schema: [] },
  create(context) {
    return importsOf(context, (node, from, to) => {
      if (from === to) return;
      const fromRank = RANK.get(from);
      const toRank = RANK.get(to);
      if (fromRank === undefined || toRank === undefined) {
        context.report({ node, message: `src/${fromRank === undefined ? from : to} is in no layer: add it to LAYERS in scripts/eslint-layers.mjs and to src/README.md` });
      } else if (toRank >= fromRank) {
        const relation = toRank === fromRank ? 'the same layer' : 'a higher layer';
        context.report({ node, message: `${from}/ may not import ${to}/, which is in ${relation} (src/README.md): move what both need down, or pass it in from the composition root` });
      }
    });
  },
};

/** @type {import('eslint').Rule.RuleModule} */
const throughIndex = {
  meta: { type: 'problem', docs: { description: 'imports into another folder of src/ go through its index.ts' }, schema: [] },
  create(context) {
    return importsOf(context, (node, from, to, target) => {
      if (from === 'testing') return;
      const folder = path.join(SRC, to);
      const isIndex = target === path.join(folder, 'index.ts');
      if (from !== to && !isIndex && target !== `${folder}.ts`) {
        context.report({ node, message: `import ${to}/ through ${to}/index.ts, not ${path.relative(SRC, target)}: export what others need from its index` });
      } else if (from === to && isIndex && context.physicalFilename !== target) {
        context.report({ node, message: `${from}/ must not import its own index.ts (a cycle in waiting): import the file itself` });
      }
    });
  },
};

export default { rules: { layers, 'through-index': throughIndex } };
