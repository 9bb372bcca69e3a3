// The front desk's counter: the worker chooses site, station and counter once (remembered on this
// device), then calls the next person, sees them arrive, completes, transfers, recalls, marks a
// no-show or cancels; beside it the station's queue in calling order. Alt+N calls the next person,
// Alt+A marks them arrived. An action sent is sent once: its buttons wait for the answer, and a
// refusal is said in words (the API's message), never as a code.

import { api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { failed, refreshEvery, show, unchanged } from "../page.js";

export const COUNTER_KEY = "fondation.desk.counter";
const REFRESH_MS = 5000;
const OPEN = ["called", "serving"];

const chosen = () => JSON.parse(localStorage.getItem(COUNTER_KEY) || "null");

export async function chooseCounter() {
  const { items: sites } = await api("/sites");
  const current = chosen() || {};
  const site = h("select", { id: "counter-site", name: "site", required: true });
  const station = h("select", { id: "counter-station", name: "station", required: true });
  const counter = h("select", { id: "counter-counter", name: "counter", required: true });
  const options = (select, items, value) =>
    select.replaceChildren(...items.map(([id, text]) => h("option", { value: id, selected: id === value }, text)));
  const fill = () => {
    const found = sites.find((each) => each.site_id === site.value) || sites[0];
    options(station, (found?.stations || []).map((each) => [each.station_id, each.name]), current.station);
    const stationFound = found?.stations.find((each) => each.station_id === station.value);
    options(counter, (stationFound?.counters || []).map((id) => [id, stationFound.counter_names[id] || id]), current.counter);
  };
  options(site, sites.map((each) => [each.site_id, each.name]), current.site);
  site.addEventListener("change", fill);
  station.addEventListener("change", fill);
  fill();
  const form = h(
    "form",
    {
      class: "setup",
      onsubmit: (event) => {
        event.preventDefault();
        localStorage.setItem(COUNTER_KEY, JSON.stringify({ site: site.value, station: station.value, counter: counter.value }));
        // from #/counter/setup the address changes; from #/counter (no counter chosen yet) it is already there
        if (location.hash === "#/counter") counterView().catch(failed);
        else location.hash = "#/counter";
      },
    },
    h("label", { for: "counter-site" }, t("counter.site"), site),
    h("label", { for: "counter-station" }, t("counter.station"), station),
    h("label", { for: "counter-counter" }, t("counter.counter"), counter),
    h("button", { type: "submit", class: "primary" }, t("counter.use")),
  );
  show(t("counter.choose"), h("p", {}, t("counter.choose_explained")), sites.length ? form : h("p", {}, t("counter.no_site")));
}

export async function counterView() {
  const place = chosen();
  if (!place) return chooseCounter();
  const site = await api(`/sites/${encodeURIComponent(place.site)}`);
  const station = site.stations.find((each) => each.station_id === place.station);
  if (!station || !station.counters.includes(place.counter)) return chooseCounter();
  const counterName = station.counter_names[place.counter] || place.counter;
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const call = h("section", { class: "counter-call", "aria-labelledby": "call-heading" });
  const queue = h("section", { class: "counter-queue", "aria-labelledby": "queue-heading" });
  let busy = false;
  let open = null;

  const act = async (path, body, done) => {
    if (busy) return; // a second press while the first is on its way does nothing
    busy = true;
    for (const button of call.querySelectorAll("button")) button.disabled = true;
    message.className = "message";
    message.setAttribute("role", "status");
    message.textContent = t("counter.sending");
    try {
      const answer = await api(path, { method: "POST", body });
      message.textContent = done(answer);
    } catch (error) {
      message.className = "message error";
      message.setAttribute("role", "alert");
      message.textContent = error.status === 401 ? t("counter.session_ended") : error.message;
    } finally {
      await refresh(true).catch(() => {}); // the next refresh tries again
      busy = false; // only once the view shows what the action changed: a second press acts on that
    }
  };
  const callNext = () =>
    act(`/sites/${encodeURIComponent(place.site)}/stations/${encodeURIComponent(place.station)}/call-next`, { counter: place.counter }, (called) =>
      called ? t("counter.called", { number: called.number }) : t("counter.nobody_waits"),
    );
  // done: what the worker reads once it is done, e.g. (number) => t("counter.arrived", { number })
  const ticketAction = (action, body, done) => {
    const { ticket_id: ticket, number } = open;
    return act(`/tickets/${ticket}/${action}`, body, () => done(number));
  };
  const arrived = () => ticketAction("arrived", undefined, (number) => t("counter.arrived", { number }));

  async function who(ticket) {
    // the walk-in's first name, or the client's initials: enough to greet the right person
    if (ticket.display_name) return ticket.display_name;
    if (!ticket.client_id) return "";
    try {
      const client = await api(`/clients/${ticket.client_id}`);
      return `${(client.first_name || "").slice(0, 1)}. ${(client.last_name || "").slice(0, 1)}.`;
    } catch {
      return "";
    }
  }

  async function drawCall() {
    if (!open) {
      call.replaceChildren(
        h("h2", { id: "call-heading" }, counterName),
        h("button", { type: "button", class: "primary big", "aria-keyshortcuts": "Alt+N", onclick: callNext }, t("counter.call_next")),
        h("p", { class: "hint" }, t("counter.shortcuts")),
      );
      return;
    }
    const others = site.stations.filter((each) => each.station_id !== open.station_id);
    const elsewhere = h("select", { id: "counter-elsewhere", name: "station" }, others.map((each) => h("option", { value: each.station_id }, each.name)));
    const buttons =
      open.status === "called"
        ? [
            h("button", { type: "button", class: "primary", "aria-keyshortcuts": "Alt+A", onclick: arrived }, t("counter.mark_arrived")),
            h("button", { type: "button", onclick: () => ticketAction("recall", undefined, (number) => t("counter.recalled", { number })) }, t("counter.recall")),
            h("button", { type: "button", onclick: () => ticketAction("no-show", undefined, (number) => t("counter.no_show_done", { number })) }, t("counter.no_show")),
          ]
        : [
            h("button", { type: "button", class: "primary", onclick: () => ticketAction("complete", {}, (number) => t("counter.completed", { number })) }, t("counter.complete")),
            others.length
              ? h(
                  "span",
                  { class: "elsewhere" },
                  h("label", { for: "counter-elsewhere" }, t("counter.send_to"), elsewhere),
                  h("button", { type: "button", onclick: () => ticketAction("complete", { next_station: elsewhere.value }, (number) => t("counter.completed", { number })) }, t("counter.complete_to")),
                  h("button", { type: "button", onclick: () => ticketAction("transfer", { station_id: elsewhere.value }, (number) => t("counter.transferred", { number })) }, t("counter.transfer")),
                )
              : null,
          ];
    call.replaceChildren(
      h("h2", { id: "call-heading" }, counterName),
      h("p", { class: "called-number" }, open.number),
      h("p", { class: "called-who" }, await who(open), " · ", t(`counter.status.${open.status}`)),
      h("div", { class: "actions" }, buttons, h("button", { type: "button", class: "danger", onclick: () => confirm(t("counter.confirm_cancel", { number: open.number })) && ticketAction("cancel", undefined, (number) => t("counter.cancelled", { number })) }, t("counter.cancel"))),
    );
  }

  function drawQueue(waiting) {
    const rows = waiting.map((ticket) =>
      h(
        "tr",
        {},
        h("td", {}, ticket.position),
        h("td", {}, h("strong", {}, ticket.number)),
        h("td", {}, ticket.priority === "none" ? "—" : t(`counter.priority.${ticket.priority}`)),
        h("td", {}, ticket.estimated_wait_minutes === null ? "—" : t("counter.minutes", { minutes: ticket.estimated_wait_minutes })),
      ),
    );
    queue.replaceChildren(
      h("h2", { id: "queue-heading" }, t("counter.waiting_at", { station: station.name, count: waiting.length })),
      rows.length
        ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, [t("counter.position"), t("counter.number"), t("counter.priority"), t("counter.wait")].map((text) => h("th", { scope: "col" }, text)))), h("tbody", {}, rows)))
        : h("p", {}, t("counter.nobody_waits")),
    );
  }

  async function refresh(force = false) {
    const { items } = await api(`/sites/${encodeURIComponent(place.site)}/tickets?station_id=${encodeURIComponent(place.station)}`);
    const mine = items.find((ticket) => OPEN.includes(ticket.status) && ticket.counter === place.counter) || null;
    const waiting = items.filter((ticket) => ticket.status === "waiting").sort((one, other) => one.position - other.position);
    if (unchanged(mine, waiting) && !force) return;
    open = mine;
    drawQueue(waiting);
    if (!busy || force) await drawCall();
  }

  show(
    `${site.name} · ${station.name}`,
    h("p", {}, h("a", { href: "#/counter/setup" }, t("counter.change"))),
    h("div", { class: "counter" }, call, queue),
    message,
  );
  await refresh(true);
  refreshEvery(refresh, REFRESH_MS);
  document.onkeydown = (event) => {
    if (!event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "n" && !open) callNext();
    else if (key === "a" && open?.status === "called") arrived();
    else return;
    event.preventDefault();
  };
}
