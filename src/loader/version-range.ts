// semver's satisfies() for the ranges instrumentation definitions are written in, without loading
// semver: requiring semver/functions/satisfies costs ~9 ms of start-up (20 modules), paid by every
// traced app as soon as one hooked package is required. Definitions use closed ranges of `>=` and
// `<` comparators on partial versions, joined by `||`, and '*'; a release version (x.y.z) is checked
// here. Anything else (^, ~, x-ranges, prerelease versions, loose forms) goes to semver itself, so
// the answer is always semver's.

type SatisfiesFn = (version: string, range: string) => boolean;

const RELEASE = /^(\d+)\.(\d+)\.(\d+)$/;
const COMPARATOR = /^(>=|<)(\d+)(?:\.(\d+))?(?:\.(\d+))?$/;

let semver: SatisfiesFn | undefined;

/** True when `version` is in `range`, as semver.satisfies(version, range) answers. */
export function satisfies(version: string, range: string): boolean {
  const fast = quick(version, range);
  if (fast !== undefined) return fast;
  semver ??= require('semver/functions/satisfies') as SatisfiesFn;
  return semver(version, range);
}

/** The answer for the simple forms, or undefined to ask semver. */
export function quick(version: string, range: string): boolean | undefined {
  if (typeof version !== 'string' || typeof range !== 'string') return undefined;
  const v = RELEASE.exec(version);
  if (v === null) return undefined;
  const have = [Number(v[1]), Number(v[2]), Number(v[3])];
  if (!have.every(Number.isSafeInteger)) return undefined;
  let any = false;
  for (const set of range.split('||')) {
    const parts = set.trim().split(/\s+/);
    if (parts.length === 1 && (parts[0] === '*' || parts[0] === '')) {
      any = true;
      continue;
    }
    let inSet = true;
    for (const part of parts) {
      const c = COMPARATOR.exec(part);
      if (c === null) return undefined;
      const bound = [Number(c[2]), Number(c[3] ?? 0), Number(c[4] ?? 0)];
      if (!bound.every(Number.isSafeInteger)) return undefined;
      const order = compare(have, bound);
      if (c[1] === '>=' ? order < 0 : order >= 0) inSet = false;
    }
    if (inSet) any = true;
  }
  return any;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}
