// Shared helpers of the GAIOS pages: a DOM builder, the JSON API client, the header's
// sign-in form and the session, and the controlled vocabularies.

import { has, lang, t } from "./i18n.js";

export const API = "/api/v1";

const RANK = { anonymous: 0, reader: 1, contributor: 2, reviewer: 3, admin: 4 };

/** Whether a role is at least `min` (roles: reader < contributor < reviewer < admin). */
export function atLeast(role, min) {
  return (RANK[role] ?? 0) >= (RANK[min] ?? 0);
}

/**
 * Build an element: h("a", {href: "/x", class: "y"}, "text", child, [more]).
 * Attributes starting with "on" are listeners; `false`/`null` attributes are skipped.
 * Text is always inserted as text, never parsed as HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An error answered by the API: {status, type, message, details}. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || t("error.http", { status }));
    this.status = status;
    this.type = error.type || "http_error";
    this.details = Array.isArray(error.details) ? error.details : [];
  }
}

/**
 * Call the JSON API. `json` is sent as a JSON body, `form` as multipart. The session
 * cookie travels with every same-origin request. Returns the parsed body (null for 204).
 */
export async function api(path, { method = "GET", json, form, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form !== undefined) {
    init.body = form;
  }
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : `${API}/${path}`, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, { error: { type: "network", message: t("error.network") } });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** A human message for an API error, for status lines. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return t("error.unexpected", { message: err.message || err });
  if (err.status === 401) return t("error.sign_in", { message: err.message });
  if (err.status === 403) return `${err.message}.`;
  if (err.status === 429) return t("error.too_many");
  return err.message.charAt(0).toUpperCase() + err.message.slice(1);
}

// ---------------------------------------------------------------------- session

let session = { authenticated: false, name: "anonymous", role: "anonymous" };
const listeners = [];

export function currentSession() {
  return session;
}

/** Call `fn(session)` whenever someone signs in or out. */
export function onSessionChange(fn) {
  listeners.push(fn);
}

async function loadSession() {
  try {
    session = await api(`${API}/session`);
  } catch {
    session = { authenticated: false, name: "anonymous", role: "anonymous" };
  }
  renderSession();
  return session;
}

function renderSession() {
  const user = document.getElementById("session-user");
  const signin = document.getElementById("signin");
  if (!user || !signin) return;
  user.hidden = !session.authenticated;
  signin.hidden = session.authenticated;
  document.getElementById("session-name").textContent = session.authenticated ? session.name : "";
  const role = document.getElementById("session-role");
  role.textContent = t(`role.${session.role}`);
  role.setAttribute("aria-label", t("session.role", { role: t(`role.${session.role}`) }));
  for (const el of document.querySelectorAll("[data-min-role]")) {
    el.hidden = !atLeast(session.role, el.dataset.minRole);
  }
}

function changed() {
  renderSession();
  for (const fn of listeners) fn(session);
}

function wireSessionControls() {
  const form = document.getElementById("signin-form");
  const details = document.getElementById("signin");
  const input = document.getElementById("signin-key");
  const error = document.getElementById("signin-error");
  if (!form) return;
  details.addEventListener("toggle", () => { if (details.open) input.focus(); });
  details.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && details.open) {
      details.open = false;
      details.querySelector("summary").focus();
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    input.removeAttribute("aria-invalid");
    const key = input.value.trim();
    if (!key) {
      error.textContent = t("session.enter_key");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    try {
      session = await api(`${API}/session`, { method: "POST", json: { key } });
      input.value = "";
      details.open = false;
      changed();
      document.getElementById("sign-out").focus();
    } catch (err) {
      error.textContent = err.status === 401 ? t("session.unknown_key") : describeError(err);
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  });
  document.getElementById("sign-out").addEventListener("click", async () => {
    try { await api(`${API}/session`, { method: "DELETE" }); } catch { /* signed out locally anyway */ }
    session = { authenticated: false, name: "anonymous", role: "anonymous" };
    changed();
    document.querySelector("#signin summary").focus();
  });
}

