/**
 * A test never skips for a missing part (issue 21): where a part the suite
 * needs is missing, every test of the enclosing describe (or file) fails with
 * the reason and how to get the part. `npm test` installs the parts first
 * (tests/setup/provision.ts), so this fires only when a test is run some
 * other way on a machine without them.
 *
 * A beforeEach, not a beforeAll: Vitest reports the tests under a failed
 * beforeAll as skipped, which is exactly what must not happen. Suites' own
 * beforeAll hooks return early when the part is missing, so the failure is
 * this reason rather than a side effect of it.
 */
import { beforeEach } from 'vitest';

/** "<what is missing>: run `npm test` as root (it installs it), or <install>". */
export function missingPart(what: string, install: string): string {
  return `${what}: run \`npm test\` as root (its setup installs it), or ${install}`;
}

/** Fail every test of the current suite with `missing` when it is not null. */
export function needs(missing: string | null): void {
  if (missing === null) return;
  beforeEach(() => {
    throw new Error(missing);
  });
}
