// The contribution page. The use-case form is generated from the record's JSON Schema
// (GET /api/v1/schema -> usecase) and the vocabularies: enumerations become pickers,
// GSBPM and GAMSO codes grouped checkboxes with their names, lists of objects
// repeatable groups. The server's 422 errors are shown next to the fields they name
// (`details[].field` is a dotted path such as organisations.0.country).

import {
  API, ApiError, api, codeLabel, currentSession, describeError, fieldLabel, fill, h, humanise, initPage, onSessionChange,
  termLabel, vocabularies,
} from "./common.js";
import { has, t, tn } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const form = $("usecase-form");

// Sections of the form: the key of the heading, then the fields in it.
const SECTIONS = [
  ["form.section.about", ["title", "id", "summary", "description"]],
  ["form.section.organisations", ["organisations", "partners"]],
  ["form.section.stage", ["lifecycle_stage", "stage_as_reported", "scope", "year_started", "year_reported"]],
  ["form.section.classification", ["gsbpm", "gamso", "task_types", "genai_patterns", "ai_classification"]],
  ["form.section.models", ["model_openness", "hosting", "models"]],
  ["form.section.data", ["data_inputs", "data_sensitivity", "personal_data", "human_oversight"]],
  ["form.section.evaluation", ["evaluation", "quality_dimensions", "benefits", "risks", "lessons_learned"]],
  ["form.section.sources", ["sources", "code_url", "code_licence", "contact", "related"]],
  ["form.section.record", ["record_meta"]],
];
const SKIP = new Set(["schema_version"]);
// The record's "whole record" and "request body" pseudo-fields of the API's errors.
const WHOLE = new Set(["(record)", "(body)"]);
// The API's reasons are English; the commonest is named in the page's language.
const REASONS = { "Field required": "form.required" };
const LONG = new Set(["summary", "description", "data_inputs", "method", "results", "mitigation", "note", "text", "baseline"]);
const START_WITH_ONE = new Set(["organisations", "sources"]);

let schema = null;
let vocabs = {};
let enumVocab = new Map();
let idEdited = false;

// ---------------------------------------------------------------------- schema helpers

function resolve(node) {
  if (!node) return {};
  if (node.$ref) {
    const name = node.$ref.split("/").pop();
    return { ...schema.$defs[name], ...without(node, "$ref") };
  }
  if (node.anyOf) {
    const options = node.anyOf.filter((o) => o.type !== "null");
    const nullable = options.length < node.anyOf.length;
    if (options.length === 1) return { ...resolve(options[0]), ...without(node, "anyOf"), nullable };
  }
  return node;
}

function without(node, key) {
  const copy = { ...node };
  delete copy[key];
  return copy;
}

const idOf = (path) => `f-${path.replace(/\./g, "-")}`;
const errorIdOf = (path) => `err-${path.replace(/\./g, "-")}`;
const nameOf = (path) => path.split(".").pop();

/** The hint of a field (`hint.<path>`, item numbers left out: hint.organisations.country),
 * else the schema's description. */
