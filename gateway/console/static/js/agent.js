// The agent workbench: conversations, chat, presence, bot assist, and every intervention as
// the platform rule describes it — driven only by the gateway's frames (docs/protocol.md).

import { TIER_NAMES, el, formatTime, highlighted, logoutButton, requireLogin, websocketUrl, whoAmI } from "./common.js";
import { closeModal, modalOpen, showModal } from "./modal.js";
import { Socket } from "./socket.js";

const me = requireLogin("agent");

const conversations = new Map(); // id → conversation
let selected = null;
let editing = null;              // {conversation, replaces, text, matches}: an edit of a held message
const pending = new Map();       // my message id → conversation id, until its verdict
let warning = null;              // the unacknowledged block-with-warning: {id, conversation, text}
let counter = 0;
let queued = 0;

const $ = (id) => document.getElementById(id);
const composer = $("composer");

function conversation(id) {
  let c = conversations.get(id);
  if (!c) {
    c = { id, buyer: id.split(":").slice(1).join(":"), items: [], unread: 0, routed: null,
          left: null, assist: false, order: 0 };
    conversations.set(id, c);
  }
  return c;
}

function item(c, id) {
  return c.items.find((i) => i.id === id && i.kind === "message");
}

function newId() {
  counter += 1;
  return `m${Date.now().toString(36)}${counter.toString(36)}`;
}

// --- rendering ----------------------------------------------------------------------------

function renderList() {
  const list = $("conversation-list");
  const all = [...conversations.values()].sort((a, b) =>
    (b.routed && !b.left ? 1 : 0) - (a.routed && !a.left ? 1 : 0) || b.order - a.order);
  list.replaceChildren(...all.map((c) => {
    const last = [...c.items].reverse().find((i) => i.kind === "message" && i.role === "buyer");
    return el("li", {
      class: ["conversation", c.id === selected ? "selected" : "", c.routed && !c.left ? "routed" : "",
              c.left ? "left" : ""].join(" ").trim(),
      dataset: { conversation: c.id },
      onclick: () => select(c.id),
    },
    el("div", { class: "conversation-top" },
      el("span", { class: "buyer-name" }, c.buyer),
      c.routed && !c.left ? el("span", { class: "tag route" }, "转人工") : null,
      c.left ? el("span", { class: "tag left" }, "已转出") : null,
      c.unread ? el("span", { class: "badge unread" }, String(c.unread)) : null),
    el("div", { class: "last-message" }, last ? last.text : "（暂无买家消息）"));
  }));
  const active = all.filter((c) => !c.left).length;
  $("assigned-count").textContent = String(active);
  $("queued-count").textContent = String(queued);
  $("no-conversations").hidden = all.length > 0;
}

function bubble(c, i) {
  if (i.kind === "system") {
    return el("li", { class: `system-line ${i.level || ""}`, dataset: { code: i.code || "" } }, i.text);
  }
  const classes = ["bubble", i.mine ? "mine" : "theirs", i.role === "buyer" ? "from-buyer" : "",
                   i.state ? `state-${i.state}` : ""];
  const status = [];
  if (i.mine) {
    if (i.state === "blocked") {
      status.push(el("button", {
        type: "button", class: "blocked-mark", title: "查看未发送原因", "aria-label": "查看未发送原因",
        onclick: (event) => { event.stopPropagation(); explainBlock(c, i); },
      }, "!"), el("span", { class: "state-text" }, "未发送"));
    } else {
      status.push(el("span", { class: "state-text" }, STATE_TEXT[i.state] || ""));
    }
    if (i.state === "held") {
      status.push(el("button", { type: "button", class: "link resolve", onclick: () => nudge(c, i) }, "去处理"));
    }
    if (i.tier && i.tier !== "none") status.push(el("span", { class: `tier tier-${i.tier}` }, TIER_NAMES[i.tier] || i.tier));
    if (i.intercepted) {
      status.push(i.appealed
        ? el("span", { class: "appealed" }, "已申诉")
        : el("button", { type: "button", class: "appeal link", onclick: () => appeal(c, i) }, "申诉误判"));
    }
  }
  return el("li", { class: classes.join(" ").trim(), dataset: { id: i.id, state: i.state || "" } },
    el("div", { class: "meta" }, `${i.label} · ${formatTime(i.time)}`),
    el("div", { class: "text" }, i.text),
    status.length ? el("div", { class: "status" }, ...status) : null);
}

