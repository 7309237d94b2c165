// shields.io's own renderer on the same five badges as badge_bench.cc, for comparison.
// Run: d=$(mktemp -d) && (cd $d && npm install --silent badge-maker) && NODE_PATH=$d/node_modules node tests/bench/renderer/badge_maker_bench.js
const { makeBadge } = require('badge-maker');
const specs = [
  { label: 'cc-ci', message: 'level 0', color: '#e05d44' },
  { label: 'cc-ci', message: 'level 3', color: '#a4a61d' },
  { label: 'cc-ci', message: 'level 5', color: '#44cc11' },
  { label: 'cc-ci', message: 'running', color: '#007ec6' },
  { label: 'cc-ci', message: 'ci error', color: '#9f9f9f' },
];
for (let i = 0; i < 20000; i++) makeBadge(specs[i % 5]);  // warm up the JIT
const runs = [];
for (let r = 0; r < 5; r++) {
  const n = 100000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) makeBadge(specs[i % 5]);
  const ns = Number(process.hrtime.bigint() - t0);
  runs.push(ns / n);
}
runs.sort((a, b) => a - b);
console.log(`badge-maker SVG: median ${runs[2].toFixed(0)} ns/badge (${(1e9 / runs[2]).toFixed(0)}/s), runs: ${runs.map(x => x.toFixed(0)).join(' ')}`);