function hintFor(path, node) {
  const key = `hint.${path.replace(/\.\d+(?=\.|$)/g, "")}`;
  if (has(key)) return t(key);
  if (node.description) return node.description.replace(/`/g, "");
  return null;
}

/** The vocabulary whose codes are exactly this enumeration's values (for names). */
function vocabForEnum(values) {
  const key = values.join("|");
  if (enumVocab.has(key)) return enumVocab.get(key);
  let found = null;
  for (const [name, terms] of Object.entries(vocabs)) {
    const codes = new Set(terms.map((t) => t.code));
    if (codes.size === values.length && values.every((v) => codes.has(v))) { found = name; break; }
  }
  enumVocab.set(key, found);
  return found;
}

function enumLabel(values, value) {
  const vocab = vocabForEnum(values);
  return vocab ? termLabel(vocabs, vocab, value) : humanise(value);
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------- rendering

function required(label) {
  return [label, " ", h("span", { class: "req", "aria-hidden": "true" }, "*")];
}

function describedBy(path, hint) {
  return [hint ? `hint-${idOf(path)}` : null, errorIdOf(path)].filter(Boolean).join(" ");
}

function hintEl(path, hint) {
  return hint ? h("p", { class: "hint", id: `hint-${idOf(path)}` }, hint) : null;
}

function errorEl(path) {
  return h("p", { class: "field-error", id: errorIdOf(path) });
}

/** One field of the form for `node` at `path`, showing `value`. */
function renderField(name, node, path, isRequired, value) {
  node = resolve(node);
  const label = fieldLabel(name);
  const hint = hintFor(path, node);

  if (name === "gsbpm" || name === "gamso") return codePicker(name, path, label, hint, value || []);
  if (node.type === "array") {
    const items = resolve(node.items);
    if (items.enum) return checkboxGroup(path, label, hint, items.enum, value || [], isRequired);
    if (items.type === "object") return repeatGroup(name, items, path, label, hint, value, isRequired || node.minItems > 0);
    return textField(path, label, hint, isRequired, (value || []).join("\n"), { multiline: true, lines: true });
  }
  if (node.type === "object") return objectGroup(name, node, path, label, value, isRequired);
  if (node.enum) return selectField(path, label, hint, node.enum, value ?? node.default ?? "", isRequired, node);
  if (node.type === "boolean") return booleanField(path, label, hint, value);
  if (node.type === "number" || node.type === "integer") {
    return textField(path, label, hint, isRequired, value ?? "", { type: "number" });
  }
  const options = {};
  if (node.format === "uri") options.type = "url";
  if (node.format === "date") options.type = "date";
  if (!node.format && (LONG.has(name) || (node.maxLength || 0) > 300)) options.multiline = true;
  if (node.maxLength) options.maxlength = node.maxLength;
  if (name === "country") options.country = true;
  let initial = value ?? node.default ?? "";
  if (name === "created" || name === "updated") initial = value || today();
  if (name === "curator") initial = value || (currentSession().authenticated ? currentSession().name : "");
  return textField(path, label, hint, isRequired, initial, options);
}

function textField(path, label, hint, isRequired, value, options = {}) {
  const id = idOf(path);
  const attrs = { id, name: path, "aria-describedby": describedBy(path, hint), required: isRequired };
  let control;
  if (options.multiline || options.lines) {
    control = h("textarea", { ...attrs, rows: options.lines ? 3 : (nameOf(path) === "description" ? 6 : 3), maxlength: options.maxlength });
    control.value = value ?? "";
  } else {
    control = h("input", {
      ...attrs, type: options.type || "text", value: value ?? "", maxlength: options.country ? 3 : options.maxlength,
      step: options.type === "number" ? "any" : null, inputmode: options.type === "number" ? "decimal" : null,
      autocapitalize: options.country ? "characters" : null, spellcheck: options.type === "url" ? "false" : null,
      list: options.country ? "country-codes" : null,
    });
    if (options.country) control.addEventListener("input", () => { control.value = control.value.toUpperCase(); });
  }
  if (options.lines) control.dataset.lines = "1";
  const classes = ["field"];
  if (options.country || options.type === "date") classes.push("short");
  return h("div", { class: classes.join(" "), "data-path": path },
    h("label", { for: id }, isRequired ? required(label) : label), hintEl(path, hint), control, errorEl(path));
}

function selectField(path, label, hint, values, value, isRequired, node) {
  const id = idOf(path);
  const placeholder = isRequired && node.default === undefined ? t("form.choose") : (node.default === undefined ? t("common.not_stated") : null);
  const select = h("select", { id, name: path, "aria-describedby": describedBy(path, hint), required: isRequired },
    placeholder ? h("option", { value: "" }, placeholder) : null,
    values.map((v) => h("option", { value: v, selected: v === value }, enumLabel(values, v))));
  return h("div", { class: "field", "data-path": path },
    h("label", { for: id }, isRequired ? required(label) : label), hintEl(path, hint), select, errorEl(path));
}

function booleanField(path, label, hint, value) {
  const id = idOf(path);
  const select = h("select", { id, name: path, "data-boolean": "1", "aria-describedby": describedBy(path, hint) },
    h("option", { value: "", selected: value === null || value === undefined }, t("common.not_stated")),
    h("option", { value: "true", selected: value === true }, t("common.yes")),
    h("option", { value: "false", selected: value === false }, t("common.no")));
  return h("div", { class: "field", "data-path": path }, h("label", { for: id }, label), hintEl(path, hint), select, errorEl(path));
}

function checkboxGroup(path, label, hint, values, chosen, isRequired) {
  return h("fieldset", { class: "field", "data-path": path, "aria-describedby": describedBy(path, hint) },
    h("legend", {}, isRequired ? required(label) : label), hintEl(path, hint), errorEl(path),
    h("div", { class: "check-grid" }, values.map((v) => {
      const id = `${idOf(path)}--${v}`;
      return h("label", { class: "check", for: id },
        h("input", { type: "checkbox", id, name: path, value: v, checked: chosen.includes(v) }), enumLabel(values, v));
    })));
}

/** GSBPM or GAMSO codes: one collapsible group per phase, a checkbox per sub-process. */
function codePicker(name, path, label, hint, chosen) {
  const terms = vocabs[name] || [];
  const phases = terms.filter((t) => !t.parent);
  const groups = phases.map((phase) => {
    const children = terms.filter((t) => t.parent === phase.code);
    const count = children.filter((t) => chosen.includes(t.code)).length;
    const summaryCount = h("span", { class: "filter-count", "data-count": "1" }, count ? ` ${tn("form.selected", count)}` : "");
    const details = h("details", { open: count > 0 },
      h("summary", {}, h("span", { class: "code-num" }, phase.code), ` ${phase.name}`, summaryCount),
      h("div", { class: "check-grid" }, children.map((t) => {
        const id = `${idOf(path)}--${t.code.replace(/\./g, "-")}`;
        return h("label", { class: "check", for: id },
          h("input", { type: "checkbox", id, name: path, value: t.code, checked: chosen.includes(t.code) }),
          h("span", {}, h("span", { class: "code-num" }, t.code), ` ${t.name}`));
      })));
    details.addEventListener("change", () => {
      const n = details.querySelectorAll("input:checked").length;
      summaryCount.textContent = n ? ` ${tn("form.selected", n)}` : "";
    });
    return details;
  });
  return h("fieldset", { class: "field code-groups", "data-path": path, "aria-describedby": describedBy(path, hint) },
    h("legend", {}, label), hintEl(path, hint), errorEl(path), groups);
}

function objectGroup(name, node, path, label, value, isRequired) {
  const props = Object.entries(node.properties || {});
  const req = new Set(node.required || []);
  return h("fieldset", { class: "field", "data-path": path },
    h("legend", {}, label), errorEl(path),
    h("div", { class: "row-2" }, props.map(([key, sub]) => renderField(key, sub, `${path}.${key}`, isRequired && req.has(key), value?.[key]))));
}

/** A list of objects (organisations, sources, models...): add and remove items. */
function repeatGroup(name, items, path, label, hint, values, atLeastOne) {
  const list = h("div", { class: "repeat-list" });
  const wrap = h("fieldset", { class: "field repeat", "data-path": path, "data-repeat": "1" },
    h("legend", {}, atLeastOne ? required(label) : label), hintEl(path, hint), errorEl(path), list);
  const draw = (current) => {
    wrap.dataset.count = String(current.length);
    fill(list, current.map((value, index) => {
      const itemPath = `${path}.${index}`;
      const req = new Set(items.required || []);
      const remove = h("button", { type: "button", class: "button small danger" }, t(`form.remove.${name}`, { n: index + 1 }));
      remove.addEventListener("click", () => {
        const now = readRepeat(wrap, items, path);
        now.splice(index, 1);
        draw(now);
        (wrap.querySelector("button.add") || wrap).focus();
      });
      return h("fieldset", { class: "repeat-item", "data-path": itemPath },
        h("legend", {}, t(`form.item.${name}`, { n: index + 1 })), errorEl(itemPath),
        h("div", { class: "row-2" }, Object.entries(items.properties).map(([key, sub]) =>
          renderField(key, sub, `${itemPath}.${key}`, req.has(key), value?.[key]))),
        h("div", { class: "item-actions" }, remove));
    }));
  };
  const add = h("button", { type: "button", class: "button small add" }, t(`form.${current(values).length ? "add_another" : "add"}.${name}`));
  add.addEventListener("click", () => {
    const now = readRepeat(wrap, items, path);
    now.push({});
    draw(now);
    const fields = list.querySelectorAll(".repeat-item");
    fields[fields.length - 1].querySelector("input, select, textarea")?.focus();
    add.textContent = t(`form.add_another.${name}`);
  });
  wrap.appendChild(h("div", {}, add));
  draw(current(values));
  function current(v) {
    if (Array.isArray(v) && v.length) return v;
    return START_WITH_ONE.has(name) ? [{}] : [];
  }
  return wrap;
}

function readRepeat(wrap, items, path) {
  const count = Number(wrap.dataset.count || 0);
  const out = [];
  for (let i = 0; i < count; i++) out.push(collectObject(items, `${path}.${i}`, { keepEmpty: true }) || {});
  return out;
}

// ---------------------------------------------------------------------- reading the form

function control(path) {
  return document.getElementById(idOf(path));
}

function collect(name, node, path) {
  node = resolve(node);
  if (name === "gsbpm" || name === "gamso" || (node.type === "array" && resolve(node.items).enum)) {
    const values = [...form.querySelectorAll(`[data-path="${path}"] input[type=checkbox]:checked`)].map((i) => i.value);
    return values.length ? values : undefined;
  }
  if (node.type === "array") {
    const items = resolve(node.items);
    if (items.type === "object") {
      const wrap = form.querySelector(`[data-path="${path}"]`);
      const values = readRepeat(wrap, items, path).map((v) => prune(v)).filter((v) => v !== undefined);
      return values.length ? values : undefined;
    }
    const el = control(path);
    const lines = (el?.value || "").split("\n").map((l) => l.trim()).filter(Boolean);
    return lines.length ? lines : undefined;
  }
  if (node.type === "object") return collectObject(node, path);
  const el = control(path);
  if (!el) return undefined;
  const raw = el.value.trim();
  if (raw === "") return undefined;
  if (el.dataset.boolean) return raw === "true";
  if (node.type === "number" || node.type === "integer") {
    const number = Number(raw);
    return Number.isFinite(number) ? number : raw;
  }
  return raw;
}

function collectObject(node, path, { keepEmpty = false } = {}) {
  const out = {};
  for (const [key, sub] of Object.entries(node.properties || {})) {
    const value = collect(key, sub, `${path}.${key}`);
    if (value !== undefined) out[key] = value;
  }
  if (!keepEmpty && !Object.keys(out).length) return undefined;
  return out;
}

/** An object none of whose fields were filled in is left out. Defaults alone do not count. */
function prune(value) {
  if (!value || typeof value !== "object") return value;
  const meaningful = Object.entries(value).filter(([key]) => !["openness", "hosting", "role", "kind", "confidence"].includes(key));
  return meaningful.length ? value : undefined;
}

function readRecord() {
  const record = {};
  for (const [key, node] of Object.entries(schema.properties)) {
    if (SKIP.has(key)) continue;
    const value = collect(key, node, key);
    if (value !== undefined) record[key] = value;
  }
  return record;
}

// ---------------------------------------------------------------------- errors

function clearErrors(scope) {
  for (const el of scope.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of scope.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/** The form element that shows errors of `field`: the field itself, or its nearest parent. */
function targetFor(scope, field) {
  const parts = String(field).split(".");
  while (parts.length) {
    const el = scope.querySelector(`[data-path="${CSS.escape(parts.join("."))}"]`);
    if (el) return el;
    parts.pop();
  }
  return null;
}

function fieldOf(detail) {
  let field = String(detail.field || "(record)");
  const reason = String(detail.reason || "");
  if (WHOLE.has(field)) {
    const named = /^Value error, (\w+):/.exec(reason);
    if (named) field = named[1];
    else if (/year_started|year_reported/.test(reason)) field = "year_started";
  }
  return field;
}

function reasonOf(detail, forRecord = true) {
  if (detail.entity) {
    const values = { kind: humanise(String(detail.entity).toLowerCase()), masked: detail.masked };
    return t(forRecord ? "form.personal_data_record" : "form.personal_data_document", values);
  }
  let reason = String(detail.reason || "invalid").replace(/^Value error, /, "");
  reason = reason.replace(/^(\w+): /, "");
  if (REASONS[reason]) return t(REASONS[reason]);
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}

function labelOfField(scope, field, target) {
  if (!target) return WHOLE.has(field) ? t("form.whole_record") : field;
  const legend = target.querySelector(":scope > legend, :scope > label");
  const text = legend ? legend.textContent.replace(/\*/g, "").trim() : field;
  const item = target.closest(".repeat-item");
  if (item && item !== target) return t("form.error_row", { field: item.querySelector(":scope > legend").textContent, reason: text });
  return text;
}

/** Put each error next to its field, and a linked list of them in `summaryEl`. A field
 * the form does not have (e.g. a section of an uploaded document) goes to `fallback`. */
function showErrors(scope, summaryEl, title, details, extra = null, fallback = null) {
  clearErrors(scope);
  const rows = [];
  for (const detail of details) {
    let field = fieldOf(detail);
    let reason = reasonOf(detail, scope === form);
    let target = targetFor(scope, field);
    if (!target && fallback) {
      if (field && !WHOLE.has(field)) reason = t("form.document_section", { field, reason });
      field = fallback;
      target = targetFor(scope, fallback);
    }
    if (target) {
      const err = target.querySelector(":scope > .field-error");
      if (err) err.textContent = err.textContent ? `${err.textContent} ${reason}` : reason;
      const input = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
      if (input && target.dataset.path === field) input.setAttribute("aria-invalid", "true");
      for (let d = target.closest("details"); d; d = d.parentElement?.closest("details")) d.open = true;
    }
    const focusable = target && (target.querySelector("input, select, textarea, button") || target);
    rows.push(h("li", {}, focusable && focusable.id
      ? h("a", { href: `#${focusable.id}`, onclick: (e) => { e.preventDefault(); focusable.focus(); } }, t("form.error_row", { field: labelOfField(scope, field, target), reason }))
      : t("form.error_row", { field: labelOfField(scope, field, target), reason })));
  }
  fill(summaryEl, h("h3", {}, title), extra, rows.length ? h("ul", {}, rows) : null);
  summaryEl.hidden = false;
  summaryEl.focus();
}

