// The sandbox page: a phone-like chat per persona over the sandbox's JSON API (sandbox/web.py).
// No framework and nothing from the network: the page works offline.
"use strict";

const ROLES = ["resident", "deputy", "staff", "department"];
const GROUP_TEXT = {resident: "residents", deputy: "deputies", staff: "staff", department: "departments"};
const $ = (selector) => document.querySelector(selector);

const state = {
  lang: null,
  world: null,
  persona: null,
  digest: "",       // what the shown chat was, for the long poll
  clock: null,       // the bot clock at the last answer, and when it came
  chat: null,
  seen: {},          // persona id → bot messages already shown
  answersSeen: {},   // persona id → callback answers already shown
  poll: null,        // AbortController of the running long poll
};

// --- small helpers -------------------------------------------------------------------------

function t(key, params = {}) {
  const text = (state.world && state.world.texts[key]) || key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? params[name] : whole));
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

async function api(path, body) {
  const options = body instanceof FormData ? {method: "POST", body}
    : body ? {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)} : {};
  const response = await fetch(path, options);
  if (!response.ok) throw new Error((await response.text()) || response.statusText);
  return response.json();
}

async function act(path, body) {
  try {
    return await api(path, body);
  } catch (error) {
    toast(t("failed", {reason: error.message}));
    return null;
  }
}

function toast(text) {
  const item = el("div", {class: "toast"}, text);
  $("#toasts").append(item);
  setTimeout(() => item.remove(), 4000);
}

function chatPath(action) {
  return `/api/chat/${state.persona}/${action}`;
}

function pageLanguage() {
  const saved = localStorage.getItem("sandbox.lang");
  if (saved) return saved;
  const browser = (navigator.language || "").toLowerCase();
  if (browser.startsWith("zh")) return /hant|tw|hk|mo/.test(browser) ? "zh_TW" : "zh_CN";
  return "en";
}

// --- the world around the chats ----------------------------------------------------------------

async function loadWorld() {
  state.world = await api(`/api/world?lang=${encodeURIComponent(state.lang)}`);
  document.documentElement.lang = state.lang.replace("_", "-");
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  for (const node of document.querySelectorAll("[data-title]")) node.title = t(node.dataset.title);
  for (const node of document.querySelectorAll("[data-placeholder]")) node.placeholder = t(node.dataset.placeholder);
  const select = $("#language");
  select.replaceChildren(...state.world.languages.map(
    (language) => el("option", {value: language.code}, language.name)));
  select.value = state.lang;
  renderPersonas();
  renderPlaces();
  await loadCodes();
  if (state.chat) renderChat(state.chat);
}

function persona(id) {
  return state.world.personas.find((p) => p.id === id);
}

function renderPersonas() {
  const groups = ROLES.map((role) => {
    const people = state.world.personas.filter((p) => p.role === role);
    return el("section", {class: "group"},
      el("h3", {}, t(GROUP_TEXT[role])),
      ...people.map((p) => el("button", {
        type: "button", class: "persona" + (p.id === state.persona ? " active" : ""), "data-persona": p.id,
        onclick: () => selectPersona(p.id),
      }, el("span", {class: "avatar small"}, p.name.slice(0, 1)),
      el("span", {class: "who"}, el("span", {class: "name"}, p.name), el("span", {class: "muted"}, p.detail)),
      el("span", {class: "badge", hidden: ""}))));
  });
  $("#personas").replaceChildren(...groups);
  updateBadges();
}

function renderPlaces() {
  $("#place-list").replaceChildren(...state.world.places.map((place, index) => el("button", {
    type: "button", class: "place", "data-index": index,
    onclick: async () => {
      $("#places").close();
      await act(chatPath("place"), {index});
    },
  }, el("strong", {}, "📍 " + place.name), el("span", {class: "muted"}, place.address))));
}

async function loadCodes() {
  const codes = await api("/api/codes");
  $("#codes").replaceChildren(...codes.map((code) => el("figure", {
    class: "code", "data-kind": code.kind, "data-id": code.id,
  },
  el("button", {type: "button", class: "qr", title: t("scan_title"), onclick: () => scan(code.payload)},
    el("img", {src: `/api/qr/${code.payload}.png`, alt: code.name, width: 120, height: 120})),
  el("figcaption", {},
    el("strong", {}, code.kind === "station" ? `${code.name} · ${t("station_code")}` : code.name),
    code.detail ? el("span", {class: "muted"}, code.detail) : null,
    el("a", {href: `/api/poster/${code.kind}/${code.id}.pdf?lang=${state.lang}`, target: "_blank",
      rel: "noopener"}, t("poster_pdf"))))));
  updateScanHint();
}

