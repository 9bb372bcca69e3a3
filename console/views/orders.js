// Orders of glasses at the front desk: a new order for an active client (the prescription per eye,
// its rules checked as typed, the frame chosen from the site's stock), and an order's page: another
// frame, the lab's result phoned in, the quality check (deviations shown against the tolerances), the
// pickup, a cancellation.

import { api } from "../api.js";
import { h, table, when } from "../dom.js";
import { clearErrors, deskSite, field, placeErrors, refused, siteSelect } from "../form.js";
import { known, t } from "../i18n.js";
import { refreshEvery, show, stopRefreshing, unchanged } from "../page.js";

const LENSES = ["single_vision", "bifocal", "progressive"];
const MATERIALS = ["standard", "polycarbonate", "high_index"];
const COATINGS = ["anti_reflective", "scratch_resistant", "uv", "photochromic"];
const BASES = ["in", "out", "up", "down"];
const EYES = ["right", "left"];
const ENDED = ["delivered", "cancelled", "lab_rejected", "qc_failed", "uncollected"];

const number = (id, path, step, attributes = {}) => h("input", { id, type: "number", step, inputmode: "decimal", "data-field": `body.${path}`, autocomplete: "off", ...attributes });
const value = (input) => (input.value.trim() === "" ? null : Number(input.value));
const offStep = (input, step) => value(input) !== null && Math.abs(value(input) / step - Math.round(value(input) / step)) > 1e-9;

