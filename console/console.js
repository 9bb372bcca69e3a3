// The managers' and ops' console: the executions routes of the API, in the project's words.
// Pages: #/ (overview), #/workflows/<workflow> (its executions), #/workflows/<workflow>/executions/<name>,
// and locally #/mailbox (what the dispatcher delivered to the local mailbox instead of SNS and SES).
// The token stays in session storage, never in a URL; every element is built with textContent.

const STATUSES = ["running", "succeeded", "failed", "timed_out", "aborted"];
const LABELS = { timed_out: "timed out", pending_redrive: "pending redrive", not_reached: "not reached" };
const REFRESH_MS = 10000;
const TOKEN_KEY = "fondation.console.token";
const PKCE_KEY = "fondation.console.pkce";

const main = document.getElementById("main");
let config = null;
let refresher = null;
let shownData = null; // what the page shows: a refresh that brings nothing new leaves the page alone
let refreshing = false;

// --- elements ------------------------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const label = (status) => LABELS[status] || status;
const badge = (status) => h("span", { class: `status ${status}` }, label(status));
const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");
const workflowHref = (workflow) => `#/workflows/${encodeURIComponent(workflow)}`;
const executionHref = (workflow, name) => `${workflowHref(workflow)}/executions/${encodeURIComponent(name)}`;

function unchanged(...data) {
  // on a refresh, true when nothing changed: the page, what is typed in it and its focus stay
  const signature = JSON.stringify(data);
  const same = refreshing && signature === shownData;
  shownData = signature;
  return same;
}

function show(title, ...content) {
  document.title = `${title} · Fondation console`;
  const scrolled = window.scrollY;
  main.replaceChildren(h("h1", {}, title), ...content.filter(Boolean));
  if (refreshing) window.scrollTo(0, scrolled);
  else main.focus({ preventScroll: true });
}

function table(headers, rows, empty) {
  if (!rows.length) return h("p", {}, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))), h("tbody", {}, rows)),
  );
}

// --- signing in ----------------------------------------------------------------------------------

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
  } catch {
    return {};
  }
}

function currentToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const { exp } = claims(token);
  if (exp && exp * 1000 < Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return token;
}

const groups = () => claims(currentToken() || "")["cognito:groups"] || [];
const isOps = () => groups().includes("ops");

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/";
  render();
}

function randomText(bytes) {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...values)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function cognitoSignIn() {
  const verifier = randomText(48);
  const state = randomText(16);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const challenge = btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  });
  location.assign(`${config.domain}/oauth2/authorize?${query}`);
}

async function finishCognitoSignIn() {
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
      client_id: config.clientId,
      code: query.get("code"),
      redirect_uri: config.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!answer.ok) throw new Error(`the user pool refused the sign-in (${answer.status})`);
  sessionStorage.setItem(TOKEN_KEY, (await answer.json()).id_token);
}

async function localSignIn(group) {
  const answer = await fetch("token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ group }),
  });
  if (!answer.ok) throw new Error(`the local runtime gave no token (${answer.status})`);
  sessionStorage.setItem(TOKEN_KEY, (await answer.json()).token);
  render();
}

function signInPage(problem) {
  const actions =
    config.signIn === "local"
      ? config.groups.map((group) =>
          h("button", { type: "button", class: "primary", onclick: () => localSignIn(group).catch(failed) }, `Sign in as ${group}`),
        )
      : [h("button", { type: "button", class: "primary", onclick: () => cognitoSignIn().catch(failed) }, "Sign in")];
  const explanation =
    config.signIn === "local"
      ? "The local runtime signs you in with a token of the group you choose (local only)."
      : "You sign in with your account of this stage's user pool.";
  show("Sign in", h("section", { class: "sign-in" }, problem ? h("p", { class: "message error", role: "alert" }, problem) : null, h("p", {}, explanation), h("div", { class: "actions" }, actions)));
}

function failed(error) {
  show("Something went wrong", h("p", { class: "message error", role: "alert" }, error.message || String(error)), h("p", {}, h("a", { href: "#/" }, "Back to the overview")));
}

