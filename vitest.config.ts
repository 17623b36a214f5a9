import {defineConfig} from 'vitest/config'

// Tests run against real anvil processes and real ONNX Runtime sessions: forks (not VM pools, which
// break onnxruntime's typed arrays), generous timeouts, no retries (a flake is a bug to fix).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    retry: 0,
    reporters: ['default'],
  },
})
