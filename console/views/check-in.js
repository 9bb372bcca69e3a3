// The front desk's check-in: find a client by name, phone or birth year, or take a walk-in by a
// first name or by number alone; the journey (the site's default), a priority with its reason, an
// appointment. The number is shown large, with a ticket that prints on a receipt printer: number,
// station, time, the estimated wait — never a name. One Idempotency-Key per form: sent again after
// a network error, it gives back the same ticket, never a second one. A walk-in can be onboarded from
// the ticket, and keeps it.

import { api } from "../api.js";
import { h } from "../dom.js";
import { language, t } from "../i18n.js";
import { show } from "../page.js";
import { deskSite, siteSelect } from "../form.js";

const PRIORITIES = ["disability", "pregnancy", "elderly", "child", "medical"];

export async function checkIn() {
  const { items: sites } = await api("/sites");
  if (!sites.length) return show(t("checkin.title"), h("p", {}, t("counter.no_site")));
  const site = deskSite(sites);
  const siteChoice = siteSelect("checkin-site", sites, site, () => checkIn());
  const key = crypto.randomUUID(); // this form's: a new person, a new form, a new key
  let client = null;

  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const q = h("input", { id: "checkin-q", name: "q", autocomplete: "off", maxlength: 100 });
  const year = h("input", { id: "checkin-year", name: "birth_year", inputmode: "numeric", pattern: "[0-9]{4}", size: 6, autocomplete: "off" });
  const found = h("ul", { class: "found", "aria-live": "polite" });
  const name = h("input", { id: "checkin-name", name: "display_name", autocomplete: "off", maxlength: 100, "aria-describedby": "checkin-name-help" });
  // the site's default journey first, in its order, then its other stations: what is ticked is the journey
  const stations = [
    ...site.default_journey.map((id) => site.stations.find((each) => each.station_id === id)),
    ...site.stations.filter((each) => !site.default_journey.includes(each.station_id)),
  ];
  const journey = stations.map((station) =>
    h("input", { type: "checkbox", id: `checkin-station-${station.station_id}`, value: station.station_id, checked: site.default_journey.includes(station.station_id) }),
  );
  const priority = h("select", { id: "checkin-priority", name: "priority" }, h("option", { value: "" }, t("checkin.no_priority")), PRIORITIES.map((reason) => h("option", { value: reason }, t(`counter.priority.${reason}`))));
  const appointment = h("input", { id: "checkin-appointment", name: "appointment", type: "time" });
  const chosen = h("p", { class: "chosen", "aria-live": "polite" }, t("checkin.walk_in"));

  const choose = (picked) => {
    client = picked;
    name.disabled = picked !== null;
    chosen.textContent = picked ? t("checkin.client_chosen", { name: `${picked.first_name} ${picked.last_name || ""}`.trim() }) : t("checkin.walk_in");
  };
  const search = async (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    if (q.value.trim()) query.set("q", q.value.trim());
    if (year.value.trim()) query.set("birth_year", year.value.trim());
    try {
      const page = await api(`/clients?${query}&limit=10`);
      found.replaceChildren(
        ...(page.items.length
          ? page.items.map((each) =>
              h("li", {}, h("button", { type: "button", onclick: () => choose(each) }, `${each.first_name} ${each.last_name || ""}`.trim()), " ", each.birth_date ? `(${each.birth_date})` : ""),
            )
          : [h("li", {}, t("checkin.nobody_found"))]),
      );
    } catch (error) {
      found.replaceChildren(h("li", { class: "error" }, error.message));
    }
  };
  const issue = async (event) => {
    event.preventDefault();
    const button = event.submitter;
    button.disabled = true; // sent once: the answer, or the same key again
    const body = { journey: journey.filter((box) => box.checked).map((box) => box.value) };
    if (client) body.client_id = client.client_id;
    else if (name.value.trim()) body.display_name = name.value.trim();
    if (priority.value) body.priority = { reason: priority.value };
    if (appointment.value) {
      const [hours, minutes] = appointment.value.split(":").map(Number);
      const when = new Date();
      when.setHours(hours, minutes, 0, 0);
      body.appointment_at = when.toISOString();
    }
    message.className = "message";
    message.textContent = t("counter.sending");
    try {
      const ticket = await api(`/sites/${encodeURIComponent(site.site_id)}/tickets`, { method: "POST", body, headers: { "Idempotency-Key": key } });
      printable(ticket);
    } catch (error) {
      message.className = "message error";
      message.textContent = error.status === undefined ? t("checkin.network") : error.message;
      for (const detail of error.body?.details || []) {
        const field = { "body.display_name": name, "body.journey": journey[0], "body.appointment_at": appointment, "body.priority": priority }[detail.field.split(".").slice(0, 2).join(".")];
        if (field) field.setAttribute("aria-invalid", "true");
      }
    } finally {
      button.disabled = false;
    }
  };

  function printable(ticket) {
    // a walk-in onboarded now keeps this ticket: the form links it to the new record
    const walkIn = client === null;
    const onboard = `#/onboarding?${new URLSearchParams({ ticket: ticket.ticket_id, first_name: name.value.trim() })}`;
    const station = site.stations.find((each) => each.station_id === ticket.station_id);
    const at = new Date().toLocaleTimeString(language(), { hour: "2-digit", minute: "2-digit" });
    show(
      t("checkin.ticket_for", { number: ticket.number }),
      h(
        "section",
        { class: "ticket", "aria-label": t("checkin.ticket") },
        h("p", { class: "ticket-site" }, site.name),
        h("p", { class: "ticket-number" }, ticket.number),
        h("p", {}, t("checkin.go_to", { station: station?.name || ticket.station_id })),
        h("p", {}, t("checkin.at", { time: at })),
        ticket.estimated_wait_minutes === null ? null : h("p", {}, t("checkin.wait", { minutes: ticket.estimated_wait_minutes })),
      ),
      h(
        "div",
        { class: "actions no-print" },
        h("button", { type: "button", class: "primary", onclick: () => window.print() }, t("checkin.print")),
        h("button", { type: "button", onclick: () => checkIn() }, t("checkin.next_person")),
        walkIn ? h("a", { class: "button", href: onboard }, t("checkin.onboard_walk_in")) : null,
      ),
    );
  }

  show(
    t("checkin.title"),
    h("p", {}, h("label", { for: "checkin-site" }, t("counter.site"), siteChoice)),
    h(
      "form",
      { class: "filters", role: "search", onsubmit: search },
      h("label", { for: "checkin-q" }, t("checkin.find"), q),
      h("label", { for: "checkin-year" }, t("checkin.birth_year"), year),
      h("button", { type: "submit" }, t("checkin.search")),
    ),
    found,
    h("p", {}, h("a", { href: "#/onboarding" }, t("checkin.onboard"))),
    h(
      "form",
      { class: "checkin", onsubmit: issue },
      chosen,
      h("label", { for: "checkin-name" }, t("checkin.first_name"), name),
      h("p", { id: "checkin-name-help", class: "hint" }, t("checkin.first_name_help")),
      h("fieldset", {}, h("legend", {}, t("checkin.journey")), stations.map((station, index) => h("label", { for: `checkin-station-${station.station_id}`, class: "choice" }, journey[index], station.name))),
      h("label", { for: "checkin-priority" }, t("checkin.priority"), priority),
      h("label", { for: "checkin-appointment" }, t("checkin.appointment"), appointment),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary big" }, t("checkin.issue")), h("button", { type: "button", onclick: () => choose(null) }, t("checkin.as_walk_in"))),
    ),
    message,
  );
}
