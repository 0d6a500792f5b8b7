// Soak: for --seconds <s>, keep creating and settling promises (awaits of async functions, small
// Promise.all batches, a timer now and then), yielding to the event loop every 10,000 awaits so the loop
// turns as in a real app. RSS is sampled every second. Prints {"samplesMb": [...], "awaits": <count>}.
const at = process.argv.indexOf('--seconds');
const seconds = at > 0 ? Number(process.argv[at + 1]) : 15;

async function leaf(i) {
  return i & 1;
}
async function mid(i) {
  return (await leaf(i)) + (await leaf(i + 1));
}
const yieldToLoop = () => new Promise((r) => setImmediate(r));
const tick = () => new Promise((r) => setTimeout(r, 1));

const samplesMb = [];
const sampler = setInterval(() => samplesMb.push(process.memoryUsage().rss / 2 ** 20), 1000);
const end = Date.now() + seconds * 1000;
let awaits = 0;
let sum = 0;
while (Date.now() < end) {
  for (let i = 0; i < 10_000; i += 10) {
    sum += await mid(i);
    sum += (await Promise.all([leaf(i), mid(i), leaf(i + 3)])).length;
    awaits += 10;
  }
  await yieldToLoop();
  if (awaits % 200_000 === 0) await tick();
}
clearInterval(sampler);
if (!(sum > 0)) throw new Error('soak computed nothing');
console.log(JSON.stringify({ samplesMb, awaits }));
