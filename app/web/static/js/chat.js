// The chat page: a question streams its answer from POST /api/v1/chat/stream
// (Server-Sent Events read with fetch() + ReadableStream, which a Stop button aborts),
// citations open the cited passage in a side panel, matching use cases are shown as
// cards, and each answer can be copied with its sources or (the last one) asked again.
// The open conversation is kept in sessionStorage; the list of past conversations comes
// from GET /api/v1/conversations for key holders and from localStorage for anonymous
// visitors (their conversations are bound to a browser session on the server).

import { API, ApiError, api, codeLabel, currentSession, describeError, externalLink, fill, formatDate, h, humanise, initPage, onSessionChange } from "./common.js";
import { t, tn } from "./i18n.js";

const STORE = "gaios.chat.v1";
const HISTORY = "gaios.chat.history.v1";
const HISTORY_LIMIT = 30;
const SVG = "http://www.w3.org/2000/svg";
const THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

const REFUSALS = {
  not_found: ["warn", "badge.not_found"],
  personal_data: ["bad", "badge.personal_data"],
  model_declined: ["warn", "badge.model_declined"],
};

const $ = (id) => document.getElementById(id);
const form = $("ask-form");
const input = $("question");
const askButton = $("ask-button");
const stopButton = $("stop-button");
const status = $("ask-status");
const turnsEl = $("turns");
const panel = $("source-panel");
const layout = $("chat-layout");

let state = load();
let busy = false;
let panelTrigger = null;
let controller = null;

// ---------------------------------------------------------------------- storage

function load() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE));
    if (saved && Array.isArray(saved.turns)) return saved;
  } catch { /* a broken entry starts a new conversation */ }
  return { conversationId: null, turns: [] };
}

function save() {
  try {
    sessionStorage.setItem(STORE, JSON.stringify(state));
  } catch { /* storage full or disabled: the page still works */ }
  if (!currentSession().authenticated && state.conversationId && state.turns.length) keepLocally(state);
}

/** The conversations this browser kept for an anonymous visitor, latest first. */
function localHistory() {
  try {
    const saved = JSON.parse(localStorage.getItem(HISTORY));
    if (Array.isArray(saved)) return saved;
  } catch { /* a broken entry is an empty history */ }
  return [];
}

function keepLocally(conversation) {
  const others = localHistory().filter((c) => c.id !== conversation.conversationId);
  const entry = { id: conversation.conversationId, title: conversation.turns[0].question,
    updated_at: new Date().toISOString(), turns: conversation.turns };
  try {
    localStorage.setItem(HISTORY, JSON.stringify([entry, ...others].slice(0, HISTORY_LIMIT)));
  } catch { /* storage full or disabled: the list is not kept */ }
}

// ---------------------------------------------------------------------- SSE over POST

/** Split a text stream into Server-Sent Events and call onEvent(name, data) for each. */
export async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const boundary = /\r\n\r\n|\n\n|\r\r/;
  const dispatch = (block) => {
    let event = "message";
    const data = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (!line || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length) onEvent(event, data.join("\n"));
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let match;
    while ((match = buffer.match(boundary))) {
      dispatch(buffer.slice(0, match.index));
      buffer = buffer.slice(match.index + match[0].length);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) dispatch(buffer);
}

// ---------------------------------------------------------------------- rendering

/** The answer text as paragraphs, each [n] a link to source n of this turn. */
function answerNodes(text, sources, turnId) {
  const blocks = String(text || "").split(/\n\s*\n/).map((b) => b.replace(/\s*\n\s*/g, " ").trim()).filter(Boolean);
  return blocks.map((block) => {
    const nodes = [];
    let last = 0;
    for (const match of block.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
      if (match.index > last) nodes.push(block.slice(last, match.index));
      const numbers = match[1].split(",").map((n) => Number(n.trim()));
      numbers.forEach((n, i) => {
        const source = sources.get(n);
        if (i > 0) nodes.push(" ");
        nodes.push(source
          ? h("a", {
            class: "cite", href: `#src-${turnId}-${n}`, "data-turn": turnId, "data-n": n,
            "aria-label": t("chat.cite_label", { n, title: source.title }), "aria-controls": "source-panel", "aria-expanded": "false",
          }, `[${n}]`)
          : `[${n}]`);
      });
      last = match.index + match[0].length;
    }
    if (last < block.length) nodes.push(block.slice(last));
    return h("p", {}, nodes);
  });
}