// --- the API -------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `the API answered ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = "GET", body } = {}) {
  const token = currentToken();
  if (!token) throw new ApiError(401, { message: "Your session has ended: sign in again." });
  const answer = await fetch(`${config.api}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!answer.ok) throw new ApiError(answer.status, parsed);
  return parsed;
}

async function entityLabel(entity) {
  // "client Amina D.", "ticket A007", "order at_lab": where the caller may read the entity (managers)
  if (!groups().includes("managers")) return `${entity.type} ${entity.id.slice(0, 8)}…`;
  try {
    const found = await api(entity.url);
    if (entity.type === "client") return `client ${found.first_name} ${(found.last_name || "").slice(0, 1)}.`;
    if (entity.type === "ticket") return `ticket ${found.number}`;
    if (entity.type === "order") return `order ${label(found.status)}`;
  } catch {
    /* not the caller's to read (ops), or gone: the id will do */
  }
  return `${entity.type} ${entity.id.slice(0, 8)}…`;
}

// --- pages ---------------------------------------------------------------------------------------

async function overview() {
  const counts = await api("/workflows");
  const failures = await Promise.all(
    counts.workflows.flatMap((each) =>
      ["failed", "timed_out"].map((status) => api(`/workflows/${each.workflow}/executions?status=${status}&limit=20`)),
    ),
  );
  const failedItems = failures.flatMap((page) => page.items);
  if (unchanged(counts.workflows, failedItems)) return;
  const failedRows = failedItems.map((item) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: executionHref(item.workflow, item.name) }, item.name)),
      h("td", {}, item.workflow),
      h("td", {}, item.status === "timed_out" ? `${item.failed_state || "—"} (timed out)` : item.failed_state || "—"),
      h("td", {}, item.error || "—"),
      h("td", { class: "when" }, when(item.stopped_at)),
      h("td", {}, item.redrive?.redrivable ? "can be redriven" : item.redrive?.reason || "—"),
    ),
  );
  const cards = counts.workflows.map((each) =>
    h(
      "section",
      { class: "card", "aria-labelledby": `card-${each.workflow}` },
      h("h2", { id: `card-${each.workflow}` }, h("a", { href: workflowHref(each.workflow) }, each.workflow)),
      h("dl", { class: "counts" }, STATUSES.flatMap((status) => [h("dt", {}, label(status)), h("dd", {}, each.counts[status] + (each.capped ? "+" : ""))])),
    ),
  );
  show(
    "Workflows",
    h("h2", { id: "failed" }, `Failed executions (${failedItems.length})`),
    failedItems.length ? h("p", {}, "Ops: open one to read why it failed; once the cause is fixed, redrive it.") : null,
    table(["execution", "workflow", "failed in", "error", "stopped", "redrive"], failedRows, "No failed execution: nothing to redrive."),
    h("h2", {}, "Executions started in the last 24 hours (running: all)"),
    h("div", { class: "cards" }, cards),
  );
  refreshEvery(overview);
}

async function executions(workflow, query) {
  const status = query.get("status") || "";
  const written = (query.get("entity") || "").trim();
  const entity = entityId(written);
  let page;
  if (written && !entity) {
    page = { items: [], next: null, problem: `"${written}" is not an id: paste a client's, ticket's or order's id, or an execution's name` };
  } else if (entity) {
    const found = await api(`/executions?entity=${encodeURIComponent(entity)}`);
    const items = found.items.filter((item) => item.workflow === workflow && (!status || item.status === status));
    page = { items, next: null };
  } else {
    page = await api(`/workflows/${encodeURIComponent(workflow)}/executions?limit=50${status ? `&status=${status}` : ""}`);
  }
  if (unchanged(workflow, status, written, page)) return;
  const body = h("tbody");
  const addRows = (items) =>
    body.append(
      ...items.map((item) =>
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: executionHref(workflow, item.name) }, item.name)),
          h("td", {}, badge(item.status)),
          h("td", { class: "when" }, when(item.started_at)),
          h("td", { class: "when" }, when(item.stopped_at)),
          h("td", {}, item.failed_state ? `${item.failed_state}: ${item.error || ""}` : "—"),
        ),
      ),
    );
  addRows(page.items);
  let next = page.next;
  const more = h("button", { type: "button", hidden: !next }, "Show more");
  more.addEventListener("click", async () => {
    const following = await api(`/workflows/${encodeURIComponent(workflow)}/executions?limit=50${status ? `&status=${status}` : ""}&next=${encodeURIComponent(next)}`);
    addRows(following.items);
    next = following.next;
    more.hidden = !next;
  });
  const statusSelect = h(
    "select",
    { id: "status-filter", name: "status" },
    h("option", { value: "" }, "every status"),
    STATUSES.map((each) => h("option", { value: each, selected: each === status }, label(each))),
  );
  const search = h("input", { id: "entity-search", name: "entity", value: entity, placeholder: "a client's, ticket's or order's id", size: 38, autocomplete: "off" });
  const filters = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        const chosen = new URLSearchParams();
        if (statusSelect.value) chosen.set("status", statusSelect.value);
        if (search.value.trim()) chosen.set("entity", search.value.trim());
        location.hash = `${workflowHref(workflow)}${chosen.size ? `?${chosen}` : ""}`;
      },
    },
    h("label", { for: "status-filter" }, "Status", statusSelect),
    h("label", { for: "entity-search" }, "Entity id", search),
    h("button", { type: "submit" }, "Filter"),
  );
  show(
    workflow,
    h("p", {}, h("a", { href: "#/" }, "← Overview")),
    filters,
    page.problem ? h("p", { class: "message error", role: "alert" }, page.problem) : null,
    page.items.length
      ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, ["execution", "status", "started", "stopped", "failed in"].map((text) => h("th", { scope: "col" }, text)))), body))
      : h("p", {}, "No execution matches."),
    more,
    h("p", { class: "when" }, "Refreshed every 10 seconds while this page is open."),
  );
  refreshEvery(() => executions(workflow, query));
}

function entityId(written) {
  // an id as the API gives it, or pasted in capitals, or an execution's name (client-…)
  const found = written.toLowerCase().match(/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/);
  return found ? found[1] : null;
}

async function layout(states, startAt) {
  // ELK lays the state machine out top-down; the console draws it as SVG
  const elk = new ELK();
  const graph = await elk.layout({
    id: "machine",
    layoutOptions: { "elk.algorithm": "layered", "elk.direction": "DOWN", "elk.spacing.nodeNode": "24", "elk.layered.spacing.nodeNodeBetweenLayers": "36" },
    children: [{ id: "__start", width: 14, height: 14 }, ...states.map((state) => ({ id: state.name, width: Math.max(120, state.name.length * 8 + 24), height: 44 }))],
    edges: [
      { id: "start", sources: ["__start"], targets: [startAt] },
      ...states.flatMap((state) => state.next.map((target, index) => ({ id: `${state.name}-${index}`, sources: [state.name], targets: [target] }))),
    ],
  });
  const svg = (tag, attributes = {}, ...children) => {
    const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children);
    return element;
  };
  const byName = Object.fromEntries(states.map((state) => [state.name, state]));
  const drawing = svg("svg", { viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: "img", "aria-labelledby": "graph-title" }, svg("title", { id: "graph-title" }, "The state machine, each state coloured by what happened to it"));
  drawing.append(
    svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8e8e96" }))),
  );
  for (const edge of graph.edges) {
    for (const section of edge.sections || []) {
      const points = [section.startPoint, ...(section.bendPoints || []), section.endPoint];
      drawing.append(svg("polyline", { class: "edge", "marker-end": "url(#arrow)", points: points.map((point) => `${point.x},${point.y}`).join(" ") }));
    }
  }
  for (const node of graph.children) {
    if (node.id === "__start") {
      drawing.append(svg("circle", { cx: node.x + 7, cy: node.y + 7, r: 7, fill: "#5a5a60" }));
      continue;
    }
    const state = byName[node.id];
    const detail = [label(state.status), state.retries ? `${state.retries} retr${state.retries === 1 ? "y" : "ies"}` : "", state.entered > 1 ? `×${state.entered}` : ""].filter(Boolean).join(" · ");
    drawing.append(
      svg(
        "g",
        { class: `node ${state.status}`, "data-state": state.name, "data-status": state.status },
        svg("title", {}, `${state.name}: ${detail}`),
        svg("rect", { x: node.x, y: node.y, width: node.width, height: node.height, rx: 8 }),
        svg("text", { x: node.x + 10, y: node.y + 18 }, state.name),
        svg("text", { x: node.x + 10, y: node.y + 34, class: "kind" }, `${state.type} · ${detail}`),
      ),
    );
  }
  return drawing;
}

function legend() {
  const shown = [["succeeded", "succeeded"], ["failed", "failed"], ["caught", "caught"], ["running / waiting", "running"], ["not reached", "not_reached"]];
  return h("ul", { class: "legend", "aria-label": "Colours" }, shown.map(([text, status]) => h("li", {}, h("span", { class: status }), text)));
}

function explained(cause) {
  // a Lambda error's cause is JSON with its message and stack trace: the message says it
  try {
    return JSON.parse(cause).errorMessage || cause;
  } catch {
    return cause || "";
  }
}

function timeline(events) {
  const items = events.map((event) => {
    const failure = event.error || /Failed|TimedOut|Aborted/.test(event.type);
    const data = ["input", "output", "parameters"].filter((field) => event[field] !== null && event[field] !== undefined);
    return h(
      "li",
      {},
      h("div", { class: failure ? "failure" : "" }, `${event.id}. ${event.type}`, event.state ? ` — ${event.state}` : ""),
      h("div", { class: "when" }, when(event.at)),
      event.error ? h("div", { class: "failure" }, `${event.error}: ${explained(event.cause)}`) : null,
      event.error && event.cause && explained(event.cause) !== event.cause
        ? h("details", {}, h("summary", {}, "the whole cause"), h("pre", {}, event.cause))
        : null,
      data.length
        ? h("details", {}, h("summary", {}, data.join(", ")), data.map((field) => h("div", {}, h("strong", {}, field), h("pre", {}, JSON.stringify(event[field], null, 2)))))
        : null,
    );
  });
  return h("ol", { class: "timeline", "aria-label": "Events" }, items);
}

async function confirmAction(title, text, button, withCause) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-button").textContent = button;
  dialog.querySelector(".stop-fields").hidden = !withCause;
  const cause = document.getElementById("stop-cause");
  cause.value = "";
  dialog.showModal();
  await new Promise((resolve) => dialog.addEventListener("close", resolve, { once: true }));
  return dialog.returnValue === "confirm" ? { cause: cause.value.trim() } : null;
}

async function execution(workflow, name) {
  const path = `/workflows/${encodeURIComponent(workflow)}/executions/${encodeURIComponent(name)}`;
  const [detail, history] = await Promise.all([api(path), api(`${path}/history`)]);
  if (unchanged(detail, history.events.length)) return;
  const who = detail.entity ? await entityLabel(detail.entity) : "started by hand";
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const actions = h("div", { class: "actions" });
  if (isOps() && detail.redrive?.redrivable) {
    actions.append(
      h("button", {
        type: "button",
        class: "primary",
        onclick: async () => {
          if (!(await confirmAction("Redrive this execution?", `${name} runs again from ${detail.failed_state || "where it stopped"}.`, "Redrive", false))) return;
          await act(`${path}/redrive`, {}, message, "Redriven: it runs again from where it stopped.", () => execution(workflow, name));
        },
      }, "Redrive"),
    );
  }
  if (isOps() && detail.status === "running") {
    actions.append(
      h("button", {
        type: "button",
        class: "danger",
        onclick: async () => {
          const answer = await confirmAction("Stop this execution?", `${name} stops now, and its ${detail.entity?.type || "entity"} ends as a stop ends it.`, "Stop", true);
          if (!answer) return;
          await act(`${path}/stop`, answer.cause ? { cause: answer.cause } : {}, message, "Stopped.", () => execution(workflow, name));
        },
      }, "Stop"),
    );
  }
  const facts = [
    ["status", badge(detail.status)],
    detail.entity
      ? [detail.entity.type, h("a", { href: `#/workflows/${encodeURIComponent(workflow)}?entity=${detail.entity.id}` }, who)]
      : ["entity", who],
    ["started", when(detail.started_at)],
    ["stopped", when(detail.stopped_at)],
    ["redriven", detail.redrive?.count ? `${detail.redrive.count} time${detail.redrive.count === 1 ? "" : "s"}, last ${when(detail.redrive.last_at)}` : "never"],
  ];
  const failure =
    detail.failed_state || detail.error
      ? h(
          "section",
          { class: "alert", role: "alert", "aria-labelledby": "failure-title" },
          h("h2", { id: "failure-title" }, `${label(detail.status)} in ${detail.failed_state || "—"}`),
          h("p", {}, h("strong", {}, detail.error || "no error"), detail.cause ? `: ${explained(detail.cause)}` : ""),
          detail.redrive && !detail.redrive.redrivable
            ? h("p", {}, `Cannot be redriven: ${detail.redrive.reason}`)
            : h("p", {}, isOps() ? "Once the cause is fixed, redrive it: it runs again from this step." : "Ops can redrive it once the cause is fixed."),
        )
      : null;
  const waiting = detail.waiting
    ? h("p", { class: "note" }, `Waiting in ${detail.waiting.state}: ${detail.waiting.kind === "callback" ? "for an answer (a person or the lab)" : detail.waiting.kind === "retry" ? `to retry after ${detail.waiting.error}` : detail.waiting.kind === "wait" ? "a Wait state" : "a task is running"}`, detail.waiting.since ? ` since ${when(detail.waiting.since)}` : "", ".")
    : null;
  show(
    name,
    h("p", {}, h("a", { href: workflowHref(workflow) }, `← ${workflow}`)),
    h("dl", { class: "facts" }, facts.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
    failure,
    waiting,
    actions,
    message,
    h(
      "div",
      { class: "execution" },
      h("section", { "aria-labelledby": "graph-heading" }, h("h2", { id: "graph-heading" }, "States"), legend(), h("div", { class: "graph" }, await layout(detail.states, detail.start_at))),
      h("section", { "aria-labelledby": "events-heading" }, h("h2", { id: "events-heading" }, `Events (${history.events.length})`), timeline(history.events)),
    ),
  );
  if (detail.status === "running" || detail.status === "pending_redrive") refreshEvery(() => execution(workflow, name));
}

