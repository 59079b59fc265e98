import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coldLoadedBytes, packageOf, staticImports } from '../../../bench/cold-start';

describe('what a cold start loads', () => {
  it('finds static imports and re-exports of relative modules, not dynamic import() or packages', () => {
    const code =
      'import{a as b}from"./chunks/chunk-A.mjs";import"./chunks/side.mjs";export{c}from"../up.mjs";' +
      'const lazy=()=>import("./chunks/lazy.mjs");import x from"node:fs";';
    expect(staticImports(code)).toEqual(['./chunks/chunk-A.mjs', './chunks/side.mjs', '../up.mjs']);
  });

  it('adds up the entry and the chunks it reaches statically, each once, leaving out lazy chunks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
    mkdirSync(join(dir, 'chunks'));
    writeFileSync(join(dir, 'index.mjs'), 'import"./chunks/a.mjs";import"./chunks/b.mjs";'); // 46 bytes
    writeFileSync(join(dir, 'chunks', 'a.mjs'), 'import"./b.mjs";const l=()=>import("./lazy.mjs");'); // 49 bytes
    writeFileSync(join(dir, 'chunks', 'b.mjs'), 'export const b=1;'); // 17 bytes
    writeFileSync(join(dir, 'chunks', 'lazy.mjs'), 'export const lazy=1;'.repeat(100));
    expect(coldLoadedBytes(join(dir, 'index.mjs'))).toBe(46 + 49 + 17);
  });
});

describe('packageOf', () => {
  it('names plain and scoped packages, and the project for its own files', () => {
    expect(packageOf('node_modules/kafkajs/src/index.js')).toBe('kafkajs');
    expect(packageOf('node_modules/@aws-sdk/core/dist-es/index.js')).toBe('@aws-sdk/core');
    expect(packageOf('node_modules/@smithy/core/node_modules/uuid/dist/index.js')).toBe('@smithy/core');
    expect(packageOf('lib/produce/index.ts')).toBe('project');
  });
});
