// Locally only: what the dispatcher delivered to the local mailbox instead of SNS and SES (managers:
// the letters name phones and addresses).

import { ApiError } from "../api.js";
import { h, table, when } from "../dom.js";
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
