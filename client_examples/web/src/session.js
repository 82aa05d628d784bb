// What the device remembers: the cart (id and, while anonymous, its token) and the shopper's
// Cognito tokens, in localStorage. Sign-in is Cognito's InitiateAuth (USER_PASSWORD_AUTH)
// called from the browser: the local stack's moto pool, or the user pool on AWS.

import { ApiError, config } from "./api.js";

const CART_KEY = "vitrine.cart";
const AUTH_KEY = "vitrine.auth";

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

function write(key, value) {
  if (value === null) localStorage.removeItem(key);
  else localStorage.setItem(key, JSON.stringify(value));
}

/** {id, token} of the device's cart (token null once it belongs to a signed-in shopper). */
export const cart = {
  get: () => read(CART_KEY),
  set: (value) => write(CART_KEY, value),
  clear: () => write(CART_KEY, null),
};

/** {accessToken, username, expiresAt} of the signed-in shopper, or null. */
export const auth = {
  get: () => read(AUTH_KEY),
  clear: () => write(AUTH_KEY, null),
};

/**
 * The Cognito groups in the signed-in user's access token, to show or hide links only: the
 * API decides what each token may do.
 */
export function groups() {
  const token = auth.get()?.accessToken;
  try {
    const payload = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    return JSON.parse(atob(payload))["cognito:groups"] || [];
  } catch {
    return [];
  }
}

/** The headers' worth of credentials for execute(): the shopper's token and the cart token. */
export function credentials() {
  return { accessToken: auth.get()?.accessToken, cartToken: cart.get()?.token };
}

/** Sign in with email and password; throws ApiError with a shopper-readable message. */
export async function signIn(username, password) {
  const settings = await config();
  if (!settings.cognito) {
    throw new ApiError("GRAPHQL", "Sign-in is not configured on this gateway (no user pool).");
  }
  let response;
  try {
    response = await fetch(settings.cognito.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: settings.cognito.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch {
    throw new ApiError("NETWORK", "The sign-in service cannot be reached.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(body.__type || "").split("#").pop();
    const message =
      type === "NotAuthorizedException" || type === "UserNotFoundException"
        ? "Wrong email or password."
        : `Sign-in failed (${type || response.status}).`;
    throw new ApiError("GRAPHQL", message, { code: type });
  }
  const result = body.AuthenticationResult;
  if (!result) {
    throw new ApiError("GRAPHQL", `Sign-in asks for ${body.ChallengeName}, not supported here.`);
  }
  const session = {
    accessToken: result.AccessToken,
    username,
    expiresAt: Date.now() + 1000 * (result.ExpiresIn || 3600),
  };
  write(AUTH_KEY, session);
  return session;
}