/** The language links keep the page's own query (filters, paging) and add `lang`. */
function wireLanguageSwitch() {
  for (const link of document.querySelectorAll("a[data-lang]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const url = new URL(window.location.href);
      url.searchParams.set("lang", link.dataset.lang);
      window.location.assign(url);
    });
  }
}

/** Set up the header of any page; resolves to the session once it is known. */
export function initPage() {
  const page = document.body.dataset.page;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === page || (page === "usecase" && link.dataset.nav === "usecases")) {
      link.setAttribute("aria-current", "page");
    }
  }
  wireSessionControls();
  wireLanguageSwitch();
  return loadSession();
}

// ---------------------------------------------------------------------- vocabularies

let vocabPromise = null;

/** Every controlled vocabulary: {name: [{code, name, parent}]} (fetched once). */
export function vocabularies() {
  vocabPromise ||= api(`${API}/vocabularies`);
  return vocabPromise;
}

const UPPER = { ai: "AI", nso: "NSO", saas: "SaaS", api: "API", llm: "LLM", llms: "LLMs", rag: "RAG", mcp: "MCP", ip: "IP", genai: "GenAI", usecase: t("common.use_case") };

/** "open_weights_permissive" -> "Open weights permissive", "generative_ai" -> "Generative AI". */
export function humanise(code) {
  if (code === null || code === undefined) return "";
  const text = String(code).replace(/_/g, " ").split(" ").map((w) => UPPER[w] || w).join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The name of `code` in vocabulary `name` ("5.2" -> "Classify and code"), or null. */
export function termName(vocabs, name, code) {
  const term = (vocabs?.[name] || []).find((t) => t.code === code);
  return term ? term.name : null;
}

/** The interface's name of a code of an enumeration (`vocab.<name>.<code>` in the
 * catalogue: "on_premise" -> "Sur site" in French), else the code humanised. */
export function codeLabel(name, code) {
  const key = `vocab.${name}.${code}`;
  return has(key) ? t(key) : humanise(code);
}

/** The interface's name of a field of the record (`field.<name>`: "year_started" -> "Year
 * started", "Année de début"), else the name humanised. */
export function fieldLabel(name) {
  return has(`field.${name}`) ? t(`field.${name}`) : humanise(name);
}

/** "5.2 Classify and code" for classification codes (GSBPM and GAMSO keep their published
 * English names), the interface's name for enumerations. */
export function termLabel(vocabs, name, code) {
  const found = termName(vocabs, name, code);
  if (name === "gsbpm" || name === "gamso") return found ? `${code} ${found}` : String(code);
  return has(`vocab.${name}.${code}`) ? codeLabel(name, code) : humanise(found || code);
}

export function formatDate(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(lang === "en" ? "en-GB" : lang, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

/** Text with **bold** marks and `code` turned into elements (everything else stays text). */
export function richText(text) {
  const nodes = [];
  const pattern = /\*\*([^*]+)\*\*|`([^`]+)`/g;
  let last = 0;
  for (const match of String(text).matchAll(pattern)) {
    if (match.index > last) nodes.push(text.slice(last, match.index));
    nodes.push(match[1] !== undefined ? h("strong", {}, match[1]) : h("code", {}, match[2]));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}

/** Paragraphs of a plain or lightly marked-up text (blank lines separate paragraphs). */
export function paragraphs(text) {
  return String(text || "")
    .split(/\n\s*\n/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      const lines = block.split("\n");
      if (lines.every((line) => /^\s*[-*] /.test(line))) {
        return h("ul", {}, lines.map((line) => h("li", {}, richText(line.replace(/^\s*[-*] /, "")))));
      }
      return h("p", {}, richText(lines.join(" ")));
    });
}

/** A safe external link: only http(s) URLs become links. */
export function externalLink(url, text) {
  if (!url || !/^https?:\/\//i.test(url)) return text || url || "";
  return h("a", { href: url, rel: "noopener noreferrer external", target: "_blank" }, text || url,
    h("span", { class: "visually-hidden" }, ` ${t("common.new_tab")}`));
}
