// The buyer's chat with one shop: to demo and test conversations end to end.

import { el, formatTime, logoutButton, requireLogin, websocketUrl, whoAmI } from "./common.js";
import { Socket } from "./socket.js";

const me = requireLogin("buyer");
const $ = (id) => document.getElementById(id);
const composer = $("composer");
let counter = 0;
// The id of the last shop message received ("" none yet; null before the first connection):
// a reconnect names it (`after`) and the gateway first sends what came meanwhile.
let after = null;
const shown = new Set(); // "user/id" of the shop messages on screen: each shown once

function append(node) {
  $("messages").append(node);
  $("messages").scrollTop = $("messages").scrollHeight;
}

function bubble(id, label, text, mine) {
  return el("li", { class: `bubble ${mine ? "mine" : "theirs"}`, dataset: { id } },
    el("div", { class: "meta" }, `${label} · ${formatTime()}`),
    el("div", { class: "text" }, text),
    mine ? el("div", { class: "status" }, el("span", { class: "state-text" }, "发送中…")) : null);
}

const handlers = {
  message(frame) {
    const key = `${frame.from.user}/${frame.id}`;
    after = frame.id;
    if (shown.has(key)) return;
    shown.add(key);
    const who = frame.from.role === "bot" ? `机器人 ${frame.from.user}` : `客服 ${frame.from.user}`;
    append(bubble(frame.id, who, frame.text, false));
  },
  verdict(frame) {
    const node = document.querySelector(`li.bubble.mine[data-id="${CSS.escape(frame.id)}"] .state-text`);
    if (node) node.textContent = "已发送";
  },
  system(frame) {
    append(el("li", { class: "system-line", dataset: { code: frame.code } }, frame.text));
  },
  error(frame) {
    append(el("li", { class: "system-line error", dataset: { code: frame.code } }, `错误：${frame.message}`));
  },
};

function send() {
  const text = composer.value;
  if (!text.trim()) return;
  counter += 1;
  const id = `b${Date.now().toString(36)}${counter.toString(36)}`;
  if (!socket.send({ type: "message", id, text })) {
    append(el("li", { class: "system-line error" }, "未连接，消息未发送"));
    return;
  }
  append(bubble(id, "我", text, true));
  composer.value = "";
}

composer.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
$("send-button").addEventListener("click", send);

function url() {
  return after === null ? websocketUrl() : `${websocketUrl()}&after=${encodeURIComponent(after)}`;
}

const socket = me ? new Socket(url, {
  onFrame(frame) { (handlers[frame.type] || (() => {}))(frame); },
  onOpen() { if (after === null) after = ""; },
  onState(state, text) {
    $("connection-state").dataset.state = state;
    $("connection-state").textContent = text;
  },
}) : null;

if (me) {
  $("whoami").textContent = whoAmI(me);
  $("chat-title").textContent = `店铺 ${me.shop} 的客服`;
  $("logout").append(logoutButton());
  socket.connect();
}
