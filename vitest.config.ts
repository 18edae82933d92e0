import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Where data folders remember their last run (main/storage): the tests' own file, never the user's ~/.config.
const locationFile = path.join(os.tmpdir(), `ketang-location-tests-${process.pid}.json`);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          env: { KETANG_LOCATION_FILE: locationFile },
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          env: { KETANG_LOCATION_FILE: locationFile },
          testTimeout: 60_000,
          hookTimeout: 90_000,
          // Chromium pages are heavy on a 2-core machine: one file at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