function sourceMeta(source) {
  const parts = [codeLabel("document_type", source.doc_type)];
  if (source.section) parts.push(source.section);
  if (source.page) parts.push(t("chat.page", { page: source.page }));
  return parts.filter(Boolean).join(" · ");
}

function sourceList(citations, turnId) {
  return h("ol", { class: "source-list" }, citations.map((c) => h("li", { id: `src-${turnId}-${c.number}` },
    h("span", { class: "source-num" }, `[${c.number}]`),
    h("span", {},
      h("button", { type: "button", class: "source-link", "data-turn": turnId, "data-n": c.number, "aria-controls": "source-panel" }, c.title),
      " ", h("span", { class: "source-meta" }, sourceMeta(c))))));
}

function useCaseCards(usecases) {
  return h("ul", { class: "uc-cards" }, usecases.map((u) => h("li", {},
    h("div", { class: "uc-card" },
      h("a", { href: `/usecases/${encodeURIComponent(u.id)}` }, u.title),
      h("p", { class: "meta" }, [u.organisation, u.stage && codeLabel("lifecycle_stage", u.stage)].filter(Boolean).join(" · ")),
      u.why ? h("p", { class: "meta" }, matchReasons(u.why)) : null))));
}

/** Why a record matched, in the page's language; section headings are quoted as written. */
function matchReasons(why) {
  const parts = [];
  if (why.sections.length) parts.push(t("chat.matched_sections", { sections: why.sections.join(", ") }));
  for (const c of why.classifications) parts.push(`${c.family} (${c.names.join(", ")})`);
  const filters = Object.entries(why.filters).map(([k, v]) => `${k} ${v.join("/")}`).join(", ");
  if (filters) parts.push(t("chat.matched_filters", { filters }));
  return parts.join("; ");
}

function badges(response) {
  const items = [];
  if (response.refused) {
    const [kind, key] = REFUSALS[response.refusal_reason] || ["warn", "badge.no_answer"];
    items.push(h("span", { class: `badge ${kind}`, "data-badge": "refused" }, t(key)));
  }
  if (response.answer_status === "partial") {
    items.push(h("span", { class: "badge warn", "data-badge": "partial" }, t("badge.partial")));
  }
  if (response.fallback) {
    items.push(h("span", { class: "badge warn", "data-badge": "fallback", title: response.fallback.message },
      t("badge.fallback")));
  } else if (!response.grounded) {
    items.push(h("span", { class: "badge warn", "data-badge": "ungrounded" }, t("badge.ungrounded")));
  } else if (!response.refused) {
    items.push(h("span", { class: "badge ok", "data-badge": "grounded" }, t("badge.grounded")));
  }
  if (response.redactions && response.redactions.length) {
    const kinds = response.redactions.map((r) => humanise(r.toLowerCase())).join(", ");
    items.push(h("span", { class: "badge info", "data-badge": "redacted" }, t("badge.redacted", { kinds })));
  }
  return items;
}

function guardDetails(response) {
  const guard = response.guard || {};
  const removed = (response.sentences || []).filter((s) => !s.supported);
  if (response.grounded && !removed.length) return null;
  const points = [];
  if (guard.removed_sentences) points.push(h("li", {}, t("guard.removed", { n: guard.removed_sentences })));
  if (guard.fabricated_citations && guard.fabricated_citations.length) {
    points.push(h("li", {}, t("guard.fabricated", { list: guard.fabricated_citations.map((n) => `[${n}]`).join(", ") })));
  }
  if (guard.fallback) points.push(h("li", {}, t("guard.extractive")));
  if (response.fallback) points.push(h("li", {}, response.fallback.message));
  if (response.fallback?.detail) points.push(h("li", { class: "fallback-detail" }, t("guard.detail", { detail: response.fallback.detail })));
  for (const s of removed) {
    points.push(h("li", { class: "removed-sentence" }, h("del", {}, s.text), ` (${s.reason})`));
  }
  const summary = response.fallback ? t("guard.why_quotes") : t("guard.what_removed");
  return h("details", { class: "guard-details" }, h("summary", {}, summary), h("ul", {}, points));
}