const STATE_TEXT = {
  sending: "发送中…", sent: "已发送", held: "待修改", overridden: "已发送（未修改）",
  edited: "已修改重发", failed: "发送失败", routed: "已发送",
};

function renderChat() {
  const c = selected ? conversations.get(selected) : null;
  $("chat-title").textContent = c ? `买家 ${c.buyer}` : "未选择会话";
  const tag = $("route-tag");
  tag.hidden = !(c && c.routed);
  if (c && c.routed) tag.textContent = `转人工：${c.routed}`;
  $("assist-label").hidden = !(c && me.role === "agent");
  if (c) $("assist-switch").checked = c.assist;
  const hint = $("assist-hint");
  hint.hidden = !(c && c.assistHint);
  if (c && c.assistHint) hint.textContent = c.assistHint;
  $("messages").replaceChildren(...(c ? c.items.map((i) => bubble(c, i)) : []));
  $("messages").scrollTop = $("messages").scrollHeight;
  const preview = $("edit-preview");
  if (editing && c && editing.conversation === c.id) {
    preview.replaceChildren(el("span", { class: "label" }, "修改中，命中部分："),
      el("span", { class: "original" }, ...highlighted(editing.text, editing.matches)));
    preview.hidden = false;
  } else {
    preview.hidden = true;
  }
  updateComposer();
}

function updateComposer() {
  const c = selected ? conversations.get(selected) : null;
  const blocked = warning !== null || !c || c.left !== null;
  composer.disabled = blocked;
  $("send-button").disabled = blocked;
  composer.placeholder = warning ? "请先阅读并确认违规警告" :
    (c && c.left !== null) ? "该会话已转出" : "输入回复，Enter 发送，Shift+Enter 换行";
}

function render() {
  renderList();
  renderChat();
}

function select(id) {
  selected = id;
  const c = conversations.get(id);
  if (c) c.unread = 0;
  render();
  composer.focus();
}

function systemLine(c, text, code = "", level = "") {
  c.items.push({ kind: "system", text, code, level, time: new Date().toISOString() });
}

// --- interventions ------------------------------------------------------------------------

function explainBlock(c, i) {
  systemLine(c, `消息未发送：${i.reason || "违反平台规则"}`, "block-reason", "warn");
  render();
}

function showBanner(text, ttlMs) {
  // The rule: a banner at the top of the chat window that cannot be closed and goes away on
  // its own. So: no close control, removed after the frame's ttl_ms.
  const banner = el("div", { class: "notice-banner", role: "status" }, text);
  $("banner-area").append(banner);
  setTimeout(() => banner.remove(), ttlMs);
}

function backToEdit(c, i) {
  editing = { conversation: c.id, replaces: i.id, text: i.text, matches: i.matches };
  if (selected !== c.id) select(c.id);
  composer.value = i.text;
  render();
  composer.focus();
  composer.setSelectionRange(composer.value.length, composer.value.length);
}

function nudge(c, i) {
  const force = i.tier === "force-edit";
  const buttons = [{ label: "返回修改", class: "primary", action: "edit", onclick: () => backToEdit(c, i) }];
  if (!force) {
    buttons.push({
      label: "继续发送", action: "send-anyway",
      onclick: () => socket.send({ type: "send-anyway", id: i.id }),
    });
  }
  showModal({
    kind: force ? "force-edit" : "suggest-edit",
    title: force ? "消息必须修改后才能发送" : "建议修改后再发送",
    dismissible: false,
    body: [el("p", { class: "reason" }, i.reason || ""),
           el("p", { class: "original" }, ...highlighted(i.text, i.matches))],
    buttons,
  });
}

function showWarning() {
  showModal({
    kind: "block-with-warning",
    title: "违规警告",
    dismissible: false,
    body: [el("p", { class: "reason" }, warning.reason || "该消息违反平台规则，未发送。"),
           el("p", { class: "original" }, ...highlighted(warning.text, warning.matches)),
           el("p", { class: "hint" }, "确认已阅读后才能继续在此会话中回复。")],
    buttons: [{ label: "我已阅读", class: "primary", action: "ack", keepOpen: true,
                onclick: () => socket.send({ type: "ack", id: warning.id }) }],
  });
  updateComposer();
}

