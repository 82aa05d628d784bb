// Subscribe with the graphql-ws client and print each message as a JSON line.
// usage: node subscribe.mjs <ws-url> <json: {query, variables, connectionParams, count}>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, raw] = process.argv.slice(2);
const { query, variables, connectionParams, count = 1 } = JSON.parse(raw);
const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
let received = 0;
const done = (code) => client.dispose().then(() => process.exit(code));
client.on("connected", () => console.log(JSON.stringify({ connected: true })));
client.subscribe(
  { query, variables },
  {
    next: (result) => {
      console.log(JSON.stringify({ next: result }));
      received += 1;
      if (received >= count) done(0);
    },
    error: (error) => {
      console.log(JSON.stringify({ error: Array.isArray(error) ? error : String(error) }));
      done(1);
    },
    complete: () => done(0),
  },
);
