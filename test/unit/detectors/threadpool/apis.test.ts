import { describe, expect, it } from 'vitest';
import { poolSizeFrom } from '../../../../src/detectors/threadpool/apis.js';

describe('pool size', () => {
  it('is read as libuv reads UV_THREADPOOL_SIZE', () => {
    expect(poolSizeFrom(undefined)).toBe(4);
    expect(poolSizeFrom('16')).toBe(16);
    expect(poolSizeFrom('0')).toBe(1);
    expect(poolSizeFrom('lots')).toBe(1);
    expect(poolSizeFrom('5000')).toBe(1024);
  });
});