export async function newOrder(clientId) {
  const [client, { items: sites }] = await Promise.all([api(`/clients/${encodeURIComponent(clientId)}`), api("/sites")]);
  const site = deskSite(sites);
  const { items: frames } = await api(`/sites/${encodeURIComponent(site.site_id)}/frames`);
  const key = crypto.randomUUID(); // this form's: sent again after a network error, the same order
  const frame = h(
    "select",
    { id: "order-frame", "data-field": "body.frame_sku" },
    frames.map((each) => h("option", { value: each.sku }, `${each.sku} — ${each.description} — ${each.quantity ? t("order.in_stock", { count: each.quantity }) : t("order.out_of_stock")}`)),
  );
  const lensType = h("select", { id: "order-lens", "data-field": "body.lens.type" }, LENSES.map((each) => h("option", { value: each }, t(`order.lens.${each}`))));
  const material = h("select", { id: "order-material", "data-field": "body.lens.material" }, MATERIALS.map((each) => h("option", { value: each }, t(`order.material.${each}`))));
  const coatings = COATINGS.map((each) => h("input", { type: "checkbox", id: `order-coating-${each}`, value: each }));
  const eyes = Object.fromEntries(
    EYES.map((eye) => [
      eye,
      {
        sphere: number(`order-${eye}-sphere`, `prescription.${eye}.sphere`, "0.25", { required: true }),
        cylinder: number(`order-${eye}-cylinder`, `prescription.${eye}.cylinder`, "0.25"),
        axis: number(`order-${eye}-axis`, `prescription.${eye}.axis`, "1", { min: 1, max: 180, inputmode: "numeric" }),
        add: number(`order-${eye}-add`, `prescription.${eye}.add`, "0.25", { min: 0.75, max: 3.5 }),
        prism: number(`order-${eye}-prism`, `prescription.${eye}.prism.amount`, "0.25", { min: 0.25, max: 10 }),
        base: h("select", { id: `order-${eye}-base`, "data-field": `body.prescription.${eye}.prism.base` }, BASES.map((each) => h("option", { value: each }, t(`order.base.${each}`)))),
        pd: number(`order-${eye}-pd`, `prescription.pd.${eye}`, "0.5", { min: 20, max: 40, required: true }),
        height: number(`order-${eye}-height`, `prescription.heights.${eye}`, "0.5", { min: 10, max: 40 }),
      },
    ]),
  );
  const prescriber = h("input", { id: "order-prescriber", maxlength: 100, "data-field": "body.prescription.prescriber", autocomplete: "off", required: true });
  const writtenOn = h("input", { id: "order-written-on", type: "date", "data-field": "body.prescription.written_on", value: new Date().toISOString().slice(0, 10), required: true });
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const multifocal = () => lensType.value !== "single_vision";

  const problems = () => {
    // the prescription's rules, as the API checks them (the stage's own limits come back from it)
    const found = [];
    const at = (input, message) => found.push({ field: input.dataset.field, message });
    for (const eye of EYES) {
      const lens = eyes[eye];
      for (const power of ["sphere", "cylinder", "add", "prism"]) if (offStep(lens[power], 0.25)) at(lens[power], t("order.rule.quarter"));
      if (value(lens.cylinder) && value(lens.axis) === null) at(lens.axis, t("order.rule.axis_needed"));
      if (!value(lens.cylinder) && value(lens.axis) !== null) at(lens.axis, t("order.rule.axis_alone"));
      if (value(lens.axis) !== null && (!Number.isInteger(value(lens.axis)) || value(lens.axis) < 1 || value(lens.axis) > 180)) at(lens.axis, t("order.rule.axis_range"));
      if (multifocal() && value(lens.add) === null) at(lens.add, t("order.rule.add_needed"));
      if (!multifocal() && value(lens.add) !== null) at(lens.add, t("order.rule.add_single"));
      if (multifocal() && value(lens.height) === null) at(lens.height, t("order.rule.height_needed"));
      for (const measure of ["pd", "height"]) if (offStep(lens[measure], 0.5)) at(lens[measure], t("order.rule.half"));
    }
    if (writtenOn.value > new Date().toISOString().slice(0, 10)) at(writtenOn, t("order.rule.future"));
    return found;
  };
  const check = () => {
    clearErrors(form);
    placeErrors(form, problems(), { focus: false });
    for (const eye of EYES) for (const part of ["add", "height"]) eyes[eye][part].closest(".field").hidden = !multifocal();
  };

  const order = () => {
    const eye = (lens) => {
      const given = { sphere: value(lens.sphere) };
      if (value(lens.cylinder)) Object.assign(given, { cylinder: value(lens.cylinder), axis: value(lens.axis) });
      if (multifocal()) given.add = value(lens.add);
      if (value(lens.prism)) given.prism = { amount: value(lens.prism), base: lens.base.value };
      return given;
    };
    const prescription = {
      right: eye(eyes.right),
      left: eye(eyes.left),
      pd: { right: value(eyes.right.pd), left: value(eyes.left.pd) },
      prescriber: prescriber.value.trim(),
      written_on: writtenOn.value,
    };
    if (multifocal()) prescription.heights = { right: value(eyes.right.height), left: value(eyes.left.height) };
    const lens = { type: lensType.value, material: material.value, coatings: coatings.filter((box) => box.checked).map((box) => box.value) };
    return { client_id: client.client_id, site_id: site.site_id, frame_sku: frame.value, lens, prescription };
  };

  const submit = async (event) => {
    event.preventDefault();
    check();
    if (problems().length) {
      message.className = "message error";
      message.textContent = t("form.check_fields");
      form.querySelector("[aria-invalid]")?.focus();
      return;
    }
    event.submitter.disabled = true;
    message.className = "message";
    message.textContent = t("counter.sending");
    try {
      const accepted = await api("/orders", { method: "POST", body: order(), headers: { "Idempotency-Key": key } });
      location.hash = `#/orders/${accepted.order_id}`;
    } catch (error) {
      event.submitter.disabled = false;
      refused(form, message, error);
    }
  };

  const eyeFields = (eye) => {
    const lens = eyes[eye];
    return h(
      "fieldset",
      { class: "eye" },
      h("legend", {}, t(`order.eye.${eye}`)),
      field(t("order.sphere"), lens.sphere),
      field(t("order.cylinder"), lens.cylinder),
      field(t("order.axis"), lens.axis, t("order.axis_help")),
      field(t("order.add"), lens.add),
      field(t("order.prism"), lens.prism),
      field(t("order.base"), lens.base),
      field(t("order.pd"), lens.pd),
      field(t("order.height"), lens.height),
    );
  };
  const form = h(
    "form",
    { class: "form", onsubmit: submit, oninput: check, onchange: check, novalidate: true },
    h("p", {}, t("order.for", { name: `${client.first_name} ${client.last_name}` })),
    h("p", {}, h("label", { for: "order-site" }, t("counter.site"), " ", siteSelect("order-site", sites, site, () => newOrder(clientId)))),
    frames.length ? field(t("order.frame"), frame, t("order.frame_help")) : h("p", { class: "message error" }, t("order.no_frames")),
    h("fieldset", {}, h("legend", {}, t("order.lens_heading")), field(t("order.lens_type"), lensType), field(t("order.material"), material), coatings.map((box) => h("label", { for: box.id, class: "choice" }, box, t(`order.coating.${box.value}`)))),
    h("div", { class: "eyes" }, EYES.map(eyeFields)),
    field(t("order.prescriber"), prescriber),
    field(t("order.written_on"), writtenOn),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary big", disabled: !frames.length }, t("order.submit"))),
    message,
  );
  show(t("order.new_title"), form);
  check();
}