async function act(path, body, message, done, reload) {
  message.className = "message";
  message.textContent = "Sending…";
  try {
    await api(path, { method: "POST", body });
  } catch (error) {
    message.className = "message error";
    message.textContent = error.message;
    return;
  }
  await reload();
  const shown = main.querySelector(".message");
  if (shown) shown.textContent = done;
}

async function mailbox() {
  // local only: the letters the dispatcher delivered, newest first (managers: they name phones and addresses)
  const answer = await fetch(config.mailbox, { headers: { Authorization: `Bearer ${currentToken()}` } });
  const found = await answer.json();
  if (!answer.ok) throw new ApiError(answer.status, found);
  if (unchanged(found)) return;
  const rows = found.letters.map((letter) =>
    h(
      "tr",
      {},
      h("td", { class: "when" }, when(letter.sent_at)),
      h("td", {}, letter.channel === "email" ? "e-mail" : "SMS"),
      h("td", {}, letter.to),
      h("td", {}, `${letter.message} (${letter.language})`),
      h("td", { lang: letter.language, dir: "auto" }, letter.channel === "email" ? `${letter.subject} — ${letter.text}` : letter.text),
    ),
  );
  const shown = found.total > found.letters.length ? ` (the newest ${found.letters.length} of ${found.total})` : "";
  show(
    "Local mailbox",
    h("p", {}, `What the dispatcher sent${shown}: on a stage these go out by SNS and SES. The same letters: python -m local outbox.`),
    table(["sent", "by", "to", "message", "text"], rows, "The mailbox is empty: nothing has been sent yet."),
  );
  refreshEvery(mailbox);
}