function updateScanHint() {
  const who = state.persona && persona(state.persona);
  $("#scan-hint").textContent = who ? t("scan_hint", {name: who.name}) : "";
}

async function scan(payload) {
  if (state.persona === null) selectPersona(state.world.personas[0].id);
  await act(chatPath("start"), {payload});
}

// --- the clock -----------------------------------------------------------------------------------

function renderClock() {
  if (!state.clock) return;
  const {clock, at} = state.clock;
  const now = new Date(new Date(clock.now).getTime() + (performance.now() - at));
  const format = new Intl.DateTimeFormat(state.lang.replace("_", "-"), {
    timeZone: state.world.timezone, weekday: "short", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hour12: false,
  });
  $("#clock-now").textContent = format.format(now);
  const hours = Math.floor(clock.ahead / 3600);
  $("#clock-ahead").textContent = hours
    ? t("ahead", {days: Math.floor(hours / 24), hours: hours % 24}) : t("real_time");
}

async function jump(step) {
  for (const button of document.querySelectorAll("[data-step]")) button.disabled = true;
  try {
    await act("/api/clock", {step});
  } finally {
    for (const button of document.querySelectorAll("[data-step]")) button.disabled = false;
  }
}

// --- choosing a persona, and the long poll ------------------------------------------------------

function selectPersona(id) {
  if (state.persona === id) return;
  state.persona = id;
  state.digest = "";
  state.chat = null;
  const who = persona(id);
  $("#chat-avatar").textContent = who.name.slice(0, 1);
  $("#chat-name").textContent = who.name;
  $("#chat-role").textContent = [t("role_" + who.role), who.detail].filter(Boolean).join(" · ");
  $("#messages").replaceChildren();
  $("#reply-keyboard").hidden = true;
  for (const button of document.querySelectorAll(".persona")) {
    button.classList.toggle("active", Number(button.dataset.persona) === id);
  }
  updateScanHint();
  if (state.poll) state.poll.abort();
  $("#composer-text").focus();
}

