// Who is signed in: the ID token (in session storage, never in a URL), its claims and groups, and
// signing in — locally with a token of the group chosen, on a stage through the user pool (PKCE).

import { t } from "./i18n.js";

const TOKEN_KEY = "fondation.console.token";
const PKCE_KEY = "fondation.console.pkce";
const GROUP_KEY = "fondation.console.group"; // locally: the group signed in as, whose token a screen renews
// on a stage, a waiting room's screen keeps its refresh token where it outlives the browser: the
// screen, not a person, is signed in (its own client, its own long session)
const SCREEN_KEY = "fondation.console.screen";

export const config = {};

export async function loadConfig() {
  Object.assign(config, await (await fetch("config.json")).json());
  config.api = (config.api || "").replace(/\/$/, "");
}

export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

export function currentToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const { exp } = claims(token);
  if (exp && exp * 1000 < Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return token;
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(GROUP_KEY);
}

export function signOutScreen() {
  // the screen's session ends here and at the user pool (its refresh token revoked)
  const refresh = localStorage.getItem(SCREEN_KEY);
  localStorage.removeItem(SCREEN_KEY);
  forgetToken();
  if (refresh && config.signIn === "cognito") {
    const form = new URLSearchParams({ token: refresh, client_id: config.screenClientId });
    fetch(`${config.domain}/oauth2/revoke`, { method: "POST", body: form }).catch(() => {});
  }
}
export const groups = () => claims(currentToken() || "")["cognito:groups"] || [];
export const isOps = () => groups().includes("ops");

function randomText(bytes) {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...values)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function cognitoSignIn(asScreen = false) {
  const verifier = randomText(48);
  const state = randomText(16);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const challenge = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash, screen: asScreen }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: asScreen ? config.screenClientId : config.clientId,
    redirect_uri: config.redirectUri,
    scope: asScreen ? "openid profile" : "openid email profile", // what each client allows
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  });
  location.assign(`${config.domain}/oauth2/authorize?${query}`);
}

export async function finishCognitoSignIn() {
  // back from the user pool's managed login: ?code=…&state=… (the code is single-use and needs the verifier)
  const query = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  if (!query.has("code") || !pending) return;
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", `${location.pathname}${pending.hash || "#/"}`);
  if (query.get("state") !== pending.state) throw new Error("the sign-in did not come back from this page: sign in again");
  const answer = await fetch(`${config.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: pending.screen ? config.screenClientId : config.clientId,
      code: query.get("code"),
      redirect_uri: config.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!answer.ok) throw new Error(`the user pool refused the sign-in (${answer.status})`);
  const tokens = await answer.json();
  if (pending.screen && !(claims(tokens.id_token)["cognito:groups"] || []).includes("display")) {
    // a person's account would stay signed in for months on a shared screen: a display user only
    localStorage.setItem(SCREEN_KEY, tokens.refresh_token);
    signOutScreen();
    throw new Error(t("app.screen_needs_display"));
  }
  sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
  if (pending.screen) localStorage.setItem(SCREEN_KEY, tokens.refresh_token);
}

export const isScreen = () => localStorage.getItem(SCREEN_KEY) !== null;

export async function localSignIn(group) {
  const answer = await fetch("token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ group }),
  });
  if (!answer.ok) throw new Error(`the local runtime gave no token (${answer.status})`);
  sessionStorage.setItem(TOKEN_KEY, (await answer.json()).token);
  sessionStorage.setItem(GROUP_KEY, group);
}

export async function renew() {
  // a session that renews itself, for a screen that stays on: locally a new token of the same
  // group; on a stage, the screen's refresh token exchanged for a new ID token
  const ended = () => Object.assign(new Error("sign in again"), { renewal: true });
  const group = sessionStorage.getItem(GROUP_KEY);
  if (config.signIn === "local" && group) return localSignIn(group);
  const refresh = localStorage.getItem(SCREEN_KEY);
  if (config.signIn !== "cognito" || !refresh) throw ended();
  const answer = await fetch(`${config.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", client_id: config.screenClientId, refresh_token: refresh }),
  });
  if (answer.status === 400 || answer.status === 401) {
    localStorage.removeItem(SCREEN_KEY); // revoked or expired: someone signs the screen in again
    throw ended();
  }
  if (!answer.ok) throw new Error(`the user pool answered ${answer.status}`); // a network hiccup: try again later
  sessionStorage.setItem(TOKEN_KEY, (await answer.json()).id_token);
}
