// The chat page: a question streams its answer from POST /api/v1/chat/stream
// (Server-Sent Events read with fetch() + ReadableStream), citations open the cited
// passage in a side panel, matching use cases are shown as cards, and the turns of
// this browser session are kept in sessionStorage.

import { API, ApiError, api, describeError, externalLink, fill, h, humanise, initPage } from "./common.js";

const STORE = "gaios.chat.v1";
const SVG = "http://www.w3.org/2000/svg";
const THUMB = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

const REFUSALS = {
  not_found: ["warn", "Not found in the repository"],
  personal_data: ["bad", "Refused: the question contains personal data"],
  model_declined: ["warn", "The model declined to answer"],
};

const $ = (id) => document.getElementById(id);
const form = $("ask-form");
const input = $("question");
const askButton = $("ask-button");
const status = $("ask-status");
const turnsEl = $("turns");
const panel = $("source-panel");
const layout = $("chat-layout");

let state = load();
let busy = false;
let panelTrigger = null;

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
            "aria-label": `Source ${n}: ${source.title}`, "aria-controls": "source-panel", "aria-expanded": "false",
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
  const parts = [humanise(source.doc_type)];
  if (source.section) parts.push(source.section);
  if (source.page) parts.push(`page ${source.page}`);
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
      h("p", { class: "meta" }, [u.organisation, u.stage && humanise(u.stage)].filter(Boolean).join(" · ")),
      u.reason ? h("p", { class: "meta" }, humanise(u.reason)) : null))));
}

function badges(response) {
  const items = [];
  if (response.refused) {
    const [kind, text] = REFUSALS[response.refusal_reason] || ["warn", "No answer"];
    items.push(h("span", { class: `badge ${kind}`, "data-badge": "refused" }, text));
  }
  if (response.answer_status === "partial") {
    items.push(h("span", { class: "badge warn", "data-badge": "partial" }, "Partial answer: the sources do not give what was asked"));
  }
  if (response.fallback) {
    items.push(h("span", { class: "badge warn", "data-badge": "fallback", title: response.fallback.message },
      "Model unavailable: quoted from the sources"));
  } else if (!response.grounded) {
    items.push(h("span", { class: "badge warn", "data-badge": "ungrounded" }, "Checked: some generated text was removed"));
  } else if (!response.refused) {
    items.push(h("span", { class: "badge ok", "data-badge": "grounded" }, "Checked against the sources"));
  }
  if (response.redactions && response.redactions.length) {
    const kinds = response.redactions.map((r) => humanise(r.toLowerCase())).join(", ");
    items.push(h("span", { class: "badge info", "data-badge": "redacted" }, `Personal data removed from your question (${kinds})`));
  }
  return items;
}

