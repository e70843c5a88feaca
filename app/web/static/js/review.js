// The review queue: submissions waiting for review, each with a field-by-field diff
// between the published revision (if any) and the latest one, and Publish / Reject
// (a rejection needs a comment) through POST /api/v1/usecases/{id}/review.

import { API, ApiError, atLeast, api, describeError, fieldLabel, fill, formatDate, h, initPage, onSessionChange } from "./common.js";
import { t, tn } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const listEl = $("review-list");
const countEl = $("review-count");
let pending = 0;

/** A value as readable text: scalars as they are, lists joined, objects as indented lines. */
export function toText(value) {
  if (value === null || value === undefined || value === "") return "";
  if (Array.isArray(value)) {
    if (!value.length) return "";
    if (value.every((x) => x === null || typeof x !== "object")) return value.join(", ");
    return value.map((x) => `- ${toText(x).replace(/\n/g, "\n  ")}`).join("\n");
  }
  if (typeof value === "object") {
    return Object.entries(value)
      .map(([key, x]) => [key, toText(x)])
      .filter(([, text]) => text !== "")
      .map(([key, text]) => (text.includes("\n") ? `${key}:\n  ${text.replace(/\n/g, "\n  ")}` : `${key}: ${text}`))
      .join("\n");
  }
  return String(value);
}

function cell(text, kind) {
  return h("td", { class: text === "" ? kind : `${kind} filled` }, text === "" ? h("span", { class: "empty" }, t("review.empty_cell")) : h("pre", {}, text));
}

/** Rows of the diff: [field, old text, new text, changed]. */
export function diffRows(oldRecord, newRecord) {
  const keys = [...Object.keys(newRecord || {}), ...Object.keys(oldRecord || {}).filter((k) => !(k in (newRecord || {})))];
  return keys.map((key) => {
    const before = oldRecord ? toText(oldRecord[key]) : "";
    const after = toText(newRecord?.[key]);
    return [key, before, after, before !== after];
  });
}

function diffTable(id, oldRecord, newRecord) {
  const rows = diffRows(oldRecord, newRecord);
  const changed = rows.filter((r) => r[3]);
  const unchanged = rows.filter((r) => !r[3] && r[2] !== "");
  const tableRow = ([key, before, after, isChanged]) => h("tr", { class: isChanged ? "changed" : "same", "data-field": key },
    h("th", { scope: "row" }, fieldLabel(key)), cell(before, "old"), cell(after, "new"));
  const caption = oldRecord
    ? tn("review.changed", changed.length)
    : t("review.all_new");
  const table = h("table", { class: "diff-table" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("review.field")),
      h("th", { scope: "col" }, oldRecord ? t("review.published") : t("review.published_none")), h("th", { scope: "col" }, t("review.proposed")))),
    h("tbody", {}, changed.map(tableRow)));
  const parts = [h("div", { class: "table-scroll" }, table)];
  if (oldRecord && unchanged.length) {
    parts.push(h("details", {}, h("summary", {}, tn("review.show_unchanged", unchanged.length)),
      h("div", { class: "table-scroll" }, h("table", { class: "diff-table" },
        h("caption", { class: "visually-hidden" }, t("review.unchanged")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("review.field")), h("th", { scope: "col" }, t("review.published")), h("th", { scope: "col" }, t("review.proposed")))),
        h("tbody", {}, unchanged.map(tableRow))))));
  }
  return parts;
}

function updateCount() {
  countEl.textContent = pending === 0 ? t("review.nothing") : tn("review.waiting", pending);
}

