// The API, called with the signed-in person's token; an answer other than 2xx is an ApiError.

import { config, currentToken } from "./session.js";

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `the API answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { method = "GET", body, headers = {}, timeout } = {}) {
  const token = currentToken();
  if (!token) throw new ApiError(401, { message: "Your session has ended: sign in again." });
  const answer = await fetch(`${config.api}${path}`, {
    method,
    signal: timeout ? AbortSignal.timeout(timeout) : undefined,
    headers: { ...headers, Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(answer.status, { message: `the API answered ${answer.status}, not in JSON` }); // a proxy's page
  }
  if (!answer.ok) throw new ApiError(answer.status, parsed);
  return parsed;
}
