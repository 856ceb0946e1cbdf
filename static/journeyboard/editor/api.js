// The REST API, with the session's CSRF token; every failure becomes an ApiError.

const PLURAL = {
  journey: "journeys", phase: "phases", lane: "lanes", card: "cards", touchpoint: "touchpoints",
  emotion: "emotions", opportunity: "opportunities",
};

export class ApiError extends Error {
  constructor(status, body) {
    super(describe(status, body));
    this.status = status;
    this.body = body || {};
  }
}

function describe(status, body) {
  if (!body) return status ? `The server answered ${status}.` : "The server could not be reached.";
  if (body.errors) {
    const parts = Object.entries(body.errors).map(([field, messages]) =>
      `${field.replace(/_/g, " ")}: ${[].concat(messages).join(" ")}`);
    return parts.join("; ") || body.detail;
  }
  return body.detail || `The server answered ${status}.`;
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export async function request(method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, null);
  }
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const api = {
  map: (journeyId) => request("GET", `/api/journeys/${journeyId}/`),
  create: (kind, fields) => request("POST", `/api/${PLURAL[kind]}/`, fields),
  update: (kind, id, changes) => request("PATCH", `/api/${PLURAL[kind]}/${id}/`, changes),
  move: (kind, id, target) => request("POST", `/api/${PLURAL[kind]}/${id}/move/`, target),
  remove: (kind, id, params = {}) => {
    const query = new URLSearchParams(params).toString();
    return request("DELETE", `/api/${PLURAL[kind]}/${id}/${query ? `?${query}` : ""}`);
  },
};