function thumb(down) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "16");
  svg.setAttribute("height", "16");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", THUMB);
  path.setAttribute("fill", "currentColor");
  if (down) path.setAttribute("transform", "rotate(180 12 12)");
  svg.appendChild(path);
  return svg;
}

let commentForms = 0;

function feedback(turn) {
  const note = h("span", { class: "status", role: "status" }, turn.rating ? t("feedback.thanks") : "");
  const send = async (rating, button, comment) => {
    for (const b of wrap.querySelectorAll("button")) b.disabled = true;
    try {
      const json = { answer_id: turn.response.answer_id, rating };
      if (comment) json.comment = comment;
      await api(`${API}/feedback`, { method: "POST", json });
      button.setAttribute("aria-pressed", "true");
      turn.rating = rating;
      save();
      commentForm.hidden = true;
      note.textContent = t("feedback.thanks");
    } catch (err) {
      for (const b of wrap.querySelectorAll("button")) b.disabled = false;
      note.textContent = describeError(err);
    }
  };
  // A thumbs-down asks what was wrong first; the comment is optional.
  const commentId = `feedback-comment-${++commentForms}`;
  const comment = h("textarea", { id: commentId, class: "feedback-comment", rows: "2", maxlength: "2000",
    "aria-describedby": `${commentId}-hint` });
  const commentForm = h("form", { class: "feedback-form", hidden: true },
    h("label", { for: commentId }, t("feedback.what_wrong")),
    comment,
    h("p", { class: "hint", id: `${commentId}-hint` }, t("feedback.comment_hint")),
    h("button", { type: "submit", class: "button" }, t("feedback.send")));
  const up = h("button", { type: "button", "aria-pressed": String(turn.rating === 1), disabled: Boolean(turn.rating), "data-rating": "1" },
    thumb(false), h("span", { class: "visually-hidden" }, t("feedback.helpful")));
  const down = h("button", { type: "button", "aria-pressed": String(turn.rating === -1), disabled: Boolean(turn.rating), "data-rating": "-1" },
    thumb(true), h("span", { class: "visually-hidden" }, t("feedback.not_helpful")));
  up.addEventListener("click", () => send(1, up));
  down.addEventListener("click", () => {
    down.setAttribute("aria-expanded", "true");
    commentForm.hidden = false;
    comment.focus();
  });
  down.setAttribute("aria-expanded", "false");
  down.setAttribute("aria-controls", commentId);
  commentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    send(-1, down, comment.value.trim());
  });
  const wrap = h("div", { class: "feedback", role: "group", "aria-label": t("feedback.group") },
    h("span", {}, t("feedback.useful")), up, down, note, commentForm);
  return wrap;
}

/** The answer and its numbered sources as plain text, for the clipboard. */
function plainAnswer(response) {
  const lines = [String(response.answer || "").trim()];
  if (response.citations && response.citations.length) {
    lines.push("", t("chat.sources"));
    for (const c of response.citations) {
      const where = [c.section, c.page ? t("chat.page", { page: c.page }) : null, c.url].filter(Boolean).join(", ");
      lines.push(`[${c.number}] ${c.title}${where ? ` (${where})` : ""}`);
    }
  }
  return lines.join("\n");
}

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain-HTTP deployments have no Clipboard API: copy through a selected text area.
  const area = h("textarea", { class: "visually-hidden", "aria-hidden": "true", tabindex: "-1" });
  area.value = text;
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error(t("chat.copy_failed"));
}

/** Copy and, on the last answer, regenerate. */
function answerActions(turn, isLast) {
  const note = h("span", { class: "status", role: "status" });
  const copy = h("button", { type: "button", class: "button small", "data-action": "copy" }, t("chat.copy"));
  copy.addEventListener("click", async () => {
    try {
      await copyText(plainAnswer(turn.response));
      note.textContent = t("chat.copied");
    } catch (err) {
      note.textContent = err.message || t("chat.copy_failed");
    }
  });
  const actions = [copy];
  if (isLast) {
    const again = h("button", { type: "button", class: "button small", "data-action": "regenerate" }, t("chat.regenerate"));
    again.addEventListener("click", () => regenerate());
    actions.push(again);
  }
  return h("div", { class: "answer-actions", role: "group", "aria-label": t("chat.actions") }, actions, note);
}

