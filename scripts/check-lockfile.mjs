#!/usr/bin/env node
// Lockfile policy, checked before `npm ci` fetches or runs anything.
//
//   - every package comes from the public npm registry over https: a `resolved`
//     URL, where there is one, is exactly registry/<name>/-/<base>-<version>.tgz
//     for the name and version the lockfile claims (no git, file, link or other
//     host, and no tarball of one package filed under another's name);
//   - an entry without `resolved` (npm writes none under
//     omit-lockfile-registry-resolved) must name an exact version, so npm can
//     only fetch <name>@<version> from the configured registry, which .ci/run
//     checks separately;
//   - every package has a sha512 `integrity`, which `npm ci` verifies against
//     the tarball it downloads;
//   - package.json pins its direct dependencies to exact versions (save-exact).
//
// Plain JavaScript with JSDoc types, so that it runs on the machine's own Node
// (20 on CI) before `npm ci` installs the project's Node 24. Exit 0 when the
// lockfile meets the policy, 1 when it does not, 2 when it cannot be read.
import { readFileSync } from 'node:fs';

const REGISTRY = 'https://registry.npmjs.org/';
const LOCKFILE = 'package-lock.json';
const MANIFEST = 'package.json';

// An exact version is MAJOR.MINOR.PATCH, then optionally a pre-release (-…) or
// build (+…) suffix. Two flat patterns rather than one with nested quantifiers.
const VERSION_CORE = /^\d+\.\d+\.\d+/;
const VERSION_SUFFIX = /^[-+][0-9A-Za-z.+-]+$/;
// A sha512 SRI hash is 64 bytes: 86 base64 characters and two '=' of padding.
const SHA512_SRI = /^sha512-[A-Za-z0-9+/]{86}==$/;

/**
 * @typedef {object} LockEntry
 * @property {string} [name]
 * @property {string} [version]
 * @property {string} [resolved]
 * @property {string} [integrity]
 * @property {boolean} [link]
 * @property {boolean} [inBundle]
 * @property {boolean} [hasInstallScript]
 */

/**
 * @param {string} path
 * @param {() => string} read
 * @returns {unknown}
 */
function readJson(path, read) {
  try {
    return JSON.parse(read());
  } catch (error) {
    process.stderr.write(`check-lockfile: cannot read ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

/**
 * @param {unknown} version
 * @returns {version is string}
 */
function isExactVersion(version) {
  if (typeof version !== 'string') return false;
  const core = VERSION_CORE.exec(version);
  if (core === null) return false;
  const suffix = version.slice(core[0].length);
  return suffix === '' || VERSION_SUFFIX.test(suffix);
}

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The package name an entry installs: its `name` field for aliases
 * ("x": "npm:real@1"), otherwise the path segment after the last node_modules/.
 * @param {string} key
 * @param {LockEntry} entry
 * @returns {string}
 */
function packageName(key, entry) {
  if (typeof entry.name === 'string') return entry.name;
  const at = key.lastIndexOf('node_modules/');
  return at === -1 ? key : key.slice(at + 'node_modules/'.length);
}

/**
 * @param {string} name
 * @param {string} version
 * @returns {string}
 */
function tarballUrl(name, version) {
  const base = name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
  return `${REGISTRY}${name}/-/${base}-${version}.tgz`;
}

// Fixed names, relative to the working directory: run from the repository root.
const lock = readJson(LOCKFILE, () => readFileSync('package-lock.json', 'utf8'));
const manifest = readJson(MANIFEST, () => readFileSync('package.json', 'utf8'));
/** @type {string[]} */
const problems = [];

if (!isObject(lock) || lock['lockfileVersion'] !== 3 || !isObject(lock['packages'])) {
  problems.push(`${LOCKFILE}: expected lockfileVersion 3 with a "packages" map (npm 9 or later)`);
}
const packages = isObject(lock) && isObject(lock['packages']) ? lock['packages'] : {};

let checked = 0;
let withResolved = 0;
let bundled = 0;
/** @type {string[]} */
const installScripts = [];

for (const [key, raw] of Object.entries(packages)) {
  if (key === '') continue; // the project itself
  if (!isObject(raw)) {
    problems.push(`${key}: entry is not an object`);
    continue;
  }
  /** @type {LockEntry} */
  const entry = raw;
  if (entry.inBundle === true) {
    // Shipped inside its parent's tarball, so covered by the parent's integrity;
    // npm never runs a bundled dependency's install scripts.
    bundled += 1;
    continue;
  }
  checked += 1;
  if (entry.link === true) {
    problems.push(`${key}: is a link to ${String(entry.resolved)}; only registry packages are allowed`);
    continue;
  }
  const name = packageName(key, entry);
  const version = entry.version;
  if (!isExactVersion(version)) {
    problems.push(`${key}: version ${JSON.stringify(version)} is not an exact semver version`);
    continue;
  }
  if (entry.resolved !== undefined) {
    withResolved += 1;
    const expected = tarballUrl(name, version);
    if (entry.resolved !== expected) {
      problems.push(`${key}: resolved ${JSON.stringify(entry.resolved)}, expected ${expected}`);
    }
  }
  if (typeof entry.integrity !== 'string') {
    problems.push(`${key}: no integrity hash`);
  } else if (!entry.integrity.split(/\s+/).every((hash) => SHA512_SRI.test(hash))) {
    problems.push(`${key}: integrity ${JSON.stringify(entry.integrity)} is not sha512`);
  }
  if (entry.hasInstallScript === true) installScripts.push(`${name}@${version}`);
}

if (checked === 0) problems.push(`${LOCKFILE}: no packages`);

if (isObject(manifest)) {
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = manifest[field];
    if (deps === undefined) continue;
    if (!isObject(deps)) {
      problems.push(`${MANIFEST}: "${field}" is not an object`);
      continue;
    }
    for (const [dep, spec] of Object.entries(deps)) {
      if (!isExactVersion(spec)) {
        problems.push(`${MANIFEST}: ${field}.${dep} is ${JSON.stringify(spec)}, not an exact version`);
      }
    }
  }
} else {
  problems.push(`${MANIFEST}: not a JSON object`);
}

process.stdout.write(
  `check-lockfile: ${checked} packages checked (${withResolved} with a resolved URL, ` +
    `${checked - withResolved} by name@version from the configured registry), ${bundled} bundled\n`,
);
process.stdout.write(`check-lockfile: packages with install scripts: ${installScripts.join(', ') || 'none'}\n`);

if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`check-lockfile: FAIL ${problem}\n`);
  process.stderr.write(`check-lockfile: ${problems.length} problem(s)\n`);
  process.exit(1);
}
process.stdout.write('check-lockfile: OK\n');
