import { describe, expect, it } from 'vitest';
import { javaMajorVersion } from '../../../local/registry';

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "25" 2025-09-16', 25],
    ['java version "1.8.0_382"', 8],
    ['bash: java: command not found', undefined],
  ])('reads %s as %s', (text, major) => {
    expect(javaMajorVersion(text)).toBe(major);
  });
});
