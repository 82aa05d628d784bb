// Live updates over graphql-transport-ws, with graphql-ws's browser client served from the
// local npm package (no CDN). The page subscribes with the operations of
// client_examples/operations (OnOrderStatusChanged, OnInventoryChanged) over one socket.
//
// When the connection drops, the client reconnects with backoff and resubscribes; events may
// have been missed meanwhile, so each subscription's `resync` then reads the current state.
// A subscription the server ends with a retryable error (EVENT_STREAM_INTERRUPTED,
// SUBSCRIBER_FELL_BEHIND) is renewed the same way; other errors (an expired session, an order
// that is not the shopper's) go to `onProblem` as an ApiError.

import "/storefront/vendor/graphql-ws.js"; // the UMD build: defines globalThis.graphqlWs
import { ApiError, config, operationText } from "./api.js";
import { credentials } from "./session.js";

const RETRYABLE = new Set(["EVENT_STREAM_INTERRUPTED", "SUBSCRIBER_FELL_BEHIND", "TOO_MANY_CONNECTIONS"]);
const FORBIDDEN = 4403; // connection_init refused: the credentials are not valid
const MAX_WAIT_MS = 10_000;
const active = new Set();
let client = null;
let clientFor = null; // the credentials the socket was opened with

/** Wait before attempt `retries + 1`: exponential, capped, with jitter. */
function backoff(retries) {
  const ms = Math.min(MAX_WAIT_MS, 500 * 2 ** retries) * (0.5 + Math.random() / 2);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function showState(state) {
  const status = document.getElementById("live-status");
  status.dataset.state = state;
  status.textContent = { live: "● Live", connecting: "Connecting…", reconnecting: "Reconnecting…" }[state] || "";
  status.hidden = !status.textContent;
}

function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

function problemOf(error) {
  if (error instanceof ApiError) return error;
  const first = Array.isArray(error) ? error[0] : null;
  const code = first?.extensions?.code;
  if (code === "UNAUTHENTICATED" || error?.code === FORBIDDEN) {
    return new ApiError("SESSION_EXPIRED", "Your session has expired. Please sign in again.", {
      reason: first?.message || error?.reason,
    });
  }
  if (first) return new ApiError("GRAPHQL", first.message, { code, errorType: first.extensions?.errorType });
  return new ApiError("NETWORK", `Live updates stopped (${error?.reason || error?.code || error}).`);
}

async function connection() {
  const settings = await config();
  const { accessToken } = credentials();
  const key = accessToken || "";
  if (client && clientFor === key) return client;
  client?.dispose(); // signed in or out: the socket must carry the new credentials
  clientFor = key;
  client = globalThis.graphqlWs.createClient({
    url: socketUrl(settings.graphqlUrl),
    // Browsers cannot set WebSocket headers: the credentials go in connection_init.
    connectionParams: () =>
      accessToken ? { Authorization: `Bearer ${accessToken}` } : { [settings.apiKeyHeader]: settings.apiKey },
    retryAttempts: Infinity,
    retryWait: backoff,
    shouldRetry: (event) => event?.code !== FORBIDDEN,
    on: {
      connecting: (isRetry) => showState(isRetry ? "reconnecting" : "connecting"),
      connected: (socket, payload, wasRetry) => {
        showState("live");
        if (wasRetry) for (const subscription of active) subscription.resync();
      },
      closed: () => showState(active.size ? "reconnecting" : "off"),
    },
  });
  return client;
}

/**
 * Subscribe to the operation `name` with `variables` until `stop()` (or `stopAll()`):
 * `onData(data)` for each event; `resync()` after a reconnection or a renewed subscription,
 * when events may have been missed; `onProblem(apiError)` when it cannot go on.
 */
export function live(name, variables, { onData, resync = async () => {}, onProblem = () => {} }) {
  const subscription = {
    stopped: false,
    failures: 0,
    ended: null,
    unsubscribe: () => {},
    resync: () => resync().catch((error) => onProblem(problemOf(error))),
  };
  active.add(subscription);

  const start = async () => {
    const [socket, query] = await Promise.all([connection(), operationText(name)]);
    if (subscription.stopped) return;
    subscription.unsubscribe = socket.subscribe(
      { query, variables, operationName: name },
      {
        next: (result) => {
          if (result.errors?.length) {
            subscription.ended = result.errors; // the server's last word before `complete`
            return;
          }
          subscription.failures = 0;
          onData(result.data);
        },
        error: (error) => {
          active.delete(subscription);
          onProblem(problemOf(error));
        },
        complete: () => {
          if (subscription.stopped) return;
          const errors = subscription.ended || [];
          subscription.ended = null;
          if (errors.length && !RETRYABLE.has(errors[0].extensions?.code)) {
            active.delete(subscription);
            onProblem(problemOf(errors));
            return;
          }
          // Ended by the server (it may have dropped events): renew, then read what was missed.
          subscription.failures += 1;
          backoff(subscription.failures).then(() => {
            if (subscription.stopped) return;
            start().then(subscription.resync, (error) => onProblem(problemOf(error)));
          });
        },
      },
    );
  };
  start().catch((error) => onProblem(problemOf(error)));
  return () => {
    subscription.stopped = true;
    active.delete(subscription);
    subscription.unsubscribe();
  };
}

/** End every subscription (the page changed). */
export function stopAll() {
  for (const subscription of [...active]) {
    subscription.stopped = true;
    subscription.unsubscribe();
  }
  active.clear();
}
