// Usage: node bench.mjs MODEL PHONEMES RUNS   (with onnxruntime-node resolvable via NODE_PATH)
// PHONEMES = 0 means tensor-echo.onnx with a 4-element input (almost pure binding overhead).
// Same model, inputs and session settings as Program.cs, through onnxruntime-node's session.run.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [model, phonemesArg, runsArg] = process.argv.slice(2);
const phonemes = Number(phonemesArg);
const runs = Number(runsArg);

const session = await ort.InferenceSession.create(model, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  enableCpuMemArena: true,
  enableMemPattern: true,
});
const ids = BigInt64Array.from({ length: Math.max(phonemes, 4) }, (_, i) => BigInt((i * 7) % 60));
const feeds = phonemes === 0
  ? { x: new ort.Tensor('int64', ids, [1, 1, ids.length]) }
  : {
      input: new ort.Tensor('int64', ids, [1, phonemes]),
      input_lengths: new ort.Tensor('int64', BigInt64Array.from([BigInt(phonemes)]), [1]),
      scales: new ort.Tensor('float32', Float32Array.from([0.667, 1, 0.8]), [3]),
    };
const last = (out) => {
  const data = out[session.outputNames[session.outputNames.length - 1]].data;
  return data[data.length - 1];
};

let checksum = 0;
for (let i = 0; i < Math.max(200, runs / 10); i++) {
  checksum += last(await session.run(feeds));
}

const perRun = new Float64Array(runs);
const cpuBefore = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  checksum += last(await session.run(feeds));
  perRun[i] = performance.now() - start;
}
const elapsed = performance.now() - t0;
const cpu = process.cpuUsage(cpuBefore);
const cpuUs = (cpu.user + cpu.system) / runs;
perRun.sort();
const meanUs = (elapsed * 1000) / runs;
const p50Us = perRun[Math.floor(runs / 2)] * 1000;
console.log(`node phonemes=${phonemes} runs=${runs} mean_us=${meanUs.toFixed(2)} p50_us=${p50Us.toFixed(2)} cpu_us=${cpuUs.toFixed(2)} checksum=${checksum.toFixed(3)} ort=${ort.env.versions.common}`);
