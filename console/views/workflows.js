// The executions of each workflow, for managers and ops: the overview (failures first), a workflow's
// executions, and one execution (its states drawn, its events, redrive and stop for ops).

import { api } from "../api.js";
import { h, table, when } from "../dom.js";
import { known, t } from "../i18n.js";
import { refreshEvery, show, shownMessage, unchanged } from "../page.js";
import { groups, isOps } from "../session.js";

const STATUSES = ["running", "succeeded", "failed", "timed_out", "aborted"];
// a status the API names, in words: runs.status.<status> (an order's, e.g. at_lab, as it is written)
const label = (status) => (known(`runs.status.${status}`) ? t(`runs.status.${status}`) : status.replaceAll("_", " "));
const badge = (status) => h("span", { class: `status ${status}` }, label(status));
const workflowHref = (workflow) => `#/workflows/${encodeURIComponent(workflow)}`;
const executionHref = (workflow, name) => `${workflowHref(workflow)}/executions/${encodeURIComponent(name)}`;

async function entityLabel(entity) {
  // "client Amina D.", "ticket A007", "order at_lab": where the caller may read the entity (managers)
  const kind = t(`runs.entity.${entity.type}`);
  if (!groups().includes("managers")) return `${kind} ${entity.id.slice(0, 8)}…`;
  try {
    const found = await api(entity.url);
    if (entity.type === "client") return `${kind} ${found.first_name} ${(found.last_name || "").slice(0, 1)}.`;
    if (entity.type === "ticket") return `${kind} ${found.number}`;
    if (entity.type === "order") return `${kind} ${label(found.status)}`;
  } catch {
    /* not the caller's to read (ops), or gone: the id will do */
  }
  return `${kind} ${entity.id.slice(0, 8)}…`;
}

export async function overview() {
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
      h("td", {}, item.status === "timed_out" ? t("runs.timed_out_in", { state: item.failed_state || "—" }) : item.failed_state || "—"),
      h("td", {}, item.error || "—"),
      h("td", { class: "when" }, when(item.stopped_at)),
      h("td", {}, item.redrive?.redrivable ? t("runs.can_redrive") : item.redrive?.reason || "—"),
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
    t("runs.workflows"),
    h("h2", { id: "failed" }, t("runs.failed_count", { count: failedItems.length })),
    failedItems.length ? h("p", {}, t("runs.failed_explained")) : null,
    table([t("runs.execution"), t("runs.workflow"), t("runs.failed_in"), t("runs.error"), t("runs.stopped"), t("runs.redrive_column")], failedRows, t("runs.no_failure")),
    h("h2", {}, t("runs.last_day")),
    h("div", { class: "cards" }, cards),
  );
  refreshEvery(overview);
}

export async function executions(workflow, query) {
  const status = query.get("status") || "";
  const written = (query.get("entity") || "").trim();
  const entity = entityId(written);
  let page;
  if (written && !entity) {
    page = { items: [], next: null, problem: t("runs.not_an_id", { written }) };
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
  const more = h("button", { type: "button", hidden: !next }, t("runs.more"));
  more.addEventListener("click", async () => {
    const following = await api(`/workflows/${encodeURIComponent(workflow)}/executions?limit=50${status ? `&status=${status}` : ""}&next=${encodeURIComponent(next)}`);
    addRows(following.items);
    next = following.next;
    more.hidden = !next;
  });
  const statusSelect = h(
    "select",
    { id: "status-filter", name: "status" },
    h("option", { value: "" }, t("runs.every_status")),
    STATUSES.map((each) => h("option", { value: each, selected: each === status }, label(each))),
  );
  const search = h("input", { id: "entity-search", name: "entity", value: entity, placeholder: t("runs.entity_placeholder"), size: 38, autocomplete: "off" });
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
    h("label", { for: "status-filter" }, t("runs.status"), statusSelect),
    h("label", { for: "entity-search" }, t("runs.entity_id"), search),
    h("button", { type: "submit" }, t("runs.filter")),
  );
  show(
    workflow,
    h("p", {}, h("a", { href: "#/" }, t("runs.back_overview"))),
    filters,
    page.problem ? h("p", { class: "message error", role: "alert" }, page.problem) : null,
    page.items.length
      ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, [t("runs.execution"), t("runs.status_column"), t("runs.started"), t("runs.stopped"), t("runs.failed_in")].map((text) => h("th", { scope: "col" }, text)))), body))
      : h("p", {}, t("runs.none_matches")),
    more,
    h("p", { class: "when" }, t("runs.refreshed")),
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
  const drawing = svg("svg", { viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: "img", "aria-labelledby": "graph-title" }, svg("title", { id: "graph-title" }, t("runs.graph_title")));
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
    const count = state.retries;
    const retries = !count ? "" : count === 1 ? t("runs.retry", { count }) : t("runs.retries", { count });
    const detail = [label(state.status), retries, state.entered > 1 ? `×${state.entered}` : ""].filter(Boolean).join(" · ");
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
  const shown = ["succeeded", "failed", "caught", "running", "not_reached"];
  const text = (status) => (status === "running" ? t("runs.running_or_waiting") : label(status));
  return h("ul", { class: "legend", "aria-label": t("runs.colours") }, shown.map((status) => h("li", {}, h("span", { class: status }), text(status))));
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
        ? h("details", {}, h("summary", {}, t("runs.whole_cause")), h("pre", {}, event.cause))
        : null,
      data.length
        ? h("details", {}, h("summary", {}, data.join(", ")), data.map((field) => h("div", {}, h("strong", {}, field), h("pre", {}, JSON.stringify(event[field], null, 2)))))
        : null,
    );
  });
  return h("ol", { class: "timeline", "aria-label": t("runs.events_label") }, items);
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