function guardDetails(response) {
  const guard = response.guard || {};
  const removed = (response.sentences || []).filter((s) => !s.supported);
  if (response.grounded && !removed.length) return null;
  const points = [];
  if (guard.removed_sentences) points.push(h("li", {}, `${guard.removed_sentences} generated sentence(s) were not supported by the sources and were removed.`));
  if (guard.fabricated_citations && guard.fabricated_citations.length) {
    points.push(h("li", {}, `Citations to sources that were not provided were dropped: ${guard.fabricated_citations.map((n) => `[${n}]`).join(", ")}.`));
  }
  if (guard.fallback) points.push(h("li", {}, "The answer fell back to sentences extracted from the sources."));
  if (response.fallback) points.push(h("li", {}, response.fallback.message));
  if (response.fallback?.detail) points.push(h("li", { class: "fallback-detail" }, `Detail (shown to administrators): ${response.fallback.detail}`));
  for (const s of removed) {
    points.push(h("li", { class: "removed-sentence" }, h("del", {}, s.text), ` (${s.reason})`));
  }
  const summary = response.fallback ? "Why this answer quotes the sources" : "What the check removed";
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

function feedback(turn, index) {
  const note = h("span", { class: "status", role: "status" }, turn.rating ? "Thank you for your feedback." : "");
  const send = async (rating, button, comment) => {
    for (const b of wrap.querySelectorAll("button")) b.disabled = true;
    try {
      const json = { answer_id: turn.response.answer_id, rating };
      if (comment) json.comment = comment;
      await api(`${API}/feedback`, { method: "POST", json });
      button.setAttribute("aria-pressed", "true");
      turn.rating = rating;
      state.turns[index] = turn;
      save();
      commentForm.hidden = true;
      note.textContent = "Thank you for your feedback.";
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
    h("label", { for: commentId }, "What was wrong with this answer? (optional)"),
    comment,
    h("p", { class: "hint", id: `${commentId}-hint` }, "Evaluators read these comments. Do not include personal data: it is removed before the comment is stored."),
    h("button", { type: "submit", class: "button" }, "Send feedback"));
  const up = h("button", { type: "button", "aria-pressed": String(turn.rating === 1), disabled: Boolean(turn.rating), "data-rating": "1" },
    thumb(false), h("span", { class: "visually-hidden" }, "Helpful"));
  const down = h("button", { type: "button", "aria-pressed": String(turn.rating === -1), disabled: Boolean(turn.rating), "data-rating": "-1" },
    thumb(true), h("span", { class: "visually-hidden" }, "Not helpful"));
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
  const wrap = h("div", { class: "feedback", role: "group", "aria-label": "Rate this answer" },
    h("span", {}, "Useful?"), up, down, note, commentForm);
  return wrap;
}

/** The elements of one turn: question bubble and an answer article to fill. */
let shells = 0;

function turnShell(question) {
  const number = ++shells;
  const turnId = `t${number}`;
  const article = h("article", { class: "answer", "aria-label": `Answer ${number}`, "data-turn": turnId });
  const li = h("li", { class: "turn", id: `turn-${turnId}` },
    h("p", { class: "question-bubble" }, h("span", { class: "visually-hidden" }, "You asked: "), question),
    article);
  turnsEl.appendChild(li);
  return { turnId, article, li };
}

/** Fill an answer article from a finished response (also used for saved turns). */
function renderFinal(article, turnId, turn, index) {
  const response = turn.response;
  const sources = new Map((response.citations || []).map((c) => [c.number, c]));
  sourcesByTurn.set(turnId, sources);
  const parts = [
    h("div", { class: "answer-badges" }, badges(response)),
    h("div", { class: "answer-text" }, answerNodes(response.answer, sources, turnId)),
    guardDetails(response),
  ];
  if (response.citations && response.citations.length) {
    parts.push(h("section", { class: "answer-section", "aria-label": "Sources" },
      h("h3", {}, "Sources"), sourceList(response.citations, turnId)));
  }
  if (response.usecases && response.usecases.length) {
    parts.push(h("section", { class: "answer-section", "aria-label": "Matching use cases" },
      h("h3", {}, response.refused ? "Closest use cases" : "Matching use cases"), useCaseCards(response.usecases)));
  }
  const seconds = response.timings?.total_ms ? ` · ${(response.timings.total_ms / 1000).toFixed(1)} s` : "";
  parts.push(h("div", { class: "answer-foot" }, feedback(turn, index),
    h("span", { class: "answer-meta" }, `Answered by: ${response.backend}${response.model && response.model !== "none" ? ` (${response.model})` : ""}${seconds}`)));
  fill(article, parts);
  article.removeAttribute("aria-busy");
}

function renderError(article, message) {
  fill(article, h("p", { class: "error-box", role: "alert" }, message));
  article.removeAttribute("aria-busy");
}

// ---------------------------------------------------------------------- source panel

const sourcesByTurn = new Map();

function openSource(turnId, n, trigger) {
  const source = sourcesByTurn.get(turnId)?.get(n);
  if (!source) return;
  for (const el of document.querySelectorAll('.cite[aria-expanded="true"]')) el.setAttribute("aria-expanded", "false");
  if (trigger && trigger.classList.contains("cite")) trigger.setAttribute("aria-expanded", "true");
  panelTrigger = trigger || null;
  $("source-panel-title").textContent = `Source [${n}]`;
  const links = [];
  if (source.url) links.push(h("li", {}, externalLink(source.url, "Open the original source")));
  if (source.doc_type === "usecase") links.push(h("li", {}, h("a", { href: `/usecases/${encodeURIComponent(source.doc_id)}` }, "View the use-case record")));
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

async function ask(question) {
  busy = true;
  askButton.disabled = true;
  $("empty-state").hidden = true;
  $("suggestions").hidden = true;
  const turn = { question, response: null };
  const { turnId, article, li } = turnShell(question);
  article.setAttribute("aria-busy", "true");
  const text = h("div", { class: "answer-text streaming" });
  const cards = h("div");
  fill(article, text, cards);
  article.scrollIntoView({ block: "nearest" });
  status.textContent = "Searching the repository…";

  const sources = new Map();
  sourcesByTurn.set(turnId, sources);
  let streamed = "";
  let finished = false;
  const body = { question };
  if (state.conversationId) body.conversation_id = state.conversationId;

  try {
    const response = await fetch(`${API}/chat/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      credentials: "same-origin",
      body: JSON.stringify(body),
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
        status.textContent = sources.size
          ? `Found ${sources.size} passages; writing a checked answer…`
          : "No passage is close enough to the question; checking…";
      } else if (event === "fallback") {
        // The model failed: what it wrote is dropped, sentences from the sources follow.
        streamed = "";
        fill(text, []);
        status.textContent = data.message || "The language model is unavailable; quoting the sources.";
      } else if (event === "token") {
        streamed += data.text || "";
        fill(text, answerNodes(streamed, sources, turnId));
      } else if (event === "citations") {
        for (const c of data) sources.set(c.number, c);
      } else if (event === "usecases") {
        if (data.length) {
          fill(cards, h("section", { class: "answer-section", "aria-label": "Matching use cases" },
            h("h3", {}, "Matching use cases"), useCaseCards(data)));
        }
      } else if (event === "done") {
        finished = true;
        turn.response = data;
        state.conversationId = data.conversation_id;
        state.turns.push(turn);
        save();
        renderFinal(article, turnId, turn, state.turns.length - 1);
        const n = (data.citations || []).length;
        status.textContent = data.refused ? "Answered: not found in the repository."
          : data.answer_status === "partial" ? `Partial answer ready with ${n} citation${n === 1 ? "" : "s"}: the sources do not give what was asked.`
          : `Answer ready with ${n} citation${n === 1 ? "" : "s"}.`;
      } else if (event === "error") {
        finished = true;
        renderError(article, `The answer could not be completed: ${data.message || "unknown error"}.`);
        status.textContent = "";
      }
    });
    if (!finished) {
      renderError(article, "The answer stream ended early. Please try again.");
      status.textContent = "";
    }
  } catch (err) {
    li.remove();
    if (err instanceof ApiError && err.status === 422) {
      const detail = err.details.find((d) => String(d.field).startsWith("question"));
      showQuestionError(detail ? `Question: ${detail.reason}` : describeError(err));
    } else {
      showQuestionError(describeError(err));
    }
    input.value = question;
    status.textContent = "";
  } finally {
    busy = false;
    askButton.disabled = false;
  }
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
    showQuestionError("Enter a question.");
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

for (const chip of document.querySelectorAll("[data-question]")) {
  chip.addEventListener("click", () => {
    input.value = chip.dataset.question;
    form.requestSubmit();
  });
}

$("new-conversation").addEventListener("click", () => {
  state = { conversationId: null, turns: [] };
  save();
  turnsEl.replaceChildren();
  sourcesByTurn.clear();
  closeSource();
  $("empty-state").hidden = false;
  $("suggestions").hidden = false;
  status.textContent = "Started a new conversation.";
  input.focus();
});

// ---------------------------------------------------------------------- start

initPage();
if (state.turns.length) {
  $("empty-state").hidden = true;
  $("suggestions").hidden = true;
  state.turns.forEach((turn, index) => {
    const { turnId, article } = turnShell(turn.question);
    renderFinal(article, turnId, turn, index);
  });
}