function reviewItem(detail, revisions) {
  const record = detail.record;
  const id = record.id;
  const latest = revisions.find((r) => r.number === detail.latest_revision) || {};
  const published = detail.published_revision ? revisions.find((r) => r.number === detail.published_revision) : null;
  const commentId = `comment-${id}`;
  const errorId = `comment-error-${id}`;
  const comment = h("textarea", { id: commentId, rows: 2, maxlength: 4000, "aria-describedby": `${commentId}-hint ${errorId}` });
  const error = h("p", { class: "field-error", id: errorId });
  const outcome = h("div", { role: "status", "aria-live": "polite" });
  const publish = h("button", { type: "button", class: "button primary", "data-action": "publish" }, t("review.publish"));
  const reject = h("button", { type: "button", class: "button danger", "data-action": "reject" }, t("review.reject"));
  const actions = h("div", { class: "review-actions" },
    h("label", { for: commentId }, t("review.comment")),
    h("p", { class: "hint", id: `${commentId}-hint` }, t("review.comment_hint")),
    comment, error, h("div", { class: "form-actions" }, publish, reject));

  const act = async (action) => {
    error.textContent = "";
    comment.removeAttribute("aria-invalid");
    const text = comment.value.trim();
    if (action === "reject" && !text) {
      error.textContent = t("review.comment_required");
      comment.setAttribute("aria-invalid", "true");
      comment.focus();
      return;
    }
    publish.disabled = true;
    reject.disabled = true;
    try {
      const saved = await api(`${API}/usecases/${encodeURIComponent(id)}/review`, {
        method: "POST", json: { action, comment: text || null },
      });
      actions.remove();
      pending -= 1;
      updateCount();
      fill(outcome, h("p", { class: saved.status === "published" ? "success-box" : "notice", tabindex: "-1" },
        saved.status === "published" ? t("review.done_published") : t("review.done_rejected"), " ",
        h("a", { href: `/usecases/${encodeURIComponent(id)}` }, saved.status === "published" ? t("review.view_published") : t("review.view_record"))));
      outcome.querySelector("p").focus();
    } catch (err) {
      publish.disabled = false;
      reject.disabled = false;
      const detail = err instanceof ApiError ? err.details.find((d) => d.field === "comment") : null;
      error.textContent = detail ? t("review.comment_error", { reason: detail.reason }) : describeError(err);
      if (detail) comment.setAttribute("aria-invalid", "true");
    }
  };
  publish.addEventListener("click", () => act("publish"));
  reject.addEventListener("click", () => act("reject"));

  const orgs = (record.organisations || []).map((o) => o.acronym || o.name).join(", ");
  return h("li", { class: "panel review-item", "data-id": id },
    h("h2", {}, h("a", { href: `/usecases/${encodeURIComponent(id)}` }, record.title)),
    h("p", { class: "hint" },
      h("span", { class: `badge ${published ? "info" : "warn"}` }, published ? t("review.edit_badge") : t("review.new_badge")), " ",
      [id, orgs, t("review.revision_by", { n: detail.latest_revision, author: latest.author || t("review.unknown_author") })
        + (latest.created_at ? `, ${formatDate(latest.created_at)}` : "")].join(" · ")),
    latest.comment ? h("p", {}, h("strong", {}, t("review.note")), " ", latest.comment) : null,
    diffTable(id, published ? published.record : null, latest.record || record),
    actions, outcome);
}

async function load(session) {
  const allowed = atLeast(session.role, "reviewer");
  $("review-signin").hidden = allowed;
  $("review-error").hidden = true;
  listEl.replaceChildren();
  countEl.textContent = "";
  if (!allowed) return;
  listEl.setAttribute("aria-busy", "true");
  try {
    const queue = await api(`${API}/usecases?status=submitted&limit=100`);
    const revisions = await Promise.all(queue.data.map((d) =>
      api(`${API}/usecases/${encodeURIComponent(d.record.id)}/revisions`).catch(() => [])));
    pending = queue.count;
    updateCount();
    fill(listEl, queue.data.map((d, i) => reviewItem(d, revisions[i])));
  } catch (err) {
    $("review-error").textContent = describeError(err);
    $("review-error").hidden = false;
  } finally {
    listEl.removeAttribute("aria-busy");
  }
}

onSessionChange(load);
initPage().then(load);