export async function execution(workflow, name) {
  const path = `/workflows/${encodeURIComponent(workflow)}/executions/${encodeURIComponent(name)}`;
  const [detail, history] = await Promise.all([api(path), api(`${path}/history`)]);
  if (unchanged(detail, history.events.length)) return;
  const who = detail.entity ? await entityLabel(detail.entity) : t("runs.by_hand");
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const actions = h("div", { class: "actions" });
  if (isOps() && detail.redrive?.redrivable) {
    actions.append(
      h("button", {
        type: "button",
        class: "primary",
        onclick: async () => {
          const from = detail.failed_state || t("runs.where_it_stopped");
          if (!(await confirmAction(t("runs.redrive_question"), t("runs.redrive_explained", { name, from }), t("runs.redrive"), false))) return;
          await act(`${path}/redrive`, {}, message, t("runs.redriven"), () => execution(workflow, name));
        },
      }, t("runs.redrive")),
    );
  }
  if (isOps() && detail.status === "running") {
    actions.append(
      h("button", {
        type: "button",
        class: "danger",
        onclick: async () => {
          const entity = detail.entity ? t(`runs.entity.${detail.entity.type}`) : t("runs.entity");
          const answer = await confirmAction(t("runs.stop_question"), t("runs.stop_explained", { name, entity }), t("runs.stop"), true);
          if (!answer) return;
          await act(`${path}/stop`, answer.cause ? { cause: answer.cause } : {}, message, t("runs.stopped_done"), () => execution(workflow, name));
        },
      }, t("runs.stop")),
    );
  }
  const times = { count: detail.redrive?.count, last: when(detail.redrive?.last_at) };
  const redriven = !times.count ? t("runs.never") : times.count === 1 ? t("runs.redriven_once", times) : t("runs.redriven_times", times);
  const facts = [
    [t("runs.status_column"), badge(detail.status)],
    detail.entity
      ? [t(`runs.entity.${detail.entity.type}`), h("a", { href: `#/workflows/${encodeURIComponent(workflow)}?entity=${detail.entity.id}` }, who)]
      : [t("runs.entity"), who],
    [t("runs.started"), when(detail.started_at)],
    [t("runs.stopped"), when(detail.stopped_at)],
    [t("runs.redriven_fact"), redriven],
  ];
  const failure =
    detail.failed_state || detail.error
      ? h(
          "section",
          { class: "alert", role: "alert", "aria-labelledby": "failure-title" },
          h("h2", { id: "failure-title" }, t("runs.status_in", { status: label(detail.status), state: detail.failed_state || "—" })),
          h("p", {}, h("strong", {}, detail.error || t("runs.no_error")), detail.cause ? `: ${explained(detail.cause)}` : ""),
          detail.redrive && !detail.redrive.redrivable
            ? h("p", {}, t("runs.cannot_redrive", { reason: detail.redrive.reason }))
            : h("p", {}, isOps() ? t("runs.redrive_when_fixed") : t("runs.ops_redrive_when_fixed")),
        )
      : null;
  const waiting = detail.waiting
    ? h("p", { class: "note" }, t(`runs.waiting.${detail.waiting.kind}`, { state: detail.waiting.state, error: detail.waiting.error }), detail.waiting.since ? ` ${t("runs.since", { since: when(detail.waiting.since) })}` : "", ".")
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
      h("section", { "aria-labelledby": "graph-heading" }, h("h2", { id: "graph-heading" }, t("runs.states")), legend(), h("div", { class: "graph" }, await layout(detail.states, detail.start_at))),
      h("section", { "aria-labelledby": "events-heading" }, h("h2", { id: "events-heading" }, t("runs.events", { count: history.events.length })), timeline(history.events)),
    ),
  );
  if (detail.status === "running" || detail.status === "pending_redrive") refreshEvery(() => execution(workflow, name));
}

async function act(path, body, message, done, reload) {
  message.className = "message";
  message.textContent = t("counter.sending");
  try {
    await api(path, { method: "POST", body });
  } catch (error) {
    message.className = "message error";
    message.textContent = error.message;
    return;
  }
  await reload();
  const shown = shownMessage();
  if (shown) shown.textContent = done;
}
