// Memory over 1,000,000 promises: all pending at once (the worst case for anything that keeps state per
// promise), then resolved, awaited together, and released. Run with --expose-gc. Prints
// {"maxRssKb": <peak RSS>, "afterMb": <RSS after the promises were released and collected>}.
const N = 1_000_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function churn() {
  const resolvers = new Array(N);
  const promises = new Array(N);
  for (let i = 0; i < N; i++) promises[i] = new Promise((r) => (resolvers[i] = r));
  for (let i = 0; i < N; i++) resolvers[i](1);
  const values = await Promise.all(promises);
  if (values.length !== N) throw new Error('lost promises');
}

await churn();
await sleep(50);
globalThis.gc();
await sleep(200);
globalThis.gc();
console.log(JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, afterMb: process.memoryUsage().rss / 2 ** 20 }));