export async function orderPage(orderId, answer) {
  const order = await api(`/orders/${encodeURIComponent(orderId)}`);
  if (unchanged(order, answer)) return;
  const client = await api(`/clients/${order.client_id}`).catch(() => null);
  const again = (done) => orderPage(orderId, done);
  // between two waits the workflow is at work: the page follows it until the next thing to do
  if (!order.waiting_for && !ENDED.includes(order.status)) refreshEvery(() => orderPage(orderId, answer), 2000);
  else stopRefreshing();
  const rx = order.prescription;
  show(
    t("order.title", { name: client ? `${client.first_name} ${client.last_name}` : order.client_id }),
    answer ? outcome(answer) : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("order.status")), h("dd", {}, t(`order.status.${order.status}`), order.reason ? ` — ${order.reason}` : ""),
      h("dt", {}, t("order.frame")), h("dd", {}, order.frame_sku, order.frame_reserved ? ` (${t("order.reserved")})` : ""),
      h("dt", {}, t("order.lens_heading")), h("dd", {}, [t(`order.lens.${order.lens.type}`), t(`order.material.${order.lens.material}`), ...(order.lens.coatings || []).map((each) => t(`order.coating.${each}`))].join(", ")),
      h("dt", {}, t("order.lab")), h("dd", {}, t("order.attempt", { attempt: order.lab_attempt }), order.lab_reference ? ` — ${order.lab_reference}` : "", order.lab_expected_on ? ` — ${t("order.expected", { date: order.lab_expected_on })}` : ""),
      h("dt", {}, t("order.created")), h("dd", {}, when(order.created_at)),
      client ? [h("dt", {}, t("order.client")), h("dd", {}, h("a", { href: `#/clients/${order.client_id}` }, `${client.first_name} ${client.last_name}`))] : null,
    ),
    rx
      ? table(
          [t("order.eye"), t("order.sphere"), t("order.cylinder"), t("order.axis"), t("order.add"), t("order.pd")],
          EYES.map((eye) => h("tr", {}, h("th", { scope: "row" }, t(`order.eye.${eye}`)), h("td", {}, rx[eye].sphere), h("td", {}, rx[eye].cylinder ?? "—"), h("td", {}, rx[eye].axis ?? "—"), h("td", {}, rx[eye].add ?? "—"), h("td", {}, rx.pd[eye]))),
          "",
        )
      : null,
    await action(order, again),
    ENDED.includes(order.status) ? null : cancellation(order, again),
    h("h2", {}, t("order.events")),
    h("ol", { class: "timeline" }, order.events.map((event) => h("li", {}, h("span", { class: "when" }, when(event.at)), " ", (known(`order.event.${event.kind}`) ? t(`order.event.${event.kind}`) : event.kind.replaceAll("_", " "))))),
  );
}

function outcome(answer) {
  // what the last action did; a quality check's deviations against their tolerances
  const words = h("p", { class: answer.deviations.length ? "message error" : "message", role: "status" }, t(`order.done.${answer.status}`));
  if (!answer.deviations.length) return words;
  return h(
    "section",
    { class: "alert", "aria-label": t("order.deviations") },
    words,
    table(
      [t("order.measure"), t("order.ordered"), t("order.measured"), t("order.tolerance")],
      answer.deviations.map((deviation) => h("tr", {}, h("td", {}, t(`order.field.${deviation.field.split(".")[1]}`, { eye: t(`order.eye.${deviation.field.split(".")[0]}`) })), h("td", {}, deviation.ordered), h("td", {}, deviation.measured ?? "—"), h("td", {}, `± ${deviation.tolerance}`))),
      "",
    ),
  );
}

