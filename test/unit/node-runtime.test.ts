/**
 * The project runs its code on the Node.js major version that Lambda runs it on: npm's
 * scripts find the pinned `node` package's binary first on PATH, the bundles target it, and
 * the template deploys it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_BUILD_OPTIONS } from '../../scripts/package-bundles';

const ROOT = join(import.meta.dirname, '..', '..');

describe('Node.js 24', () => {
  it('runs the code under test', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('is the version npm installs with the project, pinned exactly', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
    expect(process.versions.node).toBe(pkg.devDependencies.node);
  });

  it('is what the deploy bundles are compiled for', () => {
    expect(BUNDLE_BUILD_OPTIONS.target).toBe('node24');
  });

  it('is the runtime serverless.yml deploys', async () => {
    const yml = await readFile(join(ROOT, 'serverless.yml'), 'utf8');
    expect(yml).toMatch(/^ {2}runtime: nodejs24\.x$/m);
  });
});