/** The elements of one turn: question bubble and an answer article to fill. */
let shells = 0;

function turnShell(question) {
  const number = ++shells;
  const turnId = `t${number}`;
  const article = h("article", { class: "answer", "aria-label": t("chat.answer_n", { n: number }), "data-turn": turnId });
  const li = h("li", { class: "turn", id: `turn-${turnId}` },
    h("p", { class: "question-bubble" }, h("span", { class: "visually-hidden" }, t("chat.you_asked")), question),
    article);
  turnsEl.appendChild(li);
  return { turnId, article, li };
}

/** Fill an answer article from a finished response (also used for saved turns). */
function renderFinal(article, turnId, turn, isLast) {
  const response = turn.response;
  const sources = new Map((response.citations || []).map((c) => [c.number, c]));
  sourcesByTurn.set(turnId, sources);
  const parts = [
    h("div", { class: "answer-badges" }, badges(response)),
    h("div", { class: "answer-text" }, answerNodes(response.answer, sources, turnId)),
    guardDetails(response),
  ];
  if (response.citations && response.citations.length) {
    parts.push(h("section", { class: "answer-section", "aria-label": t("chat.sources") },
      h("h3", {}, t("chat.sources")), sourceList(response.citations, turnId)));
  }
  if (response.usecases && response.usecases.length) {
    const heading = response.refused ? t("chat.closest_usecases") : t("chat.matching_usecases");
    parts.push(h("section", { class: "answer-section", "aria-label": heading },
      h("h3", {}, heading), useCaseCards(response.usecases)));
  }
  const seconds = response.timings?.total_ms ? ` · ${(response.timings.total_ms / 1000).toFixed(1)} s` : "";
  const model = response.model && response.model !== "none" ? ` (${response.model})` : "";
  parts.push(answerActions(turn, isLast));
  parts.push(h("div", { class: "answer-foot" }, feedback(turn),
    h("span", { class: "answer-meta" }, `${t("chat.answered_by", { backend: response.backend })}${model}${seconds}`)));
  fill(article, parts);
  article.removeAttribute("aria-busy");
}

function renderError(article, message) {
  fill(article, h("p", { class: "error-box", role: "alert" }, message));
  article.removeAttribute("aria-busy");
}

/** Draw every turn of the open conversation (after a reload or choosing one). */
function renderConversation() {
  turnsEl.replaceChildren();
  sourcesByTurn.clear();
  const none = !state.turns.length;
  $("empty-state").hidden = !none;
  $("suggestions").hidden = !none;
  state.turns.forEach((turn, index) => {
    const { turnId, article } = turnShell(turn.question);
    renderFinal(article, turnId, turn, index === state.turns.length - 1);
  });
}

// ---------------------------------------------------------------------- source panel

const sourcesByTurn = new Map();

function openSource(turnId, n, trigger) {
  const source = sourcesByTurn.get(turnId)?.get(n);
  if (!source) return;
  for (const el of document.querySelectorAll('.cite[aria-expanded="true"]')) el.setAttribute("aria-expanded", "false");
  if (trigger && trigger.classList.contains("cite")) trigger.setAttribute("aria-expanded", "true");
  panelTrigger = trigger || null;
  $("source-panel-title").textContent = t("chat.source_n", { n });
  const links = [];
  if (source.url) links.push(h("li", {}, externalLink(source.url, t("chat.open_original"))));
  if (source.doc_type === "usecase") links.push(h("li", {}, h("a", { href: `/usecases/${encodeURIComponent(source.doc_id)}` }, t("chat.view_record"))));
  fill($("source-panel-body"),
    h("h3", { id: "source-title" }, source.title),
    h("p", { class: "source-meta" }, sourceMeta(source)),
    h("blockquote", {}, source.snippet),
    links.length ? h("ul", { class: "source-links" }, links) : null);
  panel.hidden = false;
  layout.classList.add("with-panel");
  panel.focus();
}

function closeSource() {
  panel.hidden = true;
  layout.classList.remove("with-panel");
  for (const el of document.querySelectorAll('.cite[aria-expanded="true"]')) el.setAttribute("aria-expanded", "false");
  if (panelTrigger && document.body.contains(panelTrigger)) panelTrigger.focus();
  panelTrigger = null;
}

