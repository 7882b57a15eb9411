/** The benchmark harness refuses to compare camu and PyTorch on different libtorch releases. */
const { sameLibtorchRelease } = require('../../bench/run.js') as { sameLibtorchRelease: (a: string, b: string) => boolean };

describe('bench/run.js libtorch check', () => {
  it('matches a release across build suffixes', () => {
    expect(sameLibtorchRelease('1.13.0', '1.13.0a0')).toBe(true); // Debian's libtorch and python3-torch
    expect(sameLibtorchRelease('2.13.0', '2.13.0+cpu')).toBe(true); // a wheel's libtorch and its torch
  });

  it('rejects different releases and unreadable versions', () => {
    expect(sameLibtorchRelease('2.13.0', '1.13.0a0')).toBe(false);
    expect(sameLibtorchRelease('1.13.1', '1.13.0')).toBe(false);
    expect(sameLibtorchRelease('unknown', 'unknown')).toBe(false);
  });
});
