// The GraphQL client of the storefront. It sends only the named operations of
// client_examples/operations (fetched as text from /storefront/operations), so the contract
// tests cover every document the page sends.

const operations = new Map();
const MAX_THROTTLE_WAIT_S = 5;
let configPromise;

/** The page's settings from the gateway: API key, endpoint, Cognito app client. */
export function config() {
  configPromise ??= fetch("/storefront/config.json").then((r) => {
    if (!r.ok) throw new ApiError("NETWORK", `config.json answered ${r.status}`);
    return r.json();
  });
  return configPromise;
}

/** A failure the shopper is told about; `kind` says which message and what to do. */
export class ApiError extends Error {
  constructor(kind, message, details = {}) {
    super(message);
    this.kind = kind; // SESSION_EXPIRED | NETWORK | GRAPHQL | NOT_FOUND
    this.details = details;
  }
}

/** The text of operation `name` from client_examples/operations (fetched once). */
export async function operationText(name) {
  if (!operations.has(name)) {
    operations.set(
      name,
      fetch(`/storefront/operations/${encodeURIComponent(name)}.graphql`).then((r) => {
        if (!r.ok) throw new ApiError("NETWORK", `operation ${name} is not published`);
        return r.text();
      }),
    );
  }
  return operations.get(name);
}

/**
 * Run the operation `name` with `variables`. `auth` is {accessToken, cartToken}: the
 * Cognito token goes in `authorization`, else the API key; the cart token in x-cart-token.
 * Resolves to `data`; throws ApiError for transport, authentication and GraphQL errors.
 */
export async function execute(name, variables = {}, auth = {}) {
  try {
    return await send(name, variables, auth);
  } catch (error) {
    // Throttled (the API key's cost bucket is empty): wait as told, once, if not for long.
    const wait = error.details?.retryAfterSeconds;
    if (error.details?.code !== "THROTTLED" || !(wait <= MAX_THROTTLE_WAIT_S)) throw error;
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    return send(name, variables, auth);
  }
}

async function send(name, variables, auth) {
  const [settings, query] = await Promise.all([config(), operationText(name)]);
  const headers = { "content-type": "application/json" };
  if (auth.accessToken) headers.authorization = `Bearer ${auth.accessToken}`;
  else if (settings.apiKey) headers[settings.apiKeyHeader] = settings.apiKey;
  if (auth.cartToken) headers["x-cart-token"] = auth.cartToken;
  let response;
  try {
    response = await fetch(settings.graphqlUrl, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables, operationName: name }),
    });
  } catch (error) {
    throw new ApiError("NETWORK", "The shop cannot be reached. Check your connection and retry.");
  }
  let body;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError("NETWORK", `The shop answered ${response.status} without a result.`);
  }
  const errors = body.errors || [];
  const unauthorized = errors.find((e) => e.extensions?.errorType === "UnauthorizedException");
  if (response.status === 401 || (unauthorized && auth.accessToken)) {
    throw new ApiError("SESSION_EXPIRED", "Your session has expired. Please sign in again.", {
      reason: (unauthorized || errors[0])?.message,
    });
  }
  if (errors.length) {
    const first = errors[0];
    throw new ApiError("GRAPHQL", first.message, {
      errorType: first.extensions?.errorType,
      code: first.extensions?.code,
      retryAfterSeconds: first.extensions?.retryAfterSeconds,
      requestId: response.headers.get("x-request-id"),
    });
  }
  return body.data;
}

/** "€39.00" from {amount: 3900, currency: "EUR"} (integer minor units). */
export function money(value) {
  if (!value) return "";
  return new Intl.NumberFormat("en-IE", { style: "currency", currency: value.currency }).format(
    value.amount / 100,
  );
}

/** A fresh idempotency key per click (reused when retrying the same click). */
export function idempotencyKey() {
  return crypto.randomUUID();
}