function hideMessages(...els) {
  for (const el of els) { el.hidden = true; el.replaceChildren(); }
}

// ---------------------------------------------------------------------- submit

async function submitRecord(event) {
  event.preventDefault();
  const summary = $("usecase-errors");
  const result = $("usecase-result");
  hideMessages(summary, result);
  clearErrors(form);
  const button = $("usecase-submit");
  button.disabled = true;
  $("usecase-status").textContent = t("form.submitting");
  try {
    const record = readRecord();
    const saved = await api(`${API}/usecases`, { method: "POST", json: record });
    const r = saved.record;
    fill(result,
      h("h3", {}, t("form.thanks")),
      h("p", {}, t("form.has_status", { title: r.title, id: r.id }), " ",
        h("strong", { "data-status": saved.status }, codeLabel("record_status", saved.status)), " ",
        t("form.reviewer_next", { n: saved.revision })),
      h("p", {}, h("a", { href: `/usecases/${encodeURIComponent(r.id)}` }, t("form.view_submission"))));
    result.hidden = false;
    result.focus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) {
      const title = err.type === "personal_data" ? t("form.personal_data_usecase") : t("form.not_accepted");
      showErrors(form, summary, title, err.details.length ? err.details : [{ field: "(record)", reason: err.message }]);
    } else if (err instanceof ApiError && err.status === 409) {
      const detail = err.details[0] || {};
      const extra = detail.existing
        ? h("p", {}, `${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}. `,
          h("a", { href: `/usecases/${encodeURIComponent(detail.existing)}`, "data-existing": detail.existing }, t("form.open_existing", { id: detail.existing })))
        : h("p", {}, err.message);
      showErrors(form, summary, t("form.exists"), [], extra);
      const target = targetFor(form, detail.field || "title");
      const errEl = target?.querySelector(":scope > .field-error");
      if (errEl) errEl.textContent = detail.reason === "near-duplicate" ? t("form.near_duplicate") : (detail.reason ? reasonOf(detail) : "");
    } else {
      fill(summary, h("h3", {}, t("form.not_submitted")), h("p", {}, describeError(err)));
      summary.hidden = false;
      summary.focus();
    }
  } finally {
    button.disabled = false;
    $("usecase-status").textContent = "";
  }
}