async function action(order, again) {
  const act = (verb, body, form, message) => async (event) => {
    event.preventDefault();
    if (form) clearErrors(form);
    const button = event.submitter || event.target;
    button.disabled = true;
    try {
      await again(await api(`/orders/${order.order_id}/${verb}`, { method: "POST", body }));
    } catch (error) {
      button.disabled = false;
      refused(form, message, error);
    }
  };
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  if (order.waiting_for === "frame") {
    const { items: frames } = await api(`/sites/${encodeURIComponent(order.site_id)}/frames`);
    const frame = h("select", { id: "order-other-frame", "data-field": "body.frame_sku" }, frames.filter((each) => each.quantity > 0).map((each) => h("option", { value: each.sku }, `${each.sku} — ${each.description} — ${t("order.in_stock", { count: each.quantity })}`)));
    const form = h("form", { class: "form card" }, h("h2", {}, t("order.other_frame")), h("p", {}, t("order.awaiting_frame_help")), field(t("order.frame"), frame), h("button", { type: "submit", class: "primary", disabled: !frame.options.length }, t("order.choose_frame")), message);
    form.onsubmit = (event) => act("frame", { frame_sku: frame.value }, form, message)(event);
    return form;
  }
  if (order.waiting_for === "lab_result") {
    const status = h("select", { id: "lab-status", "data-field": "body.status" }, ["in_production", "shipped", "rejected"].map((each) => h("option", { value: each }, t(`order.lab_status.${each}`))));
    const reference = h("input", { id: "lab-reference", maxlength: 64, "data-field": "body.lab_reference", autocomplete: "off" });
    const expected = h("input", { id: "lab-expected", type: "date", "data-field": "body.expected_on" });
    const reason = h("input", { id: "lab-reason", maxlength: 200, "data-field": "body.reason", autocomplete: "off" });
    const reasonField = field(t("order.lab_reason"), reason);
    const shape = () => {
      reasonField.hidden = status.value !== "rejected";
    };
    status.addEventListener("change", shape);
    const form = h("form", { class: "form card", novalidate: true }, h("h2", {}, t("order.lab_result")), field(t("order.lab_status"), status), field(t("order.lab_reference"), reference), field(t("order.expected_on"), expected), reasonField, h("button", { type: "submit", class: "primary" }, t("order.record_lab")), message);
    form.onsubmit = (event) => {
      const body = { status: status.value };
      if (reference.value.trim()) body.lab_reference = reference.value.trim();
      if (expected.value) body.expected_on = expected.value;
      if (status.value === "rejected") body.reason = reason.value.trim();
      return act("lab-result", body, form, message)(event);
    };
    shape();
    return form;
  }
  if (order.waiting_for === "quality_check") {
    const measured = Object.fromEntries(EYES.map((eye) => [eye, Object.fromEntries(["sphere", "cylinder", "axis", "add"].map((part) => [part, number(`qc-${eye}-${part}`, `${eye}.${part}`, part === "axis" ? "1" : "0.01")]))]));
    const mounted = h("input", { type: "checkbox", id: "qc-mounted", checked: true, "data-field": "body.lenses_mounted" });
    const form = h(
      "form",
      { class: "form card", novalidate: true },
      h("h2", {}, t("order.quality_check")),
      h("p", {}, t("order.quality_help")),
      h("div", { class: "eyes" }, EYES.map((eye) => h("fieldset", { class: "eye" }, h("legend", {}, t(`order.eye.${eye}`)), ["sphere", "cylinder", "axis", "add"].map((part) => field(t(`order.${part}`), measured[eye][part]))))),
      h("label", { for: "qc-mounted", class: "choice" }, mounted, t("order.mounted")),
      h("button", { type: "submit", class: "primary" }, t("order.record_check")),
      message,
    );
    form.onsubmit = (event) => {
      const lens = (eye) => Object.fromEntries(Object.entries(measured[eye]).filter(([, input]) => input.value.trim() !== "").map(([part, input]) => [part, part === "axis" ? Number(input.value) : input.value.trim()]));
      return act("quality-check", { right: lens("right"), left: lens("left"), lenses_mounted: mounted.checked }, form, message)(event);
    };
    return form;
  }
  if (order.waiting_for === "pickup") {
    const form = h("form", { class: "form card" }, h("h2", {}, t("order.ready_heading")), h("p", {}, t("order.ready_help")), h("button", { type: "submit", class: "primary big" }, t("order.picked_up")), message);
    form.onsubmit = (event) => act("pickup", undefined, form, message)(event);
    return form;
  }
  return null;
}

function cancellation(order, again) {
  const reason = h("input", { id: "cancel-reason", maxlength: 200, "data-field": "body.reason", autocomplete: "off", required: true });
  const message = h("p", { class: "message", role: "status", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "form", novalidate: true },
    h("h2", {}, t("order.cancel_heading")),
    field(t("order.cancel_reason"), reason),
    h("button", { type: "submit", class: "danger" }, t("order.cancel")),
    message,
  );
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (!confirm(t("order.confirm_cancel"))) return;
    clearErrors(form);
    event.submitter.disabled = true;
    try {
      await again(await api(`/orders/${order.order_id}/cancel`, { method: "POST", body: { reason: reason.value.trim() } }));
    } catch (error) {
      event.submitter.disabled = false;
      refused(form, message, error);
    }
  };
  return form;
}