function appeal(c, i) {
  const note = el("textarea", { id: "appeal-note", rows: "3", maxlength: "2000", placeholder: "说明（可选）" });
  showModal({
    kind: "appeal",
    title: "申诉误判",
    dismissible: true,
    body: [el("p", {}, "认为这条消息被误判？主管会复核。"), el("p", { class: "original" }, i.text), note],
    buttons: [
      { label: "提交申诉", class: "primary", action: "submit-appeal",
        onclick: () => socket.send({ type: "appeal", id: i.id, note: note.value }) },
      { label: "取消", action: "cancel", onclick: () => {} },
    ],
  });
}

function onVerdict(frame) {
  const cid = pending.get(frame.id);
  pending.delete(frame.id);
  const c = cid ? conversations.get(cid) : null;
  const i = c ? item(c, frame.id) : null;
  if (!c || !i) return;
  Object.assign(i, { tier: frame.tier, reason: frame.reason, matches: frame.matches,
                     intercepted: frame.tier !== "none" });
  if (i.replaces) {
    // the gateway took the held draft as soon as the edit was scored, whatever its verdict
    const old = item(c, i.replaces);
    if (old) old.state = "edited";
  }
  switch (frame.tier) {
    case "suggest-edit":
    case "force-edit":
      i.state = "held";
      nudge(c, i);
      break;
    case "block":
      i.state = "blocked";
      break;
    case "block-with-warning":
      i.state = "blocked";
      warning = { id: i.id, conversation: c.id, text: i.text, reason: frame.reason, matches: frame.matches };
      showWarning();
      break;
    case "route-to-human":
      i.state = "routed";
      if (frame.reason) systemLine(c, `会话转人工：${frame.reason}`, "route");
      break;
    default:
      i.state = frame.delivered ? "sent" : "blocked";
  }
  render();
}

function onOk(frame) {
  for (const c of conversations.values()) {
    const i = frame.id ? item(c, frame.id) : null;
    if (frame.action === "send-anyway" && i) { i.state = "overridden"; if (editing && editing.replaces === i.id) cancelEdit(); }
    if (frame.action === "appeal" && i) i.appealed = true;
  }
  if (frame.action === "ack" && warning && warning.id === frame.id) {
    const text = warning.text;
    const cid = warning.conversation;
    warning = null;
    closeModal();
    if (selected !== cid) select(cid);
    composer.value = text; // the rule: the text comes back for editing
    updateComposer();
    composer.focus();
    composer.setSelectionRange(text.length, text.length);
  }
  render();
}

function cancelEdit() {
  editing = null;
}

function onError(frame) {
  const cid = frame.id ? pending.get(frame.id) : null;
  const c = cid ? conversations.get(cid) : (selected ? conversations.get(selected) : null);
  if (cid) pending.delete(frame.id);
  const i = c && frame.id ? item(c, frame.id) : null;
  if (i && i.state === "sending") i.state = "failed";
  if (c) systemLine(c, `错误：${frame.message}`, frame.code, "error");
  render();
}

// --- frames -------------------------------------------------------------------------------

function fromLabel(sender) {
  if (sender.role === "buyer") return `买家 ${sender.user}`;
  if (sender.user === me.sub) return "我";
  return `${sender.role === "bot" ? "机器人" : "客服"} ${sender.user}`;
}

function historyItem(h) {
  return { kind: "message", id: h.id, role: h.from.role, mine: h.from.user === me.sub && h.from.role !== "buyer",
           label: fromLabel(h.from), text: h.text, time: h.time, state: "sent" };
}

let order = 0;

function onAssigned(frame) {
  const c = conversation(frame.conversation);
  const own = c.items.filter((i) => i.kind === "message" && i.mine && i.state !== "sent");
  const history = frame.history.map(historyItem);
  const known = new Set(history.map((h) => h.id));
  c.items = [...history, ...own.filter((i) => !known.has(i.id))];
  c.left = null;
  c.assist = Boolean(frame.assist);
  order += 1;
  c.order = order;
  if (frame.kind === "routed") {
    c.routed = frame.reason;
    systemLine(c, `买家已转人工：${frame.reason}`, "routed", "warn");
  } else if (frame.kind !== "resumed") {
    c.routed = null;
  }
  if (selected === null || frame.kind === "routed") select(c.id);
  else { if (frame.kind !== "resumed") c.unread += frame.history.filter((h) => h.from.role === "buyer").length; render(); }
}

