// Subscribe with the graphql-sse client ("distinct connections" mode) and print each message
// as a JSON line; a refused request prints its HTTP status and body.
// usage: node subscribe-sse.mjs <url> <json: {query, variables, headers, count}>
import { createClient, NetworkError } from "graphql-sse";

const [url, raw] = process.argv.slice(2);
const { query, variables, headers, count = 1 } = JSON.parse(raw);
const client = createClient({ url, headers, retryAttempts: 0 });
let received = 0;
const done = (code) => {
  client.dispose();
  process.exit(code);
};
client.subscribe(
  { query, variables },
  {
    next: (result) => {
      console.log(JSON.stringify({ next: result }));
      received += 1;
      if (received >= count) done(0);
    },
    error: async (error) => {
      if (error instanceof NetworkError && error.response) {
        const body = await error.response.json().catch(() => null);
        console.log(JSON.stringify({ refused: error.response.status, body }));
      } else {
        console.log(JSON.stringify({ error: String(error) }));
      }
      done(1);
    },
    complete: () => {
      console.log(JSON.stringify({ complete: true }));
      done(0);
    },
  },
  { connected: () => console.log(JSON.stringify({ connected: true })) },
);
