// Locally only: what the dispatcher delivered to the local mailbox instead of SNS and SES (managers:
// the letters name phones and addresses).

import { ApiError } from "../api.js";
import { h, table, when } from "../dom.js";
import { t } from "../i18n.js";
import { refreshEvery, show, unchanged } from "../page.js";
import { config, currentToken } from "../session.js";

export async function mailbox() {
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
      h("td", {}, letter.channel === "email" ? t("mailbox.email") : "SMS"),
      h("td", {}, letter.to),
      h("td", {}, `${letter.message} (${letter.language})`),
      h("td", { lang: letter.language, dir: "auto" }, letter.channel === "email" ? `${letter.subject} — ${letter.text}` : letter.text),
    ),
  );
  const shown = found.total > found.letters.length ? t("mailbox.newest", { count: found.letters.length, total: found.total }) : "";
  show(
    t("app.mailbox"),
    h("p", {}, t("mailbox.explained", { shown })),
    table([t("mailbox.sent"), t("mailbox.by"), t("mailbox.to"), t("mailbox.message"), t("mailbox.text")], rows, t("mailbox.empty")),
  );
  refreshEvery(mailbox);
}