// --- routing -------------------------------------------------------------------------------------

function refreshEvery(page) {
  // only while the page is shown and visible; a new page replaces the timer
  clearInterval(refresher);
  refresher = setInterval(async () => {
    if (document.visibilityState !== "visible" || document.getElementById("confirm").open) return;
    refreshing = true;
    try {
      await page();
    } catch {
      /* the next one tries again */
    } finally {
      refreshing = false;
    }
  }, REFRESH_MS);
}

async function render() {
  clearInterval(refresher);
  const token = currentToken();
  const who = document.getElementById("who");
  const signOutButton = document.getElementById("sign-out");
  signOutButton.hidden = !token;
  if (!token) {
    document.getElementById("mailbox-link").hidden = true;
    who.textContent = "";
    signInPage();
    return;
  }
  const you = claims(token);
  who.textContent = `${you["cognito:username"] || you.email || "signed in"} (${groups().join(", ") || "no group"})`;
  const [route, search] = location.hash.replace(/^#/, "").split("?");
  const parts = route.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    document.getElementById("mailbox-link").hidden = !config.mailbox || !groups().includes("managers");
    if (parts[0] === "mailbox" && config.mailbox) await mailbox();
    else if (parts[0] === "workflows" && parts[2] === "executions" && parts[3]) await execution(parts[1], parts[3]);
    else if (parts[0] === "workflows" && parts[1]) await executions(parts[1], new URLSearchParams(search || ""));
    else await overview();
  } catch (error) {
    if (error.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      signInPage("Your session has ended: sign in again.");
    } else if (error.status === 403) {
      failed(new Error("Your groups may not see this (managers and ops only)."));
    } else {
      failed(error);
    }
  }
}

async function start() {
  document.getElementById("sign-out").addEventListener("click", signOut);
  config = await (await fetch("config.json")).json();
  config.api = (config.api || "").replace(/\/$/, "");
  if (config.signIn === "cognito") await finishCognitoSignIn();
  window.addEventListener("hashchange", render);
  await render();
}

start().catch(failed);
