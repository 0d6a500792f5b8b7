// Idles 500 ms (so the agent's watchdog thread is up and settled), then prints {"rss": <bytes>}.
setTimeout(() => console.log(JSON.stringify({ rss: process.memoryUsage().rss })), 500);
