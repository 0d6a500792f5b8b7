// `node -r ./load-writer.cjs spin.mjs [ms] [forever]`: a CPU-bound block of `ms` (300) of the thread's
// own CPU, 150 ms after start; `forever`: an infinite loop instead (kill it).
const ms = Number(process.argv[2] ?? 300);
setTimeout(function spin() {
  if (process.argv[3] === 'forever') for (;;) {}
  const from = process.cpuUsage();
  while (process.cpuUsage(from).user + process.cpuUsage(from).system < ms * 1000) {}
}, 150);