async function submitDocument(event) {
  event.preventDefault();
  const docForm = $("document-form");
  const summary = $("document-errors");
  const result = $("document-result");
  hideMessages(summary, result);
  clearErrors(docForm);
  const file = $("doc-file");
  if (!file.files.length) {
    showErrors(docForm, summary, t("form.choose_file"), [{ field: "file", reason: t("form.no_file") }]);
    return;
  }
  const data = new FormData(docForm);
  if (!String(data.get("title") || "").trim()) data.delete("title");
  $("doc-submit").disabled = true;
  $("doc-status").textContent = t("form.uploading");
  try {
    const saved = await api(`${API}/documents`, { method: "POST", form: data });
    const values = { title: saved.title, id: saved.id, n: saved.chunks };
    fill(result, h("h3", {}, t("form.uploaded")),
      h("p", {}, saved.confidential ? tn("form.indexed_confidential", saved.chunks, values) : tn("form.indexed", saved.chunks, values)));
    result.hidden = false;
    result.focus();
    docForm.reset();
  } catch (err) {
    if (err instanceof ApiError && (err.status === 422 || err.status === 409)) {
      const title = err.type === "personal_data" ? t("form.personal_data_upload") : t("form.not_uploaded");
      showErrors(docForm, summary, title, err.details.length ? err.details : [{ field: "file", reason: err.message }], null, "file");
    } else {
      fill(summary, h("h3", {}, t("form.not_uploaded")), h("p", {}, describeError(err)));
      summary.hidden = false;
      summary.focus();
    }
  } finally {
    $("doc-submit").disabled = false;
    $("doc-status").textContent = "";
  }
}