async function pollForever() {
  for (;;) {
    if (state.persona === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    const id = state.persona;
    state.poll = new AbortController();
    try {
      const response = await fetch(`/api/chat/${id}?seen=${state.digest}`, {signal: state.poll.signal});
      if (!response.ok) throw new Error(response.statusText);
      const chat = await response.json();
      if (id !== state.persona) continue;
      state.digest = chat.digest;
      state.clock = {clock: chat.clock, at: performance.now()};
      $("body").classList.remove("offline");
      renderChat(chat);
    } catch (error) {
      if (error.name === "AbortError") continue;
      $("body").classList.add("offline");
      toast(t("offline"));
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

function updateBadges() {
  const counts = state.chat ? state.chat.counts : {};
  for (const button of document.querySelectorAll(".persona")) {
    const id = Number(button.dataset.persona);
    const unread = (counts[id] || 0) - (state.seen[id] || 0);
    const badge = button.querySelector(".badge");
    badge.hidden = id === state.persona || unread <= 0;
    badge.textContent = unread;
  }
}

// --- drawing a chat ----------------------------------------------------------------------------

function renderChat(chat) {
  const box = $("#messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  state.chat = chat;
  state.seen[state.persona] = chat.counts[state.persona] || 0;
  renderClock();
  const nodes = [];
  const messages = chat.messages;
  for (let i = 0; i < messages.length; i++) {
    const album = [messages[i]];
    while (messages[i].media_group_id && i + 1 < messages.length
      && messages[i + 1].media_group_id === messages[i].media_group_id) album.push(messages[++i]);
    nodes.push(renderMessage(album));
  }
  if (!nodes.length) nodes.push(el("p", {class: "empty muted"}, t("empty_chat")));
  box.replaceChildren(...nodes);
  if (atBottom || chat.messages.length !== (box.dataset.count | 0)) box.scrollTop = box.scrollHeight;
  box.dataset.count = chat.messages.length;
  renderReplyKeyboard(chat.keyboard);
  renderCommands(chat.commands);
  showAnswers(chat.answers);
  updateBadges();
}

function renderMessage(album) {
  const first = album[0];
  const side = first.from_bot ? "bot" : "user";
  const bubble = el("div", {class: "bubble"});
  const pictures = album.filter((m) => m.file && (m.file.kind === "photo" || isImageDocument(m.file)));
  if (pictures.length) {
    bubble.append(el("div", {class: "pictures n" + Math.min(pictures.length, 4)},
      ...pictures.map((m) => el("a", {href: fileUrl(m.file), target: "_blank", rel: "noopener"},
        el("img", {src: fileUrl(m.file), alt: m.file.name || "", loading: "lazy"})))));
  }
  for (const message of album) {
    if (message.file && message.file.kind !== "photo") bubble.append(fileCard(message.file));
    if (message.venue) {
      bubble.append(el("div", {class: "place-card"}, "📍 ", el("strong", {}, message.venue.title),
        message.venue.address ? el("div", {class: "muted"}, message.venue.address) : null));
    } else if (message.location) {
      bubble.append(el("div", {class: "place-card"},
        `📍 ${message.location.latitude.toFixed(5)}, ${message.location.longitude.toFixed(5)}`));
    }
    if (message.contact) {
      bubble.append(el("div", {class: "place-card"}, `👤 ${message.contact.first_name} ${message.contact.phone_number}`));
    }
    if (message.kind === "sticker" || message.kind === "voice" || message.kind === "video") {
      bubble.append(el("div", {class: "muted"}, `[${message.kind}]`));
    }
    if (message.text) bubble.append(el("div", {class: "text"}, formatted(message.text, message.entities)));
  }
  if (album.some((m) => m.edited)) bubble.append(el("span", {class: "edited muted"}, t("edited")));
  const wrap = el("div", {class: `msg ${side}`, "data-from": side, "data-id": first.message_id}, bubble);
  for (const message of album) {
    if (message.buttons.length) wrap.append(inlineKeyboard(message));
  }
  return wrap;
}

function isImageDocument(file) {
  return file.kind === "document" && /^image\//.test(file.mime_type || "");
}

function fileUrl(file) {
  return `/files/${encodeURIComponent(file.file_id)}`;
}

function fileCard(file) {
  const size = file.size ? ` · ${Math.max(1, Math.round(file.size / 1024))} KB` : "";
  return el("a", {class: "file-card", href: fileUrl(file), target: "_blank", rel: "noopener"},
    el("span", {class: "file-icon"}, "📄"),
    el("span", {}, el("strong", {}, file.name || file.kind), el("span", {class: "muted"}, size)));
}

function inlineKeyboard(message) {
  return el("div", {class: "inline-keyboard"}, ...message.buttons.map((row, r) => el("div", {class: "row"},
    ...row.map((button, c) => el("button", {
      type: "button", class: "inline-btn", "data-message": message.message_id,
      onclick: () => pressInline(message, button, r, c),
    }, button.text + (button.url ? " ↗" : ""))))));
}

async function pressInline(message, button, row, column) {
  if (button.url) {
    openLink(button.url);
    return;
  }
  if (!("callback_data" in button)) {
    toast(t("unsupported_button"));
    return;
  }
  await act(chatPath("press"), {message_id: message.message_id, row, column});
}

// Telegram's formatting entities → DOM. Offsets count UTF-16 code units, as JavaScript strings do.
const WRAPPERS = {
  bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
  spoiler: "span", blockquote: "blockquote", expandable_blockquote: "blockquote",
};

function formatted(text, entities) {
  const cuts = new Set([0, text.length]);
  for (const e of entities) {
    cuts.add(e.offset);
    cuts.add(e.offset + e.length);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const fragment = document.createDocumentFragment();
  for (let i = 0; i + 1 < points.length; i++) {
    const [start, end] = [points[i], points[i + 1]];
    const active = entities.filter((e) => e.offset <= start && e.offset + e.length >= end);
    let node = active.some((e) => e.type === "url" || e.type === "text_link")
      ? document.createTextNode(text.slice(start, end)) : linkified(text.slice(start, end));
    for (const e of active) node = wrap(node, e, text.slice(e.offset, e.offset + e.length));
    fragment.append(node);
  }
  return fragment;
}

// Links in plain text, which Telegram turns into "url" entities by itself.
const PLAIN_URL = /https?:\/\/[^\s<>"'（）【】，。；]+/g;

function linkified(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(PLAIN_URL)) {
    fragment.append(text.slice(last, match.index));
    fragment.append(wrap(document.createTextNode(match[0]), {type: "url"}, match[0]));
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function wrap(node, entity, whole) {
  if (entity.type === "text_link" || entity.type === "url") {
    const href = entity.type === "url" ? (/^https?:/.test(whole) ? whole : "https://" + whole) : entity.url;
    return el("a", {href, target: "_blank", rel: "noopener noreferrer", onclick: (event) => {
      event.preventDefault();
      openLink(href);
    }}, node);
  }
  if (entity.type === "bot_command") {
    return el("a", {href: "#", class: "command", onclick: (event) => {
      event.preventDefault();
      sendText(whole.split("@")[0]);
    }}, node);
  }
  const tag = WRAPPERS[entity.type];
  return tag ? el(tag, {class: entity.type === "spoiler" ? "spoiler" : null}, node) : node;
}

// A t.me link to this bot opens the chat with /start, as Telegram does; other links open a tab.
function openLink(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    return;
  }
  const bot = state.world.bot.username.toLowerCase();
  if (url.hostname === "t.me" && url.pathname.replace(/^\//, "").toLowerCase() === bot) {
    const payload = url.searchParams.get("start");
    if (payload) act(chatPath("start"), {payload});
    else sendText("/start");
    return;
  }
  window.open(url.href, "_blank", "noopener");
}

function renderReplyKeyboard(rows) {
  const box = $("#reply-keyboard");
  box.hidden = !rows;
  if (!rows) return box.replaceChildren();
  box.replaceChildren(...rows.map((row, r) => el("div", {class: "row"}, ...row.map((button, c) => {
    const label = typeof button === "string" ? button : button.text;
    return el("button", {
      type: "button", class: "reply-btn",
      onclick: () => (button.request_location ? $("#places").showModal() : act(chatPath("tap"), {row: r, column: c})),
    }, label);
  }))));
}

function renderCommands(commands) {
  $("#commands-menu").replaceChildren(...commands.map(([command, description]) => el("button", {
    type: "button", onclick: () => {
      $("#commands-menu").hidden = true;
      sendText("/" + command);
    },
  }, el("strong", {}, "/" + command), " ", el("span", {class: "muted"}, description))));
}

function showAnswers(answers) {
  const seen = state.answersSeen[state.persona];
  state.answersSeen[state.persona] = answers.length ? answers[answers.length - 1].n : -1;
  if (seen === undefined) return;  // the persona was just opened: old answers are history
  for (const answer of answers) {
    if (answer.n <= seen) continue;
    if (answer.alert) {
      $("#alert-text").textContent = answer.text;
      if (!$("#alert").open) $("#alert").showModal();
    } else {
      toast(answer.text);
    }
  }
}

// --- sending -------------------------------------------------------------------------------------

async function sendText(text) {
  if (!text.trim() || state.persona === null) return;
  await act(chatPath("text"), {text});
}

async function sendFiles(files) {
  const form = new FormData();
  for (const file of files) form.append("file", file, file.name);
  const caption = $("#composer-text").value;
  if (caption.trim()) {
    form.append("caption", caption);
    $("#composer-text").value = "";
  }
  await act(chatPath("photos"), form);
}

function wire() {
  $("#composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("#composer-text");
    const text = box.value;
    box.value = "";
    await sendText(text);
  });
  $("#composer-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("#composer").requestSubmit();
    }
  });
  const toggle = (menu) => () => {
    for (const other of document.querySelectorAll(".popup")) if (other !== $(menu)) other.hidden = true;
    $(menu).hidden = !$(menu).hidden;
  };
  $("#commands-button").addEventListener("click", toggle("#commands-menu"));
  $("#attach").addEventListener("click", toggle("#attach-menu"));
  $("#photo-from-disk").addEventListener("click", () => {
    $("#attach-menu").hidden = true;
    $("#file-input").click();
  });
  $("#file-input").addEventListener("change", async (event) => {
    const files = [...event.target.files];
    event.target.value = "";
    if (files.length) await sendFiles(files);
  });
  $("#sample-photo").addEventListener("click", async () => {
    $("#attach-menu").hidden = true;
    await sendFiles([]);
  });
  $("#share-place").addEventListener("click", () => {
    $("#attach-menu").hidden = true;
    $("#places").showModal();
  });
  $("#places-cancel").addEventListener("click", () => $("#places").close());
  $("#alert-ok").addEventListener("click", () => $("#alert").close());
  for (const button of document.querySelectorAll("[data-step]")) {
    button.addEventListener("click", () => jump(button.dataset.step));
  }
  $("#language").addEventListener("change", async (event) => {
    state.lang = event.target.value;
    localStorage.setItem("sandbox.lang", state.lang);
    await loadWorld();
  });
}

async function main() {
  state.lang = pageLanguage();
  wire();
  await loadWorld();
  if (state.persona === null) selectPersona(state.world.personas[0].id);  // unless one was clicked meanwhile
  setInterval(renderClock, 10_000);  // the bot's clock runs on between answers
  pollForever();
}

main();