// After a reload: a message of mine still held, shown as it was with the nudge again.
function onHeld(frame) {
  const c = conversation(frame.conversation);
  let i = item(c, frame.id);
  if (!i) {
    i = { kind: "message", id: frame.id, role: me.role, mine: true, label: "我", text: frame.text,
          time: new Date().toISOString() };
    c.items.push(i);
  }
  Object.assign(i, { state: "held", tier: frame.tier, reason: frame.reason, matches: frame.matches || [],
                     intercepted: true });
  if (selected === null) selected = c.id;
  render();
  if (!modalOpen() && !warning) nudge(c, i);
}

// After a reload: a warning still to acknowledge; the input stays disabled until 我已阅读.
function onWarning(frame) {
  const c = conversation(frame.conversation);
  if (!item(c, frame.id)) {
    c.items.push({ kind: "message", id: frame.id, role: me.role, mine: true, label: "我", text: frame.text,
                   time: new Date().toISOString(), state: "blocked", tier: "block-with-warning",
                   reason: frame.reason, matches: frame.matches || [], intercepted: true });
  }
  warning = { id: frame.id, conversation: c.id, text: frame.text, reason: frame.reason, matches: frame.matches || [] };
  if (selected !== c.id) select(c.id);
  showWarning();
  render();
}

const handlers = {
  assigned: onAssigned,
  unassigned(frame) {
    const c = conversation(frame.conversation);
    c.left = frame.reason;
    systemLine(c, `会话已转出：${frame.reason}`, "unassigned", "warn");
    render();
  },
  message(frame) {
    const c = conversation(frame.conversation);
    c.items.push({ kind: "message", id: frame.id, role: frame.from.role, mine: false,
                   label: fromLabel(frame.from), text: frame.text, time: new Date().toISOString() });
    if (selected === null) selected = c.id;
    if (selected !== c.id) c.unread += 1;
    render();
  },
  verdict: onVerdict,
  held: onHeld,
  warning: onWarning,
  queue(frame) { queued = frame.length; renderList(); },
  notice(frame) { showBanner(frame.text, frame.ttl_ms); },
  system(frame) {
    const c = frame.conversation ? conversation(frame.conversation) : (selected ? conversations.get(selected) : null);
    if (frame.code === "assist-off" && c) {
      c.assist = false;
      c.assistHint = frame.text;
    }
    if (c) systemLine(c, frame.text, frame.code);
    render();
  },
  ok: onOk,
  error: onError,
  pong() {},
};

// --- sending ------------------------------------------------------------------------------

function send() {
  const text = composer.value;
  if (!text.trim() || !selected || warning || modalOpen()) return;
  const c = conversations.get(selected);
  if (!c || c.left !== null) return;
  const id = newId();
  const frame = { type: "message", id, conversation: c.id, text };
  let replaces = null;
  if (editing && editing.conversation === c.id) {
    replaces = editing.replaces;
    frame.replaces = replaces;
    editing = null;
  }
  if (!socket.send(frame)) {
    systemLine(c, "未连接到网关，消息未发送", "offline", "error");
    render();
    return;
  }
  pending.set(id, c.id);
  c.items.push({ kind: "message", id, role: me.role, mine: true, label: "我", text,
                 time: new Date().toISOString(), state: "sending", replaces });
  composer.value = "";
  render();
}

composer.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
$("send-button").addEventListener("click", send);
$("presence-select").addEventListener("change", (event) => {
  socket.send({ type: "presence", status: event.target.value });
});
$("assist-switch").addEventListener("change", (event) => {
  const c = selected ? conversations.get(selected) : null;
  if (!c) return;
  c.assist = event.target.checked;
  if (c.assist) c.assistHint = null;
  socket.send({ type: "assist", conversation: c.id, on: c.assist });
  renderChat();
});

// --- connection ---------------------------------------------------------------------------

const socket = me ? new Socket(websocketUrl, {
  onFrame(frame) { (handlers[frame.type] || (() => {}))(frame); },
  onState(state, text) {
    const node = $("connection-state");
    node.dataset.state = state;
    node.textContent = text;
  },
  onOpen() {
    const status = $("presence-select").value;
    if (status !== "online") socket.send({ type: "presence", status });
  },
}) : null;

if (me) {
  $("whoami").textContent = whoAmI(me);
  $("logout").append(logoutButton());
  document.title = `客服工作台 · ${me.sub}`;
  socket.connect();
  render();
}