// ---------------------------------------------------------------------- start

function slugify(text) {
  return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
}

function build() {
  const done = new Set();
  const sections = [];
  const requiredKeys = new Set(schema.required || []);
  const entry = (key) => renderField(key, schema.properties[key], key, requiredKeys.has(key), undefined);
  for (const [key, keys] of SECTIONS) {
    const present = keys.filter((k) => schema.properties[k] && !SKIP.has(k));
    if (!present.length) continue;
    present.forEach((k) => done.add(k));
    sections.push(h("h3", { class: "section-title" }, t(key)), present.map(entry));
  }
  const rest = Object.keys(schema.properties).filter((k) => !done.has(k) && !SKIP.has(k));
  if (rest.length) sections.push(h("h3", { class: "section-title" }, t("form.section.other")), rest.map(entry));
  const countries = new Set(["INT"]);
  const datalist = h("datalist", { id: "country-codes" });
  api(`${API}/usecases?limit=1`).then((list) => {
    for (const code of Object.keys(list.facets?.country || {})) countries.add(code);
    fill(datalist, [...countries].sort().map((c) => h("option", { value: c })));
  }).catch(() => {});
  fill(form, sections, datalist,
    h("div", { class: "form-actions" },
      h("button", { type: "submit", class: "button primary", id: "usecase-submit" }, t("form.submit")),
      h("span", { class: "status", id: "usecase-status", role: "status", "aria-live": "polite" })));

  const title = control("title");
  const id = control("id");
  id.addEventListener("input", () => { idEdited = id.value.trim() !== ""; });
  title.addEventListener("input", () => { if (!idEdited) id.value = slugify(title.value); });
}

function sessionNotice(session) {
  $("contribute-signin").hidden = session.role === "contributor" || session.role === "reviewer" || session.role === "admin";
  const curator = control("record_meta.curator");
  if (curator && !curator.value && session.authenticated) curator.value = session.name;
}

async function start() {
  const session = await initPage();
  try {
    const [loaded, vocab] = await Promise.all([api(`${API}/schema`), vocabularies()]);
    schema = loaded.usecase;
    vocabs = vocab;
    build();
  } catch (err) {
    fill(form, h("p", { class: "error-box", role: "alert" }, t("form.load_failed", { error: describeError(err) })));
  }
  sessionNotice(session);
  onSessionChange(sessionNotice);
}

form.addEventListener("submit", submitRecord);
$("document-form").addEventListener("submit", submitDocument);
start();