turnsEl.addEventListener("click", (event) => {
  const target = event.target.closest(".cite, .source-link");
  if (!target) return;
  event.preventDefault();
  openSource(target.dataset.turn, Number(target.dataset.n), target);
});
$("source-panel-close").addEventListener("click", closeSource);
panel.addEventListener("keydown", (event) => { if (event.key === "Escape") closeSource(); });

// ---------------------------------------------------------------------- asking

function setBusy(value) {
  busy = value;
  askButton.disabled = value;
  stopButton.hidden = !value;
}

/** The last answer loses its Regenerate button when a new question follows it. */
function dropRegenerate() {
  for (const button of turnsEl.querySelectorAll('[data-action="regenerate"]')) button.remove();
}

async function ask(question) {
  setBusy(true);
  dropRegenerate();
  $("empty-state").hidden = true;
  $("suggestions").hidden = true;
  const turn = { question, response: null };
  const { turnId, article, li } = turnShell(question);
  article.setAttribute("aria-busy", "true");
  const text = h("div", { class: "answer-text streaming" });
  const cards = h("div");
  fill(article, text, cards);
  article.scrollIntoView({ block: "nearest" });
  status.textContent = t("status.searching");

  const sources = new Map();
  sourcesByTurn.set(turnId, sources);
  let streamed = "";
  let finished = false;
  const body = { question };
  if (state.conversationId) body.conversation_id = state.conversationId;
  controller = new AbortController();

  try {
    const response = await fetch(`${API}/chat/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      credentials: "same-origin",
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!response.ok) {
      let payload = null;
      try { payload = await response.json(); } catch { /* not JSON */ }
      throw new ApiError(response.status, payload);
    }
    await readEvents(response.body, (event, raw) => {
      let data;
      try { data = JSON.parse(raw); } catch { return; }
      if (event === "retrieval") {
        for (const s of data.sources || []) sources.set(s.number, s);
        status.textContent = sources.size ? tn("status.found", sources.size) : t("status.nothing_close");
      } else if (event === "fallback") {
        // The model failed: what it wrote is dropped, sentences from the sources follow.
        streamed = "";
        fill(text, []);
        status.textContent = data.message || t("status.fallback");
      } else if (event === "token") {
        streamed += data.text || "";
        fill(text, answerNodes(streamed, sources, turnId));
      } else if (event === "citations") {
        for (const c of data) sources.set(c.number, c);
      } else if (event === "usecases") {
        if (data.length) {
          fill(cards, h("section", { class: "answer-section", "aria-label": t("chat.matching_usecases") },
            h("h3", {}, t("chat.matching_usecases")), useCaseCards(data)));
        }
      } else if (event === "done") {
        finished = true;
        turn.response = data;
        state.conversationId = data.conversation_id;
        state.turns.push(turn);
        save();
        renderFinal(article, turnId, turn, true);
        const n = (data.citations || []).length;
        status.textContent = data.refused ? t("status.refused")
          : data.answer_status === "partial" ? tn("status.partial", n) : tn("status.ready", n);
        refreshHistory();
      } else if (event === "error") {
        finished = true;
        renderError(article, t("chat.incomplete", { message: data.message || t("chat.unknown_error") }));
        status.textContent = "";
      }
    });
    if (!finished) {
      renderError(article, t("chat.ended_early"));
      status.textContent = "";
    }
  } catch (err) {
    if (err.name === "AbortError") {
      stopped(article, text, question);
    } else if (err instanceof ApiError && err.status === 404 && state.conversationId
      && err.details.some((d) => d.field === "conversation_id")) {
      // A conversation kept in this browser that the server no longer continues (its
      // anonymous session ended): the question starts a new one.
      li.remove();
      state = { conversationId: null, turns: state.turns };
      status.textContent = t("status.restarted");
      setBusy(false);
      return await ask(question);
    } else {
      li.remove();
      if (err instanceof ApiError && err.status === 422) {
        const detail = err.details.find((d) => String(d.field).startsWith("question"));
        showQuestionError(detail ? t("chat.question_error", { reason: detail.reason }) : describeError(err));
      } else {
        showQuestionError(describeError(err));
      }
      input.value = question;
      status.textContent = "";
    }
  } finally {
    controller = null;
    if (busy) setBusy(false);
  }
}

/** A stopped answer keeps what had arrived (checked sentences), marked as stopped; it is
 * not stored, so the question can be asked again. */
function stopped(article, text, question) {
  text.classList.remove("streaming");
  const again = h("button", { type: "button", class: "button small", "data-action": "ask-again" }, t("chat.ask_again"));
  again.addEventListener("click", () => {
    if (busy) return;
    article.closest(".turn").remove();
    ask(question);
  });
  article.prepend(h("div", { class: "answer-badges" }, h("span", { class: "badge neutral", "data-badge": "stopped" }, t("badge.stopped"))));
  article.append(h("div", { class: "answer-actions" }, again));
  article.removeAttribute("aria-busy");
  status.textContent = t("status.stopped");
  input.focus();
}

/** Ask the last question again, replacing its answer (in the same conversation). */
function regenerate() {
  if (busy || !state.turns.length) return;
  const last = state.turns.pop();
  save();
  turnsEl.lastElementChild?.remove();
  ask(last.question);
}

function showQuestionError(message) {
  $("question-error").textContent = message;
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (busy) return;
  const question = input.value.trim();
  $("question-error").textContent = "";
  input.removeAttribute("aria-invalid");
  if (!question) {
    showQuestionError(t("chat.enter_question"));
    return;
  }
  input.value = "";
  ask(question);
});

input.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

stopButton.addEventListener("click", () => controller?.abort());

for (const chip of document.querySelectorAll("[data-question]")) {
  chip.addEventListener("click", () => {
    input.value = chip.dataset.question;
    form.requestSubmit();
  });
}

function openConversation(conversation) {
  controller?.abort();
  state = conversation;
  save();
  closeSource();
  renderConversation();
  markCurrent();
}

$("new-conversation").addEventListener("click", () => {
  openConversation({ conversationId: null, turns: [] });
  status.textContent = t("status.new_conversation");
  input.focus();
});

// ---------------------------------------------------------------------- past conversations

const historyList = $("history-list");
const historyStatus = $("history-status");

function markCurrent() {
  for (const button of historyList.querySelectorAll("button[data-id]")) {
    if (button.dataset.id === state.conversationId) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

function historyItem(conversation, onOpen) {
  const button = h("button", { type: "button", class: "history-item", "data-id": conversation.id },
    h("span", { class: "history-title" }, conversation.title || t("history.untitled")),
    h("span", { class: "history-meta" }, `${formatDate(conversation.updated_at)} · ${tn("history.answers", conversation.turns)}`));
  button.addEventListener("click", () => onOpen(conversation.id));
  return h("li", {}, button);
}

/** A conversation from the server, as the page keeps turns. */
function fromServer(conversation) {
  return {
    conversationId: conversation.id,
    turns: conversation.turns.map((saved) => ({
      question: saved.question || "",
      response: { ...saved, conversation_id: conversation.id, answer_status: saved.refused ? "refused" : "answered" },
    })),
  };
}

async function openServerConversation(id) {
  historyStatus.textContent = t("history.opening");
  try {
    openConversation(fromServer(await api(`${API}/conversations/${encodeURIComponent(id)}`)));
    historyStatus.textContent = t("history.opened");
  } catch (err) {
    historyStatus.textContent = describeError(err);
  }
}

function openLocalConversation(id) {
  const kept = localHistory().find((c) => c.id === id);
  if (!kept) return;
  openConversation({ conversationId: kept.id, turns: kept.turns });
  historyStatus.textContent = t("history.opened");
}

async function refreshHistory() {
  const session = currentSession();
  $("history-where").textContent = session.authenticated ? t("history.on_server") : t("history.in_browser");
  let items;
  let open;
  if (session.authenticated) {
    try {
      items = (await api(`${API}/conversations?limit=50`)).data;
    } catch (err) {
      historyStatus.textContent = describeError(err);
      return;
    }
    open = openServerConversation;
  } else {
    items = localHistory().map((c) => ({ ...c, turns: c.turns.length }));
    open = openLocalConversation;
  }
  fill(historyList, items.map((c) => historyItem(c, open)));
  if (!items.length) fill(historyList, h("li", { class: "hint" }, t("history.empty")));
  markCurrent();
}

// ---------------------------------------------------------------------- start

initPage().then(refreshHistory);
onSessionChange(refreshHistory);
renderConversation();
